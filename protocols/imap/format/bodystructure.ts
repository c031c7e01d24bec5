/**
 * BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, body grammar in §9) from the MIME part tree.
 *
 * @module
 */
import type { MimePart } from "../../../core/mime/types.ts";
import { formatEnvelope } from "./envelope.ts";
import { nstr, str } from "./strings.ts";

function params(p: Record<string, string>, utf8: boolean): string {
  const keys = Object.keys(p);
  if (keys.length === 0) return "NIL";
  return "(" + keys.map((k) => `${str(k, utf8)} ${str(p[k]!, utf8)}`).join(" ") + ")";
}

function disposition(part: MimePart, utf8: boolean): string {
  const d = part.disposition;
  if (!d) return "NIL";
  return `(${str(d.value, utf8)} ${params(d.params, utf8)})`;
}

function language(part: MimePart, utf8: boolean): string {
  const l = part.language;
  if (!l || l.length === 0) return "NIL";
  if (l.length === 1) return str(l[0]!, utf8);
  return "(" + l.map((x) => str(x, utf8)).join(" ") + ")";
}

function isMessage(part: MimePart): boolean {
  return part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global") &&
    part.message !== null;
}

/** Formats BODY (`extended` false) or BODYSTRUCTURE (`extended` true) of a part. */
export function formatBodyStructure(part: MimePart, extended: boolean, utf8: boolean, depth = 0): string {
  if (part.type === "multipart" && part.children.length > 0 && depth < 64) {
    let s = "(";
    for (const child of part.children) s += formatBodyStructure(child, extended, utf8, depth + 1);
    s += " " + str(part.subtype, utf8);
    if (extended) {
      s += ` ${params(part.params, utf8)} ${disposition(part, utf8)} ${language(part, utf8)} ${
        nstr(part.location, utf8)
      }`;
    }
    return s + ")";
  }
  const p = { ...part.params };
  const type = part.type === "multipart" ? "text" : part.type;
  const subtype = part.type === "multipart" ? "plain" : part.subtype;
  if (type === "text" && p.charset === undefined) p.charset = "us-ascii";
  const size = Math.max(0, part.bodyEnd - part.bodyStart);
  let s = `(${str(type, utf8)} ${str(subtype, utf8)} ${params(p, utf8)} ${nstr(part.contentId, utf8)} ` +
    `${nstr(part.description, utf8)} ${str(part.encoding.toUpperCase(), utf8)} ${size}`;
  if (isMessage(part) && depth < 64) {
    const m = part.message!;
    s += ` ${formatEnvelope(m.headers, utf8)} ${
      formatBodyStructure(m, extended, utf8, depth + 1)
    } ${part.lines}`;
  } else if (type === "text") {
    s += ` ${part.lines}`;
  }
  if (extended) {
    s += ` ${nstr(part.md5, utf8)} ${disposition(part, utf8)} ${language(part, utf8)} ${
      nstr(part.location, utf8)
    }`;
  }
  return s + ")";
}
