/**
 * A stored message as support staff may inspect it (the admin API's message endpoints): its header
 * fields decoded, its text body, its HTML body through THE sanitiser (core/mime/sanitize_html.ts:
 * no script, event handler, form or remote resource unless asked), and its attachments (RFC 8621
 * §4.1.4 body selection) with the bytes of one on request. Pure: bytes in, values out; every
 * output bounded.
 *
 * @module
 */
import { parseMime } from "../mime/parse.ts";
import { bodyParts, partName } from "../mime/body_parts.ts";
import { decodedBody, partText } from "../mime/body.ts";
import { asText } from "../mime/header_forms.ts";
import { htmlToText } from "../mime/html_text.ts";
import { sanitizeHtml } from "../mime/sanitize_html.ts";
import type { MimePart } from "../mime/types.ts";

/** Longest text or HTML body returned, in characters (the rest is cut and flagged). */
export const MAX_BODY_CHARS = 1024 * 1024;
/** Most header fields returned. */
export const MAX_HEADER_FIELDS = 1000;

/** An attachment as listed (not its content). */
export interface AttachmentInfo {
  /** The part's IMAP section number ("2", "1.3"): how `attachmentContent` finds it. */
  partId: string;
  /** File name (Content-Disposition filename, else Content-Type name), or null. */
  name: string | null;
  /** `type/subtype`, lowercase. */
  type: string;
  /** Decoded size in octets. */
  size: number;
  /** `attachment` or `inline`, or null when the part has no Content-Disposition. */
  disposition: string | null;
  /** Content-ID without angle brackets, or null. */
  contentId: string | null;
}

/** What the inspection shows. */
export interface MessageView {
  /** Every header field of the message in order, values decoded (RFC 2047) and unfolded. */
  headers: { name: string; value: string }[];
  /** The text body (text/plain parts, or the HTML's text when there is none), or null. */
  text: string | null;
  /** The sanitised HTML body, or null when the message has none. */
  html: string | null;
  /** True when `text` or `html` was cut at MAX_BODY_CHARS. */
  truncated: boolean;
  attachments: AttachmentInfo[];
}

/** Options of `inspectMessage`. */
export interface InspectOptions {
  /** Keep remote images in the HTML (default false: only the message's own `cid:` parts). */
  allowRemoteResources?: boolean;
  /** Rewrites a `cid:` reference to a URL the reader can fetch (an attachment download URL). */
  cidUrl?: (contentId: string) => string | null;
}

function cut(s: string): { value: string; truncated: boolean } {
  return s.length > MAX_BODY_CHARS
    ? { value: s.slice(0, MAX_BODY_CHARS), truncated: true }
    : { value: s, truncated: false };
}

function info(raw: Uint8Array, part: MimePart): AttachmentInfo {
  return {
    partId: part.section || "1",
    name: partName(part),
    type: `${part.type}/${part.subtype}`,
    size: decodedBody(raw, part).length,
    disposition: part.disposition?.value ?? null,
    contentId: part.contentId ? part.contentId.replace(/^<|>$/g, "") : null,
  };
}

/** Finds a leaf part by section number ("" or "1" for a single-part message). */
function findPart(root: MimePart, partId: string): MimePart | null {
  const walk = (p: MimePart): MimePart | null => {
    if ((p.section || "1") === partId && p.children.length === 0) return p;
    for (const c of p.children) {
      const hit = walk(c);
      if (hit) return hit;
    }
    return null;
  };
  return walk(root);
}

/** The inspection view of a raw message. */
export function inspectMessage(raw: Uint8Array, opts: InspectOptions = {}): MessageView {
  const root = parseMime(raw);
  const parts = bodyParts(root);
  const headers = root.headers.slice(0, MAX_HEADER_FIELDS).map((h) => ({
    name: h.name,
    value: asText(h.value),
  }));
  const textParts = parts.textBody.filter((p) => p.type === "text" && p.subtype === "plain");
  const htmlParts = parts.htmlBody.filter((p) => p.type === "text" && p.subtype === "html");
  let truncated = false;
  let html: string | null = null;
  if (htmlParts.length > 0) {
    const c = cut(htmlParts.map((p) => partText(raw, p)).join("\n"));
    truncated ||= c.truncated;
    html = sanitizeHtml(c.value, {
      ...(opts.allowRemoteResources ? { allowRemoteResources: true } : {}),
      ...(opts.cidUrl ? { cidUrl: opts.cidUrl } : {}),
    });
  }
  let text: string | null = null;
  if (textParts.length > 0) {
    const c = cut(textParts.map((p) => partText(raw, p)).join("\n"));
    truncated ||= c.truncated;
    text = c.value;
  } else if (htmlParts.length > 0) {
    const c = cut(htmlToText(htmlParts.map((p) => partText(raw, p)).join("\n")));
    truncated ||= c.truncated;
    text = c.value;
  }
  // Inline images referenced by the HTML are listed too: they are the message's own parts.
  const listed = new Set<MimePart>(parts.attachments);
  for (const p of parts.htmlBody) if (p.type !== "text") listed.add(p);
  return { headers, text, html, truncated, attachments: [...listed].map((p) => info(raw, p)) };
}

/** One attachment's decoded bytes with its listing, or null when the message has no such part. */
export function attachmentContent(
  raw: Uint8Array,
  partId: string,
): { info: AttachmentInfo; bytes: Uint8Array } | null {
  if (!/^\d+(\.\d+)*$/.test(partId)) return null;
  const part = findPart(parseMime(raw), partId);
  if (!part) return null;
  return { info: info(raw, part), bytes: decodedBody(raw, part) };
}
