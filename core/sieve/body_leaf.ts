/**
 * The root part of a single-part message from its header alone, for RFC 5173 body tests: most
 * mail is one text part, and reading its type, charset and transfer encoding from the header the
 * interpreter already split spares the full MIME parse (core/mime/parse.ts), which also counts
 * lines and walks every byte. Multiparts, embedded messages and anything unusual (an invalid
 * Content-Type) give null: the caller then parses the message as usual. The part returned has
 * the fields `parseMime` would give the root for body access (type, subtype, parameters,
 * encoding, body offsets); `lines` is not counted.
 *
 * @module
 */
import { parseContentValue, stripComments } from "../mime/rfc2231.ts";
import type { ContentValue, MimePart } from "../mime/types.ts";

/** A header field as the interpreter holds it (lowercase key, unfolded value). */
export interface LeafField {
  readonly key: string;
  readonly value: string;
}

const TOKEN = /^[a-z0-9!#$%&'*+.^_`{|}~-]+$/;

/** Content-Type values already parsed (mail repeats a few, run after run); frozen, bounded. */
const contentTypes = new Map<string, ContentValue>();

/** `parseContentValue`, remembered: the same value always parses the same way. */
function contentType(value: string): ContentValue {
  let parsed = contentTypes.get(value);
  if (parsed === undefined) {
    const p = parseContentValue(value);
    parsed = Object.freeze({ value: p.value, params: Object.freeze(p.params) });
    if (contentTypes.size < 256 && value.length <= 256) contentTypes.set(value, parsed);
  }
  return parsed;
}

/**
 * The root of a message that has no sub-parts, or null when it may have some.
 *
 * @param raw the message bytes
 * @param fields its header fields in order
 * @param bodyStart offset just past the blank line that ends the header
 */
export function leafBody(raw: Uint8Array, fields: readonly LeafField[], bodyStart: number): MimePart | null {
  const first = (key: string): string | null => {
    for (const f of fields) if (f.key === key) return f.value;
    return null;
  };
  let type = "text";
  let subtype = "plain";
  // RFC 2045 §5.2: no Content-Type is text/plain; charset=us-ascii.
  let params: Record<string, string> = { charset: "us-ascii" };
  const ct = first("content-type");
  if (ct !== null) {
    const parsed = contentType(ct);
    const slash = parsed.value.indexOf("/");
    if (slash < 0) return null;
    type = parsed.value.slice(0, slash);
    subtype = parsed.value.slice(slash + 1);
    // Unusual forms (no subtype, invalid tokens) are left to the full parser's repairs.
    if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
    if (type === "multipart" || type === "message") return null;
    params = parsed.params;
  }
  let encoding = "7bit";
  const cte = first("content-transfer-encoding");
  if (cte !== null) {
    const v = stripComments(cte).trim().toLowerCase();
    if (v !== "") encoding = v;
  }
  return {
    section: "",
    headerStart: 0,
    headerEnd: bodyStart,
    bodyStart,
    bodyEnd: raw.length,
    headers: [],
    type,
    subtype,
    params,
    disposition: null,
    encoding,
    contentId: null,
    description: null,
    language: null,
    location: null,
    md5: null,
    lines: 0,
    children: [],
    message: null,
    defects: [],
  };
}
