/**
 * BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, body grammar in §9) from the MIME part tree. Parameter
 * values, descriptions, ids and the embedded ENVELOPE are taken from the stored header bytes as
 * octet strings (see octets.ts): never decoded, never re-encoded; RFC 2231 continuations are
 * joined but not decoded, as Dovecot does. The result is an octet string: send it as bytes.
 *
 * @module
 */
import type { MimePart } from "../../../core/mime/types.ts";
import { rawContentValue } from "../../../core/mime/rfc2231.ts";
import { formatEnvelope } from "./envelope.ts";
import { envelopeHeaders, octetHeader } from "./octets.ts";
import { onstr, ostr } from "./strings.ts";

function params(list: [string, string][], utf8: boolean): string {
  if (list.length === 0) return "NIL";
  return "(" + list.map(([k, v]) => `${ostr(k, utf8)} ${ostr(v, utf8)}`).join(" ") + ")";
}

/** Content-Type parameters as stored (none when the field is absent). */
function typeParams(raw: Uint8Array, part: MimePart): [string, string][] {
  const ct = octetHeader(raw, part, "content-type");
  return ct === null ? [] : rawContentValue(ct).params;
}

function disposition(raw: Uint8Array, part: MimePart, utf8: boolean): string {
  const d = part.disposition;
  const cd = octetHeader(raw, part, "content-disposition");
  if (!d || cd === null) return "NIL";
  return `(${ostr(d.value, utf8)} ${params(rawContentValue(cd).params, utf8)})`;
}

/** body-fld-lang (RFC 9051 §9): always the list form, as Dovecot sends it. */
function language(part: MimePart, utf8: boolean): string {
  const l = part.language;
  if (!l || l.length === 0) return "NIL";
  return "(" + l.map((x) => ostr(x, utf8)).join(" ") + ")";
}

/** An RFC 2045 §6.1 mechanism: one token, optionally followed by a comment. */
const CTE_TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/**
 * body-fld-enc: the Content-Transfer-Encoding token as written, or 7BIT when the field is absent
 * or not a single token (RFC 2045 §6.1 default; Dovecot does the same with invalid values).
 */
function encoding(raw: Uint8Array, part: MimePart): string {
  const cte = octetHeader(raw, part, "content-transfer-encoding");
  if (cte === null) return part.encoding.toUpperCase();
  const token = cte.replace(/\([^()]*\)\s*$/, "").trim();
  return CTE_TOKEN.test(token) ? token.toUpperCase() : "7BIT";
}

function isMessage(part: MimePart): boolean {
  return part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global") &&
    part.message !== null;
}

/**
 * Formats BODY (`extended` false) or BODYSTRUCTURE (`extended` true) of a part of `raw` (the bytes
 * the part tree was parsed from), as an octet string.
 */
export function formatBodyStructure(
  raw: Uint8Array,
  part: MimePart,
  extended: boolean,
  utf8: boolean,
  depth = 0,
): string {
  const field = (key: string) => onstr(octetHeader(raw, part, key), utf8);
  if (part.type === "multipart" && part.children.length > 0 && depth < 64) {
    let s = "(";
    for (const child of part.children) s += formatBodyStructure(raw, child, extended, utf8, depth + 1);
    s += " " + ostr(part.subtype, utf8);
    if (extended) {
      s += ` ${params(typeParams(raw, part), utf8)} ${disposition(raw, part, utf8)} ${language(part, utf8)} ${
        field("content-location")
      }`;
    }
    return s + ")";
  }
  const multi = part.type === "multipart";
  // A multipart without parts is described as text/plain (RFC 2046 §5.1.1 needs one part).
  const p = multi ? [] : typeParams(raw, part);
  const type = multi ? "text" : part.type;
  const subtype = multi ? "plain" : part.subtype;
  // RFC 2045 §5.2: text without a charset is us-ascii.
  if (type === "text" && !p.some(([k]) => k === "charset")) p.push(["charset", "us-ascii"]);
  const size = Math.max(0, part.bodyEnd - part.bodyStart);
  let s = `(${ostr(type, utf8)} ${ostr(subtype, utf8)} ${params(p, utf8)} ${field("content-id")} ` +
    `${field("content-description")} ${ostr(encoding(raw, part), utf8)} ${size}`;
  if (isMessage(part) && depth < 64) {
    const m = part.message!;
    s += ` ${formatEnvelope(envelopeHeaders(raw, m.headers), utf8)} ${
      formatBodyStructure(raw, m, extended, utf8, depth + 1)
    } ${part.lines}`;
  } else if (type === "text") {
    s += ` ${part.lines}`;
  }
  if (extended) {
    s += ` ${field("content-md5")} ${disposition(raw, part, utf8)} ${language(part, utf8)} ${
      field("content-location")
    }`;
  }
  return s + ")";
}
