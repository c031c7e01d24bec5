/**
 * The MIME parser (RFC 2045, RFC 2046, RFC 5322): raw message bytes in, a tree of parts with byte
 * offsets out. Pure, linear, and it never throws: malformed input degrades the way real servers
 * degrade it, with `defects` recorded on the part.
 *
 * Section numbers follow RFC 9051 §6.4.5: the message itself is "", the children of a multipart
 * are "1", "2", … under their parent's number; the embedded message of a message/rfc822 part gets
 * that part's number (so `2.HEADER` is its header) and its multipart children are numbered under
 * it ("2.1", …). A non-multipart message's body is section "1" (see `section.ts`), and so a
 * message/rfc822 that is the whole body of a message (section "" or an embedded "2") embeds a
 * message numbered "1" (or "2.1").
 *
 * @module
 */
import { countLines, type LfMemo, lineAt, precedingEol, usesBareCr } from "./_lines.ts";
import { getHeader, parseHeaderBlock } from "./header.ts";
import { parseContentValue, stripComments } from "./rfc2231.ts";
import { latin1 } from "./charset.ts";
import type { MimePart } from "./types.ts";

/** Nesting deeper than this (multipart and message levels) is treated as opaque. */
export const MAX_DEPTH = 64;
/** At most this many parts per message; the rest stays inside the last part. */
export const MAX_PARTS = 10_000;

interface Context {
  raw: Uint8Array;
  memo: LfMemo;
  parts: number;
}

const encoder = new TextEncoder();

/**
 * Parses a message into its MIME part tree. Every offset indexes `raw`.
 *
 * @example
 * ```ts
 * import { parseMime } from "./parse.ts";
 * const raw = new TextEncoder().encode("Subject: hi\r\n\r\nHello\r\n");
 * const root = parseMime(raw);
 * console.assert(root.type === "text" && root.bodyStart === 15);
 * ```
 *
 * @param raw the message bytes
 * @returns the root part (section "")
 */
export function parseMime(raw: Uint8Array): MimePart {
  const ctx: Context = {
    raw,
    memo: { from: 0, at: -2 },
    parts: 0,
  };
  const root = parseEntity(ctx, 0, raw.length, "", 0, false, true, true);
  // RFC 5322 §2.3: CR and LF occur only together; a lone CR is data, not a line ending (as in
  // Dovecot). Messages with bare-CR line endings (old Mac mail) are recorded as malformed.
  if (usesBareCr(raw)) root.defects.push("bare CR line endings (read as data)");
  return root;
}

/**
 * Parses one entity (header + body) spanning `[start, end)`.
 */
function parseEntity(
  ctx: Context,
  start: number,
  end: number,
  section: string,
  depth: number,
  inDigest: boolean,
  top: boolean,
  messageRoot: boolean,
): MimePart {
  ctx.parts++;
  const { raw } = ctx;
  const header = parseHeaderBlock(raw, start, end, { top, memo: ctx.memo });
  const part: MimePart = {
    section,
    headerStart: start,
    headerEnd: header.headerEnd,
    bodyStart: header.headerEnd,
    bodyEnd: end,
    headers: header.fields,
    type: "text",
    subtype: "plain",
    params: {},
    disposition: null,
    encoding: "7bit",
    contentId: null,
    description: null,
    language: null,
    location: null,
    md5: null,
    lines: 0,
    children: [],
    message: null,
    defects: header.defects,
  };
  applyContentHeaders(part, inDigest);

  if (part.type === "multipart") {
    if (depth >= MAX_DEPTH) {
      part.defects.push("nesting too deep: multipart treated as opaque");
      opaque(part);
    } else {
      const boundary = part.params["boundary"];
      if (boundary === undefined || boundary === "") {
        part.defects.push("multipart without boundary parameter");
        emptyChild(ctx, part);
      } else {
        // boundary='x' is the token `'x'` (RFC 2045 §5.1: the apostrophe is a token character).
        splitMultipart(ctx, part, boundary, depth);
        if (part.children.length === 0) {
          part.defects.push("multipart without any boundary line");
          emptyChild(ctx, part);
        }
      }
    }
  } else if (part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global")) {
    part.lines = countLines(raw, part.bodyStart, part.bodyEnd);
    if (!["7bit", "8bit", "binary"].includes(part.encoding)) {
      // RFC 2046 §5.2.1 allows no other encoding. The body is still read as the message (as
      // written, not decoded), as Dovecot does: a message/rfc822 part has an envelope, a body
      // structure and lines in BODYSTRUCTURE (RFC 9051 §7.5.2), and its offsets are its bytes'.
      part.defects.push(`message/${part.subtype} with ${part.encoding} encoding: read as written`);
    }
    if (depth >= MAX_DEPTH) {
      part.defects.push("nesting too deep: embedded message treated as opaque");
    } else {
      // A message/rfc822 part keeps its number for the embedded message (n.HEADER); a message
      // that is itself non-multipart has its body at <section>.1 (RFC 9051 §6.4.5).
      const inner = messageRoot ? (section === "" ? "1" : `${section}.1`) : section;
      part.message = parseEntity(ctx, part.bodyStart, part.bodyEnd, inner, depth + 1, false, true, true);
    }
  } else if (part.type === "text") {
    part.lines = countLines(raw, part.bodyStart, part.bodyEnd);
  }
  return part;
}

/**
 * A multipart without any delimiter line has no body part: its whole body is preamble (RFC 2046
 * §5.1.1), which is not shown. It stays a multipart of its declared subtype, with one empty part
 * (no header, no body; text/plain by the RFC 2045 §5.2 default) where the parts would be, since a
 * multipart has at least one part (RFC 2046 §5.1.1; RFC 9051 §9 body-type-mpart). This is how
 * Dovecot shows it.
 */
function emptyChild(ctx: Context, part: MimePart): void {
  const at = part.bodyEnd;
  const section = part.section === "" ? "1" : `${part.section}.1`;
  const child = parseEntity(ctx, at, at, section, MAX_DEPTH, false, false, false);
  part.children = [child];
}

function opaque(part: MimePart): void {
  part.type = "application";
  part.subtype = "octet-stream";
}

/** Fills type, parameters, disposition and the other RFC 2045 content fields from the header. */
function applyContentHeaders(part: MimePart, inDigest: boolean): void {
  const ct = getHeader(part, "content-type");
  let typed = false;
  if (ct !== null) {
    const parsed = parseContentValue(ct);
    const slash = parsed.value.indexOf("/");
    const type = slash < 0 ? parsed.value : parsed.value.slice(0, slash);
    let subtype = slash < 0 ? "" : parsed.value.slice(slash + 1);
    if (subtype === "") {
      // "text" alone and similar: pick the obvious subtype.
      subtype = type === "text" ? "plain" : type === "multipart" ? "mixed" : "";
      if (subtype !== "") part.defects.push("Content-Type without subtype");
    }
    if (/^[a-z0-9!#$%&'*+.^_`{|}~-]+$/.test(type) && /^[a-z0-9!#$%&'*+.^_`{|}~-]+$/.test(subtype)) {
      part.type = type;
      part.subtype = subtype;
      part.params = parsed.params;
      typed = true;
    } else {
      part.defects.push("invalid Content-Type");
    }
  }
  if (!typed) {
    // RFC 2045 §5.2 default, RFC 2046 §5.1.5 default inside multipart/digest.
    if (inDigest) {
      part.type = "message";
      part.subtype = "rfc822";
    } else {
      part.params = { charset: "us-ascii" };
    }
  }
  const cte = getHeader(part, "content-transfer-encoding");
  if (cte !== null) {
    const v = stripComments(cte).trim().toLowerCase();
    if (v !== "") part.encoding = v;
  }
  const cd = getHeader(part, "content-disposition");
  if (cd !== null) {
    const parsed = parseContentValue(cd);
    if (parsed.value !== "" || Object.keys(parsed.params).length > 0) part.disposition = parsed;
  }
  part.contentId = getHeader(part, "content-id");
  part.description = getHeader(part, "content-description");
  part.location = getHeader(part, "content-location");
  part.md5 = getHeader(part, "content-md5");
  const lang = getHeader(part, "content-language");
  if (lang !== null) {
    const tags = stripComments(lang).split(/[,\s]+/).filter((t) => t !== "");
    part.language = tags.length > 0 ? tags : null;
  }
}

const CONTENT_TYPE = encoder.encode("content-type:");

/**
 * Boundaries are 70 characters at most (RFC 2046 §5.1.1); a longer one is matched by its first 80
 * characters only, as Dovecot does (so that overlong boundaries that differ past that point are
 * one and the same).
 */
const BOUNDARY_MATCH_LENGTH = 80;

/** `--boundary`, the start of a delimiter line. */
function delimiterOf(boundary: string): Uint8Array {
  return encoder.encode("--" + boundary.slice(0, BOUNDARY_MATCH_LENGTH));
}

/**
 * At most this many levels of multiparts opened inside the one being split are tracked (each level
 * peeks at its parts' headers once more): splitting stays linear in the message size.
 */
const MAX_TRACKED = 8;

/** A multipart opened inside another one: its `--boundary`, and whether it is a digest. */
interface Nested {
  needle: Uint8Array;
  digest: boolean;
}

/**
 * The boundary of the multipart that the entity at `start` opens, or null: its own when it is a
 * multipart, else that of the message it embeds when it is a message/rfc822 or message/global
 * part (up to a few levels). A cheap peek: it reads header lines only up to a blank line, a line
 * starting with `--`, or 16 KiB, so that peeking at every part stays linear in the message size.
 */
function nestedBoundary(ctx: Context, start: number, end: number, inDigest: boolean): Nested | null {
  const { raw } = ctx;
  let at = start;
  let digest = inDigest;
  for (let level = 0; level < 4 && at < end; level++) {
    const limit = Math.min(end, at + 16384);
    let pos = at;
    let value: string | null = null;
    let inContentType = false;
    let blank = -1;
    while (pos < limit) {
      const line = lineAt(raw, pos, limit, false, ctx.memo);
      if (line.contentEnd === pos) {
        blank = line.next;
        break;
      }
      if (raw[pos] === 0x2d && raw[pos + 1] === 0x2d) break;
      const folded = raw[pos] === 0x20 || raw[pos] === 0x09;
      if (inContentType && folded) {
        value += latin1(raw.subarray(pos, line.contentEnd));
      } else if (!folded) {
        // The first Content-Type field is the one that counts.
        inContentType = value === null && startsWithCaseless(raw, pos, line.contentEnd, CONTENT_TYPE);
        if (inContentType) value = latin1(raw.subarray(pos + CONTENT_TYPE.length, line.contentEnd));
      }
      pos = line.next;
    }
    const parsed = value === null ? null : parseContentValue(value);
    const type = parsed?.value ?? (digest ? "message/rfc822" : "text/plain");
    if (type.startsWith("multipart/")) {
      const b = parsed?.params["boundary"];
      return b === undefined || b === ""
        ? null
        : { needle: delimiterOf(b), digest: type === "multipart/digest" };
    }
    if ((type !== "message/rfc822" && type !== "message/global") || blank < 0) return null;
    at = blank;
    digest = false;
  }
  return null;
}

function startsWithCaseless(raw: Uint8Array, at: number, end: number, lower: Uint8Array): boolean {
  if (at + lower.length > end) return false;
  for (let k = 0; k < lower.length; k++) if ((raw[at + k]! | 0x20) !== lower[k]) return false;
  return true;
}

/** True when `raw[at…]` starts with `needle` within `end`. */
function startsWith(raw: Uint8Array, at: number, end: number, needle: Uint8Array): boolean {
  if (at + needle.length > end || raw[at] !== 0x2d || raw[at + 1] !== 0x2d) return false;
  for (let k = 2; k < needle.length; k++) if (raw[at + k] !== needle[k]) return false;
  return true;
}

/**
 * True when the last line of `raw[from, lineEnd)` is a close delimiter `--X--` (optional trailing
 * whitespace) of a multipart opened inside the same range (an earlier line `--X`).
 */
function endsWithCloseDelimiter(raw: Uint8Array, from: number, lineEnd: number): boolean {
  let ls = lineEnd;
  while (ls > from && raw[ls - 1] !== 0x0a && raw[ls - 1] !== 0x0d) ls--;
  let e = lineEnd;
  while (e > ls && (raw[e - 1] === 0x20 || raw[e - 1] === 0x09)) e--;
  if (e - ls < 5 || raw[ls] !== 0x2d || raw[ls + 1] !== 0x2d || raw[e - 1] !== 0x2d || raw[e - 2] !== 0x2d) {
    return false;
  }
  const open = raw.subarray(ls, e - 2); // "--X"
  for (
    let p = raw.subarray(from, ls).indexOf(open[0]!);
    p >= 0 && from + p < ls;
    p = raw.subarray(from, ls).indexOf(open[0]!, p + 1)
  ) {
    const at = from + p;
    if (at > from && raw[at - 1] !== 0x0a && raw[at - 1] !== 0x0d) continue;
    let k = 0;
    while (k < open.length && raw[at + k] === open[k]) k++;
    if (k < open.length) continue;
    const next = raw[at + k];
    if (next === 0x0d || next === 0x0a || next === 0x20 || next === 0x09) return true;
  }
  return false;
}

/**
 * True when `part` embeds a message (message/rfc822 or global) whose header, or that of what
 * ends it in turn (a message it embeds, a last part left open by a missing close delimiter), runs
 * to `end` without an empty line.
 */
function headerRunsToEnd(part: MimePart, end: number): boolean {
  let entity = part.message;
  while (entity !== null) {
    if (
      entity.headerStart < end && entity.headerEnd === end &&
      entity.defects.includes("header not terminated by an empty line")
    ) return true;
    const last = entity.children.at(-1);
    entity = entity.message ?? (last !== undefined && last.bodyEnd === end ? last : null);
  }
  return false;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Splits a multipart body into children at its boundary delimiter lines (RFC 2046 §5.1.1). A
 * delimiter is `--boundary` at a line start followed by optional whitespace (transport padding);
 * the close delimiter adds `--`. The line ending before a delimiter belongs to it. A missing close
 * delimiter ends the last part at the end of the multipart (a defect).
 */
function splitMultipart(ctx: Context, part: MimePart, boundary: string, depth: number): void {
  const { raw } = ctx;
  const needle = delimiterOf(boundary);
  const start = part.bodyStart;
  const end = part.bodyEnd;
  // A view bounded to this body: searches never run past it (keeps parsing linear).
  const view = raw.subarray(start, end);
  const childInDigest = part.subtype === "digest";
  let pos = start;
  let partStart = -1;
  let closed = false;
  let limited = false;
  // Multiparts open inside the current part (innermost last), as Dovecot tracks them: a line
  // that starts with the delimiter of one of them is theirs, not ours.
  const open: Nested[] = [];
  // [part start, part end, start of the delimiter line that ends it (= part end when none)]
  const bounds: [number, number, number][] = [];
  // Visit line starts only: LF search is native and fast, and a delimiter must start a line.
  const nextLine = (p: number): number => {
    const f = view.indexOf(0x0a, p - start);
    return f < 0 ? end : start + f + 1;
  };
  const closes = (at: number): boolean => at + 2 <= end && raw[at] === 0x2d && raw[at + 1] === 0x2d;
  while (pos < end) {
    const idx = pos;
    if (raw[idx] !== 0x2d || raw[idx + 1] !== 0x2d) {
      pos = nextLine(idx);
      continue;
    }
    // A delimiter line starts with `--boundary`; what follows does not matter (RFC 2046 §5.1.1:
    // the boundary never starts a line of the content). Of the open multiparts (this one and those
    // opened inside it), the one with the longest delimiter that starts the line takes it, the
    // innermost on a tie (Dovecot's rule, which also covers a reused boundary).
    let k = -2;
    let longest = -1;
    if (startsWith(raw, idx, end, needle)) [k, longest] = [-1, needle.length];
    for (let i = 0; i < open.length; i++) {
      const n = open[i]!.needle;
      if (n.length >= longest && startsWith(raw, idx, end, n)) [k, longest] = [i, n.length];
    }
    if (k === -2) {
      pos = nextLine(idx);
      continue;
    }
    if (k >= 0) {
      const line = lineAt(raw, idx, end, false, ctx.memo);
      const nested = open[k]!;
      if (closes(idx + nested.needle.length)) {
        open.length = k;
      } else {
        open.length = k + 1;
        const inner = nestedBoundary(ctx, line.next, end, nested.digest);
        if (inner !== null && open.length < MAX_TRACKED) open.push(inner);
      }
      pos = line.next;
      continue;
    }
    const isClose = closes(idx + needle.length);
    const line = lineAt(raw, idx, end, false, ctx.memo);
    open.length = 0;
    let before = Math.max(precedingEol(raw, idx, start), partStart < 0 ? start : partStart);
    // The line ending before a delimiter belongs to it (RFC 2046 §5.1.1), except after a nested
    // multipart's close delimiter: that line was consumed whole, its ending with it (Dovecot's
    // reading, which IMAP clients see as part sizes and BODY[n] octets).
    if (partStart >= 0 && before < idx && endsWithCloseDelimiter(raw, partStart, before)) before = idx;
    if (partStart >= 0) {
      if (ctx.parts + bounds.length >= MAX_PARTS && !isClose) {
        limited = true;
        break;
      }
      bounds.push([partStart, before, idx]);
    }
    if (isClose) {
      closed = true;
      break;
    }
    partStart = line.next;
    pos = line.next;
    const inner = nestedBoundary(ctx, partStart, end, childInDigest);
    if (inner !== null) {
      if (bytesEqual(inner.needle, needle)) {
        part.defects.push("nested multipart reuses the boundary");
      }
      open.push(inner);
    }
  }
  if (partStart < 0) return;
  if (!closed) {
    bounds.push([partStart, end, end]);
    part.defects.push(limited ? "too many parts: the rest kept in the last part" : "missing close boundary");
  }
  let n = 0;
  for (const [s, e, delimiter] of bounds) {
    n++;
    const section = part.section === "" ? String(n) : `${part.section}.${n}`;
    const count = ctx.parts;
    let child = parseEntity(ctx, s, e, section, depth + 1, childInDigest, false, false);
    if (delimiter > e && headerRunsToEnd(child, e)) {
      // A header with no empty line before the delimiter (the part's own, or that of the message it
      // embeds): the line ending before the delimiter is read as the empty line that ends it, so
      // it belongs to the part (Dovecot reads the header up to an empty line, checking each line
      // for a delimiter; the CRLF before a delimiter, RFC 2046 §5.1.1, is then already read).
      ctx.parts = count;
      child = parseEntity(ctx, s, delimiter, section, depth + 1, childInDigest, false, false);
      child.defects.push("header ended by the line ending before the delimiter");
    }
    part.children.push(child);
  }
}
