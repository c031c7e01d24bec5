/**
 * FETCH body sections (RFC 9051 §6.4.5): parses `1.2.HEADER.FIELDS (FROM TO)` and resolves it
 * against a message's MIME tree to the bytes to return.
 *
 * @module
 */
import { findPartAt } from "../../../core/mime/section.ts";
import type { MimePart } from "../../../core/mime/types.ts";

/** A parsed section specification. */
export interface SectionSpec {
  /** Part path, e.g. [1, 2]; empty for the whole message. */
  path: number[];
  /** Text part; null for the part's body (or the whole message when path is empty). */
  text: "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME" | null;
  /** Header names for HEADER.FIELDS(.NOT). */
  fields: string[];
}

/** Parses the text between the brackets; null when invalid. */
export function parseSection(text: string, binary = false): SectionSpec | null {
  const m =
    /^((?:[1-9]\d{0,8})(?:\.[1-9]\d{0,8})*)?(?:(?:^|\.)(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)(?: \((.*)\))?)?$/i
      .exec(text.trim());
  if (!m) return null;
  const path = m[1] ? m[1].split(".").map(Number) : [];
  if (path.length > 32) return null;
  const kind = m[2] ? m[2].toUpperCase() as SectionSpec["text"] : null;
  if (binary && kind !== null) return null;
  if (kind === "MIME" && path.length === 0) return null;
  const hasList = m[3] !== undefined;
  if ((kind === "HEADER.FIELDS" || kind === "HEADER.FIELDS.NOT") !== hasList) return null;
  const fields = hasList
    ? (m[3]!.match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? []).map((f) =>
      f.replace(/^"|"$/g, "").replace(/\\(.)/g, "$1")
    )
    : [];
  if (hasList && (fields.length === 0 || fields.some((f) => !/^[\x21-\x39\x3b-\x7e]+$/.test(f)))) return null;
  return { path, text: kind, fields };
}

/** The section name as echoed in the FETCH response (`BODY[<this>]`). */
export function sectionName(s: SectionSpec): string {
  let out = s.path.join(".");
  if (s.text) {
    out += (out ? "." : "") + s.text;
    if (s.fields.length > 0) out += ` (${s.fields.map((f) => f.toUpperCase()).join(" ")})`;
  }
  return out;
}

function isMessage(p: MimePart): boolean {
  return p.type === "message" && (p.subtype === "rfc822" || p.subtype === "global") && p.message !== null;
}

const encoder = new TextEncoder();

/** Bytes of a section; `null` when the part does not exist (the response then carries an empty string). */
export function sectionBytes(raw: Uint8Array, root: MimePart, spec: SectionSpec): Uint8Array | null {
  // RFC 9051 §6.4.5 part numbering (core/mime/section.ts).
  const part = findPartAt(root, spec.path);
  if (!part) return null;
  if (spec.path.length === 0) {
    switch (spec.text) {
      case null:
        return raw;
      case "TEXT":
        return raw.subarray(root.bodyStart);
      default:
        return headerBytes(raw, root, spec);
    }
  }
  if (spec.text === null) {
    // A message/rfc822 part's body is the whole embedded message.
    return raw.subarray(part.bodyStart, part.bodyEnd);
  }
  if (spec.text === "MIME") return raw.subarray(part.headerStart, part.headerEnd);
  if (!isMessage(part)) return null;
  const msg = part.message!;
  if (spec.text === "TEXT") return raw.subarray(msg.bodyStart, msg.bodyEnd);
  return headerBytes(raw, msg, spec);
}

function headerBytes(raw: Uint8Array, entity: MimePart, spec: SectionSpec): Uint8Array {
  if (spec.text === "HEADER") return raw.subarray(entity.headerStart, entity.headerEnd);
  const want = new Set(spec.fields.map((f) => f.toLowerCase()));
  const chunks: Uint8Array[] = [];
  if (spec.text === "HEADER.FIELDS.NOT") {
    // The header section minus the named fields, so lines that are not fields (an mbox `From `
    // line, garbage) stay as in BODY[HEADER], and so does the empty line that ends it; a header
    // without one (it runs to the end of the message) gets none added (Dovecot does the same).
    let from = entity.headerStart;
    for (const h of entity.headers) {
      if (!want.has(h.key) || h.start < from) continue;
      chunks.push(raw.subarray(from, h.start));
      from = h.end;
    }
    chunks.push(raw.subarray(from, entity.headerEnd));
    return concat(chunks, 0);
  }
  for (const h of entity.headers) if (want.has(h.key)) chunks.push(raw.subarray(h.start, h.end));
  // RFC 9051 §6.4.5: the subset includes the blank line that ends the header.
  const out = concat(chunks, 2);
  out.set(encoder.encode("\r\n"), out.length - 2);
  return out;
}

/** The chunks joined, with `extra` bytes of room at the end. */
function concat(chunks: Uint8Array[], extra: number): Uint8Array {
  let n = extra;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Applies `<origin.count>` (RFC 9051 §6.4.5): an origin past the end gives an empty string. */
export function applyPartial(
  bytes: Uint8Array,
  partial: { origin: number; count: number | null } | undefined,
): Uint8Array {
  if (!partial) return bytes;
  const start = Math.min(partial.origin, bytes.length);
  const end = partial.count === null ? bytes.length : Math.min(bytes.length, start + partial.count);
  return bytes.subarray(start, end);
}
