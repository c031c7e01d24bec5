/**
 * The address and domain rules of the mail directory, backend-neutral and pure: the store (every
 * backend), the CLI and the protocols use these, so an address the CLI accepts is one the store
 * accepts and resolves the same way.
 *
 * - A domain is a host name (RFC 1035 §2.3.1 letters, digits, hyphens; labels of 1–63 octets, at
 *   most 253 in all), compared in lowercase ASCII; internationalised names are converted to their
 *   A-labels (IDNA) and one trailing dot is dropped.
 * - A local part is an RFC 5321 §4.1.2 Dot-string of at most 64 octets (§4.5.3.1.1), kept as written
 *   but compared case-insensitively; `*` is the catch-all and only names aliases.
 * - A recipient resolves in this order: the exact account, the account of `user` for `user+tag`, the
 *   alias of the address, the alias of `user@domain` for `user+tag`, then the domain's catch-all.
 *
 * @module
 */

// RFC 5321 §4.1.2 Dot-string: atoms of atext (RFC 5322 §3.2.3) separated by single dots.
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An address split and normalised. */
export interface ParsedAddress {
  /** `local@domain` with the domain normalised, the local part as written. */
  address: string;
  /** The comparison key: `local@domain` all lowercase. */
  key: string;
  local: string;
  domain: string;
}

/** The normalised form of a domain name, or null when it is not one. */
export function parseDomain(name: string): string | null {
  const d = String(name).trim().replace(/\.$/, "");
  if (!d || d.length > 253 || /[\s@/\\?#:[\]%]/.test(d)) return null;
  let ascii: string;
  try {
    // The URL parser applies IDNA (UTS #46) and lowercases.
    ascii = new URL(`http://${d}/`).hostname;
  } catch {
    return null;
  }
  if (ascii.length > 253 || !ascii.split(".").every((label) => LABEL.test(label))) return null;
  return ascii;
}

/**
 * `local@domain` parsed and normalised, or null when it is not an address. `allowCatchAll` admits
 * `*@domain` (aliases only).
 */
export function parseAddress(address: string, opts: { allowCatchAll?: boolean } = {}): ParsedAddress | null {
  const a = String(address).trim();
  const at = a.lastIndexOf("@");
  if (at <= 0) return null;
  const local = a.slice(0, at);
  const catchAll = local === "*";
  if (catchAll ? !opts.allowCatchAll : local.length > 64 || !DOT_STRING.test(local)) return null;
  const domain = parseDomain(a.slice(at + 1));
  if (domain === null) return null;
  return { address: `${local}@${domain}`, key: `${local.toLowerCase()}@${domain}`, local, domain };
}

/** One step of recipient resolution: look up an account or an alias by its key. */
export interface ResolutionStep {
  kind: "account" | "alias";
  key: string;
}

/**
 * The lookups that resolve an envelope recipient, in order; the first that exists decides (an
 * account, or an alias's targets), and a step that finds only disabled accounts still decides.
 */
export function resolutionOrder(addr: ParsedAddress): ResolutionStep[] {
  const plus = addr.local.indexOf("+");
  const baseKey = plus > 0 ? `${addr.local.slice(0, plus).toLowerCase()}@${addr.domain}` : null;
  const steps: ResolutionStep[] = [{ kind: "account", key: addr.key }];
  if (baseKey) steps.push({ kind: "account", key: baseKey });
  steps.push({ kind: "alias", key: addr.key });
  if (baseKey) steps.push({ kind: "alias", key: baseKey });
  steps.push({ kind: "alias", key: `*@${addr.domain}` });
  return steps;
}
