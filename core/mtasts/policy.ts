/**
 * MTA-STS (RFC 8461) as pure functions: the `_mta-sts` TXT record, the policy file served at
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt`, and the match of an MX host against the
 * policy's `mx` patterns.
 *
 * @module
 */

/** A parsed policy (RFC 8461 §3.2). */
export interface StsPolicy {
  mode: "enforce" | "testing" | "none";
  /** MX host patterns, lowercase; a leading "*." matches exactly one label. */
  mx: string[];
  /** Seconds the policy may be cached. */
  maxAge: number;
}

/** RFC 8461 §3.2: max_age is at most 31557600 seconds. */
export const MAX_POLICY_AGE = 31_557_600;

/**
 * The `id` of a `_mta-sts` TXT record, or null when the record is not a valid STS record
 * (RFC 8461 §3.1: `v=STSv1` first, then `id=` of 1–32 alphanumerics; other fields ignored).
 */
export function parseStsRecord(txt: string): string | null {
  const fields = txt.split(";").map((f) => f.trim()).filter(Boolean);
  if (fields[0] !== "v=STSv1") return null;
  for (const f of fields.slice(1)) {
    const m = /^id=([A-Za-z0-9]{1,32})$/.exec(f);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * The policy file (RFC 8461 §3.2: `key: value` lines ending in CRLF or LF; version STSv1, mode,
 * max_age, one or more mx unless the mode is none), or null when it is not a valid policy.
 */
export function parseStsPolicy(text: string): StsPolicy | null {
  let version: string | null = null;
  let mode: string | null = null;
  let maxAge: number | null = null;
  const mx: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9_]+)\s*:\s*(.*)$/.exec(line);
    if (!m) return null;
    const [key, value] = [m[1]!, m[2]!.trim()];
    if (key === "version") version = value;
    else if (key === "mode") mode = value;
    else if (key === "max_age") maxAge = /^\d{1,10}$/.test(value) ? Number(value) : null;
    else if (key === "mx") mx.push(value.toLowerCase().replace(/\.$/, ""));
    // Unknown keys are ignored (RFC 8461 §3.2).
  }
  if (version !== "STSv1" || maxAge === null || maxAge > MAX_POLICY_AGE) return null;
  if (mode !== "enforce" && mode !== "testing" && mode !== "none") return null;
  if (mode !== "none" && mx.length === 0) return null;
  return { mode, mx, maxAge };
}

/**
 * True when `host` matches one of the policy's patterns (RFC 8461 §4.1): equal ignoring case, or a
 * "*.example.com" pattern matching exactly one more leftmost label.
 */
export function mxMatches(policy: Pick<StsPolicy, "mx">, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return policy.mx.some((p) => {
    if (p.startsWith("*.")) {
      const rest = p.slice(2);
      const dot = h.indexOf(".");
      return dot > 0 && h.slice(dot + 1) === rest;
    }
    return p === h;
  });
}
