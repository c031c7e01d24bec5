/**
 * Removal of incoming Authentication-Results header fields that claim to come from us (RFC 8601
 * §5: a border MTA MUST delete, or rename, fields bearing its own authserv-id, since only it may
 * have written them). Pure functions over the header bytes, plus a `MessageSource` that serves
 * the cleaned header section in front of the untouched body.
 *
 * @module
 */
import type { MessageSource } from "../delivery/spool.ts";
import { concat } from "../delivery/spool.ts";

const latin1 = new TextDecoder("latin1");

/** Offset just past the blank line ending the header section in `head`, or -1 when not found. */
export function headerEnd(head: Uint8Array): number {
  // RFC 5322 §2.1: a message whose first line is empty has an empty header section.
  if (head[0] === 0x0a) return 1;
  if (head[0] === 0x0d && head[1] === 0x0a) return 2;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0x0a) continue;
    if (head[i + 1] === 0x0a) return i + 2;
    if (head[i + 1] === 0x0d && head[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/**
 * The authserv-id of an Authentication-Results value (RFC 8601 §2.2: the first token, optionally
 * followed by a version number), lowercased; CFWS comments skipped.
 */
export function authservId(value: string): string {
  const v = value.replace(/\r?\n[ \t]/g, " ").replace(/\([^()]*\)/g, " ").trim();
  const m = /^"((?:[^"\\]|\\.)*)"|^([^\s;]+)/.exec(v);
  if (!m) return "";
  return (m[1] ?? m[2] ?? "").replace(/\\(.)/g, "$1").toLowerCase();
}

/**
 * The header section without the Authentication-Results fields (and ARC-less "X-" variants are
 * left alone) whose authserv-id is `ourId`; null when there is none to remove.
 */
export function stripForgedResults(header: Uint8Array, ourId: string): Uint8Array | null {
  const id = ourId.toLowerCase();
  // Split into fields: a field starts at a line not beginning with WSP.
  const starts: number[] = [];
  for (let i = 0; i < header.length; i++) {
    if (i === 0 || header[i - 1] === 0x0a) {
      const c = header[i];
      if (c !== 0x20 && c !== 0x09) starts.push(i);
    }
  }
  starts.push(header.length);
  const keep: Uint8Array[] = [];
  let removed = false;
  let size = 0;
  for (let k = 0; k + 1 < starts.length; k++) {
    const field = header.subarray(starts[k]!, starts[k + 1]!);
    const text = latin1.decode(field.subarray(0, Math.min(field.length, 4096)));
    const m = /^authentication-results[ \t]*:(.*)$/is.exec(text);
    if (m && authservId(m[1]!) === id) {
      removed = true;
      continue;
    }
    keep.push(field);
    size += field.length;
  }
  return removed ? concat(keep, size) : null;
}

/**
 * `message` with forged Authentication-Results fields removed, or `message` itself when there are
 * none (or when the header section does not fit in `head()`, which then is left as it came).
 */
export function withoutForgedResults(message: MessageSource, ourId: string): MessageSource {
  const head = message.head();
  const end = headerEnd(head);
  if (end === -1) return message;
  const cleaned = stripForgedResults(head.subarray(0, end), ourId);
  if (cleaned === null) return message;
  return new ReplacedHeader(message, end, cleaned);
}

/** `message` with its first `cut` bytes (its header section) replaced by `header` (also used by core/spam). */
export function withHeader(message: MessageSource, cut: number, header: Uint8Array): MessageSource {
  return new ReplacedHeader(message, cut, header);
}

/** A message whose first `cut` bytes are replaced by `header`. */
class ReplacedHeader implements MessageSource {
  readonly #inner: MessageSource;
  readonly #cut: number;
  readonly #header: Uint8Array;

  constructor(inner: MessageSource, cut: number, header: Uint8Array) {
    this.#inner = inner;
    this.#cut = cut;
    this.#header = header;
  }

  get size(): number {
    return this.#inner.size - this.#cut + this.#header.length;
  }

  head(): Uint8Array {
    const h = this.#inner.head();
    return concat([this.#header, h.subarray(this.#cut)], this.#header.length + h.length - this.#cut);
  }

  bytes(): Uint8Array | null {
    const b = this.#inner.bytes();
    if (b === null) return null;
    return concat([this.#header, b.subarray(this.#cut)], this.#header.length + b.length - this.#cut);
  }

  async stream(): Promise<ReadableStream<Uint8Array>> {
    const source = await this.#inner.stream();
    let skip = this.#cut;
    const header = this.#header;
    return source.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        start(c) {
          c.enqueue(header);
        },
        transform(chunk, c) {
          if (skip >= chunk.length) {
            skip -= chunk.length;
            return;
          }
          c.enqueue(skip > 0 ? chunk.subarray(skip) : chunk);
          skip = 0;
        },
      }),
    );
  }
}
