/**
 * (core/syntax: pure grammars of values that appear both in the configuration, where
 * core/config/schema.ts validates them, and at run time; it imports nothing.)
 *
 * Distinguished names as RFC 4514 strings in one canonical form (`CN=gw.example.com,O=Example,C=DE`:
 * RDNs joined by "," without spaces, multi-valued RDNs joined by "+", values escaped per RFC 4514
 * §2.4), so that a configured subject (`jmap.trusted_services[].client_cert_subject`) and a
 * certificate's subject (core/net/client_cert.ts) compare with `===`.
 *
 * Attribute types are the RFC 4514 §3 short names (CN, L, ST, O, OU, C, STREET, DC, UID) in upper
 * case; any other type is written as its dotted OID (e.g. emailAddress is `1.2.840.113549.1.9.1`).
 * Values compare exactly (case-sensitive).
 *
 * @module
 */
/** RFC 4514 §3 short names and their OIDs. */
const SHORT_NAMES: Record<string, string> = {
  CN: "2.5.4.3",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  C: "2.5.4.6",
  STREET: "2.5.4.9",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
};
const BY_OID = new Map(Object.entries(SHORT_NAMES).map(([name, oid]) => [oid, name]));
/** Names @peculiar/x509 (and common usage) gives to types outside RFC 4514's table. */
const ALIASES: Record<string, string> = {
  E: "1.2.840.113549.1.9.1",
  EMAILADDRESS: "1.2.840.113549.1.9.1",
  G: "2.5.4.42",
  GIVENNAME: "2.5.4.42",
  I: "2.5.4.43",
  SN: "2.5.4.4",
  T: "2.5.4.12",
  TITLE: "2.5.4.12",
};

/** The canonical spelling of an attribute type: an RFC 4514 short name, else the dotted OID. */
export function canonicalType(type: string): string {
  const t = type.trim().toUpperCase().replace(/^OID\./, "");
  if (/^\d+(\.\d+)+$/.test(t)) return BY_OID.get(t) ?? t;
  if (t in SHORT_NAMES) return t;
  const oid = ALIASES[t];
  if (oid) return oid;
  throw new SyntaxError(`Unknown attribute type "${type}"`);
}

/** RFC 4514 §2.4 escaping of an attribute value. */
function escapeValue(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if ('"+,;<>\\'.includes(ch)) out += `\\${ch}`;
    else if (ch === "\0") out += "\\00";
    else if ((i === 0 && (ch === " " || ch === "#")) || (i === value.length - 1 && ch === " ")) {
      out += `\\${ch}`;
    } else out += ch;
  }
  return out;
}

/** One attribute type and value; `hex` marks a `#`-prefixed BER value kept as written (lower case). */
export type Ava = [type: string, value: string, hex?: boolean];

/** Formats RDNs (in the order given) as a canonical RFC 4514 string. */
export function formatDn(rdns: Ava[][]): string {
  return rdns.map((rdn) => rdn.map(([t, v, hex]) => `${t}=${hex ? v : escapeValue(v)}`).join("+"))
    .join(",");
}

/** Splits `text` at `sep` where it is not escaped by a backslash. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      cur += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** Trims spaces around a value, except a trailing space escaped by a backslash. */
function trimUnescaped(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === " ") {
    let slashes = 0;
    while (end - 2 - slashes >= 0 && raw[end - 2 - slashes] === "\\") slashes++;
    if (slashes % 2 === 1) break;
    end--;
  }
  return raw.slice(0, end).trimStart();
}

/** RFC 4514 §3 unescaping of a string value (`\,` and `\hh` hex pairs, UTF-8). */
function unescapeValue(raw: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== "\\") {
      bytes.push(...enc.encode(ch));
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (i + 1 < raw.length) {
      bytes.push(...enc.encode(raw[i + 1]!));
      i++;
    } else throw new SyntaxError("Dangling backslash");
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
}

/**
 * The canonical form of a distinguished name written as an RFC 4514 string (as in the
 * configuration): types as in `certificateSubject`, spaces around separators dropped, values
 * re-escaped. Throws `SyntaxError` on a malformed name.
 *
 * @example
 * ```ts
 * import { canonicalDn } from "./dn.ts";
 * console.log(canonicalDn("cn=gw.example.com, o=Example")); // "CN=gw.example.com,O=Example"
 * ```
 */
export function canonicalDn(text: string): string {
  const rdns = splitUnescaped(text.trim(), ",").map((rdn) =>
    splitUnescaped(rdn, "+").map((ava): Ava => {
      const eq = ava.indexOf("=");
      if (eq <= 0) throw new SyntaxError(`Malformed attribute "${ava.trim()}"`);
      const value = trimUnescaped(ava.slice(eq + 1));
      const type = canonicalType(ava.slice(0, eq));
      return value.startsWith("#") ? [type, value.toLowerCase(), true] : [type, unescapeValue(value)];
    })
  );
  return formatDn(rdns);
}
