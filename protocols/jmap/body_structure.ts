/**
 * JMAP EmailBodyPart views of a parsed message (RFC 8621 §4.1.4): bodyStructure, and the
 * textBody/htmlBody/attachments lists computed with the RFC's algorithm. Pure.
 *
 * @module
 */
import type { MimePart } from "../../core/mime/types.ts";
import { decodeHeaderText } from "../../core/mime/encoded_words.ts";
import { decodeTransfer } from "../../core/mime/transfer_encoding.ts";
import { decodeText } from "../../core/mime/charset.ts";
import { partBlobId } from "./blob_ids.ts";
import { headerFormValue, parseHeaderProperty } from "./header_forms.ts";

/** Properties an EmailBodyPart may have. */
export const BODY_PART_PROPERTIES: ReadonlySet<string> = new Set([
  "partId",
  "blobId",
  "size",
  "headers",
  "name",
  "type",
  "charset",
  "disposition",
  "cid",
  "language",
  "location",
  "subParts",
]);

/** Default bodyProperties of Email/get (RFC 8621 §4.2). */
export const DEFAULT_BODY_PROPERTIES = [
  "partId",
  "blobId",
  "size",
  "name",
  "type",
  "charset",
  "disposition",
  "cid",
  "language",
  "location",
];

const latin1Decoder = new TextDecoder("latin1");

/** A part with the raw message it belongs to. */
export interface PartView {
  part: MimePart;
  /** JMAP partId: null for multiparts, else the IMAP section ("1" for a single-part message). */
  partId: string | null;
  type: string;
  name: string | null;
  isMultipart: boolean;
  subParts: PartView[];
}

/** Builds the part tree JMAP sees: multiparts descend; message/rfc822 is a leaf (§4.1.4). */
export function partTree(root: MimePart): PartView {
  const view = (part: MimePart): PartView => {
    const isMultipart = part.type === "multipart";
    const section = part.section === "" && !isMultipart ? "1" : part.section;
    return {
      part,
      partId: isMultipart ? null : section,
      type: `${part.type}/${part.subtype}`,
      name: partName(part),
      isMultipart,
      subParts: isMultipart ? part.children.map((c) => view(c)) : [],
    };
  };
  return view(root);
}

function partName(part: MimePart): string | null {
  const raw = part.disposition?.params.filename ?? part.params.name;
  return raw === undefined ? null : decodeHeaderText(raw);
}

/** Raw header value (RFC 8621 §4.1.2 Raw form): exactly the bytes after the colon, folding kept. */
export function rawHeaderValue(raw: Uint8Array, start: number, end: number): string {
  const text = latin1Decoder.decode(raw.subarray(start, end));
  const colon = text.indexOf(":");
  return text.slice(colon + 1).replace(/\r?\n$/, "");
}

/** Transfer-decoded bytes of a leaf part. */
export function decodedPartBytes(raw: Uint8Array, part: MimePart): Uint8Array {
  const body = raw.subarray(part.bodyStart, part.bodyEnd);
  // message/* bodies are the embedded message itself.
  return part.type === "message" ? body : decodeTransfer(body, part.encoding);
}

/** The decoded text of a text part and whether decoding found a problem. */
export function partText(raw: Uint8Array, part: MimePart): { value: string; isEncodingProblem: boolean } {
  const bytes = decodedPartBytes(raw, part);
  const value = decodeText(bytes, part.params.charset ?? null);
  return { value, isEncodingProblem: value.includes("\uFFFD") || part.defects.length > 0 };
}

/** The EmailBodyPart object with the requested properties. */
export function bodyPartObject(
  v: PartView,
  raw: Uint8Array,
  messageId: string,
  props: readonly string[],
): Record<string, unknown> {
  const p = v.part;
  const out: Record<string, unknown> = {};
  for (const prop of props) {
    switch (prop) {
      case "partId":
        out.partId = v.partId;
        break;
      case "blobId":
        out.blobId = v.partId === null ? null : partBlobId(messageId, v.partId);
        break;
      case "size":
        out.size = v.isMultipart ? 0 : decodedPartBytes(raw, p).length;
        break;
      case "headers":
        out.headers = p.headers.map((h) => ({ name: h.name, value: rawHeaderValue(raw, h.start, h.end) }));
        break;
      case "name":
        out.name = v.name;
        break;
      case "type":
        out.type = v.type;
        break;
      case "charset":
        out.charset = p.params.charset ?? (p.type === "text" ? "us-ascii" : null);
        break;
      case "disposition":
        out.disposition = p.disposition?.value ?? null;
        break;
      case "cid":
        out.cid = p.contentId === null ? null : p.contentId.replace(/^\s*<|>\s*$/g, "");
        break;
      case "language":
        out.language = p.language;
        break;
      case "location":
        out.location = p.location;
        break;
      case "subParts":
        if (v.isMultipart) out.subParts = v.subParts.map((s) => bodyPartObject(s, raw, messageId, props));
        else out.subParts = null;
        break;
      default: {
        // header:{name}[:as{Form}][:all] of the part (RFC 8621 §4.1.4 EmailBodyPart).
        const hp = parseHeaderProperty(prop);
        if (hp) {
          const values = p.headers.filter((h) => h.key === hp.key).map((h) =>
            headerFormValue(rawHeaderValue(raw, h.start, h.end), hp.form)
          );
          out[prop] = hp.all ? values : values.at(-1) ?? null;
        }
      }
    }
  }
  return out;
}

function isInlineMediaType(type: string): boolean {
  return type.startsWith("image/") || type.startsWith("audio/") || type.startsWith("video/");
}

/** textBody, htmlBody and attachments by the algorithm of RFC 8621 §4.1.4. */
export function bodyLists(
  root: PartView,
): { textBody: PartView[]; htmlBody: PartView[]; attachments: PartView[] } {
  const textBody: PartView[] = [];
  const htmlBody: PartView[] = [];
  const attachments: PartView[] = [];
  const walk = (
    parts: PartView[],
    multipartType: string,
    inAlternative: boolean,
    text: PartView[] | null,
    html: PartView[] | null,
  ) => {
    const textLength = text ? text.length : -1;
    const htmlLength = html ? html.length : -1;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const isInline = part.part.disposition?.value !== "attachment" &&
        (part.type === "text/plain" || part.type === "text/html" || isInlineMediaType(part.type)) &&
        (i === 0 || (multipartType !== "related" && (isInlineMediaType(part.type) || part.name === null)));
      if (part.isMultipart) {
        const sub = part.part.subtype;
        walk(part.subParts, sub, inAlternative || sub === "alternative", text, html);
      } else if (isInline) {
        if (multipartType === "alternative") {
          if (part.type === "text/plain") text?.push(part);
          else if (part.type === "text/html") html?.push(part);
          else attachments.push(part);
          continue;
        } else if (inAlternative) {
          if (part.type === "text/plain") html = null;
          if (part.type === "text/html") text = null;
        }
        text?.push(part);
        html?.push(part);
        if ((!text || !html) && isInlineMediaType(part.type)) attachments.push(part);
      } else {
        attachments.push(part);
      }
    }
    if (multipartType === "alternative" && text && html) {
      // Only one of the alternatives was found: use it for both (RFC 8621 §4.1.4).
      if (textLength === text.length && htmlLength !== html.length) {
        for (let i = htmlLength; i < html.length; i++) text.push(html[i]!);
      }
      if (htmlLength === html.length && textLength !== text.length) {
        for (let i = textLength; i < text.length; i++) html.push(text[i]!);
      }
    }
  };
  walk([root], "mixed", false, textBody, htmlBody);
  return { textBody, htmlBody, attachments };
}

/** Every text/* leaf part, in tree order (fetchAllBodyValues). */
export function textParts(root: PartView): PartView[] {
  const out: PartView[] = [];
  const visit = (v: PartView) => {
    if (v.isMultipart) v.subParts.forEach(visit);
    else if (v.part.type === "text") out.push(v);
  };
  visit(root);
  return out;
}

/** Finds a leaf part by partId. */
export function findPart(root: PartView, partId: string): PartView | null {
  if (root.partId === partId) return root;
  for (const s of root.subParts) {
    const hit = findPart(s, partId);
    if (hit) return hit;
  }
  return null;
}

/** Truncates a string to at most `max` UTF-8 octets without splitting a character. */
export function truncateUtf8(value: string, max: number): { value: string; truncated: boolean } {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length <= max) return { value, truncated: false };
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { value: new TextDecoder().decode(bytes.subarray(0, end)), truncated: true };
}
