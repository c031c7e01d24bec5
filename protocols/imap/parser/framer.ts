/**
 * Incremental IMAP command framing (RFC 9051 §2.2, §4.3): bytes in, whole commands out. A command
 * is one or more lines separated by literals; the framer finds the literal headers (`{n}`, `{n+}`,
 * `~{n}`) at line ends, collects the literal bytes and tells the session when a synchronising
 * literal needs a `+` continuation. It never performs I/O and every buffer is bounded.
 *
 * @module
 */

/** Limits applied while framing. */
export interface FramerLimits {
  /** Maximum bytes of command text (all lines of one command, literals excluded). */
  maxLine: number;
  /** Maximum size of one literal. */
  maxLiteral: number;
  /** Maximum number of literals in one command (MULTIAPPEND). */
  maxLiterals: number;
  /** Maximum total literal bytes of one command. */
  maxCommandBytes: number;
}

/** Defaults used when a limit is not given. */
export const DEFAULT_FRAMER_LIMITS: FramerLimits = {
  maxLine: 64 * 1024,
  maxLiteral: 64 * 1024 * 1024,
  maxLiterals: 1000,
  maxCommandBytes: 256 * 1024 * 1024,
};

/** A complete command: `lines.length === literals.length + 1`. */
export interface FramedCommand {
  /** Command text lines without their CRLF; every line but the last ends with a literal header. */
  lines: Uint8Array[];
  /** Literal payloads, in order. */
  literals: Uint8Array[];
}

/** What the framer has for the caller. */
export type FrameResult =
  | { type: "command"; command: FramedCommand }
  | { type: "needMore" }
  /** A literal header was seen; for `sync` ones the session must send `+ Ready for literal data`. */
  | { type: "literal"; size: number; sync: boolean; binary: boolean; tag: string }
  /** A bound was exceeded; reply tagged with `code` (or untagged when tag is "*"); the framer recovered. */
  | { type: "error"; tag: string; code: "TOOBIG" | "LIMIT" | "PARSE"; text: string };

/** Result of reading one raw line (AUTHENTICATE responses, IDLE's DONE). */
export type RawLineResult = { type: "line"; line: Uint8Array } | { type: "needMore" } | { type: "tooLong" };

const LF = 0x0a;
const CR = 0x0d;

type Mode =
  | { kind: "line" }
  | { kind: "literal"; remaining: number; parts: Uint8Array[] }
  | { kind: "skip"; remaining: number }
  | { kind: "discardLine"; thenCommand: boolean };

/** Extracts the tag of a (possibly partial) command line for error replies. */
export function extractTag(line: Uint8Array): string {
  let end = 0;
  while (end < line.length && end < 64) {
    const c = line[end]!;
    // RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">
    if (
      c <= 0x20 || c >= 0x7f || c === 0x2b || c === 0x28 || c === 0x29 || c === 0x7b || c === 0x22 ||
      c === 0x25 || c === 0x2a || c === 0x5c
    ) break;
    end++;
  }
  if (end === 0 || (end < line.length && line[end] !== 0x20)) return "*";
  return new TextDecoder().decode(line.subarray(0, end));
}

/** Parses a literal header at the end of a line: `{n}`, `{n+}`, `~{n}`, `~{n+}`. */
export function literalHeader(
  line: Uint8Array,
): { size: number; sync: boolean; binary: boolean; headerStart: number } | null {
  const n = line.length;
  if (n < 3 || line[n - 1] !== 0x7d) return null;
  let i = n - 2;
  let sync = true;
  if (line[i] === 0x2b) {
    sync = false;
    i--;
  }
  let digits = 0;
  let size = 0;
  let mul = 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) {
    size += (line[i]! - 0x30) * mul;
    mul *= 10;
    digits++;
    i--;
  }
  // RFC 9051 §9: number = 1*DIGIT (a 32-bit value); 10 digits is the most we accept.
  if (digits === 0 || digits > 10 || i < 0 || line[i] !== 0x7b) return null;
  let headerStart = i;
  let binary = false;
  if (i > 0 && line[i - 1] === 0x7e) {
    binary = true;
    headerStart = i - 1;
  }
  return { size, sync, binary, headerStart };
}

/** The incremental framer. Feed bytes with `push`, then call `next` until it says `needMore`. */
export class CommandFramer {
  #limits: FramerLimits;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #lines: Uint8Array[] = [];
  #literals: Uint8Array[] = [];
  #textBytes = 0;
  #literalBytes = 0;
  #mode: Mode = { kind: "line" };
  #tag = "*";
  /** A synchronising literal has just been received in full and nothing after it yet. */
  #afterSyncLiteral = false;
  /** Whether the literal being read is a synchronising one. */
  #literalSync = false;

  /**
   * Creates a framer.
   *
   * @param limits bounds; missing ones take `DEFAULT_FRAMER_LIMITS`.
   */
  constructor(limits: Partial<FramerLimits> = {}) {
    this.#limits = { ...DEFAULT_FRAMER_LIMITS, ...limits };
  }

  /** Changes limits (raised after login; small before it, RFC 7888 §4). */
  setLimits(limits: Partial<FramerLimits>): void {
    this.#limits = { ...this.#limits, ...limits };
  }

  /** Bytes received but not consumed yet. */
  get buffered(): number {
    return this.#buf.length - this.#pos;
  }

  /** True when a command is partially received (lines or literals pending). */
  get inCommand(): boolean {
    return this.#lines.length > 0 || this.#mode.kind !== "line";
  }

  /**
   * True once per synchronising literal when it has been received in full and the client has not
   * sent the rest of its command in the bytes buffered so far (the client stalled after the literal,
   * as Python's imaplib does when Nagle holds back its closing CRLF). Reading clears it.
   */
  takeStallAfterSyncLiteral(): boolean {
    const stalled = this.#afterSyncLiteral && this.buffered === 0 && this.#mode.kind === "line";
    this.#afterSyncLiteral = false;
    return stalled;
  }

  /** Adds received bytes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#mode.kind !== "literal") this.#afterSyncLiteral = false;
    const mode = this.#mode;
    // Large literal bodies go straight into their parts list instead of the line buffer.
    if (mode.kind === "literal" && this.#pos >= this.#buf.length) {
      const take = Math.min(mode.remaining, chunk.length);
      mode.parts.push(chunk.slice(0, take));
      mode.remaining -= take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    } else if (mode.kind === "skip" && this.#pos >= this.#buf.length) {
      const take = Math.min(mode.remaining, chunk.length);
      mode.remaining -= take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    const rest = this.#buf.length - this.#pos;
    const merged = new Uint8Array(rest + chunk.length);
    merged.set(this.#buf.subarray(this.#pos), 0);
    merged.set(chunk, rest);
    this.#buf = merged;
    this.#pos = 0;
  }

  /** Drops every buffered byte (STARTTLS: RFC 9051 §6.2.1) and any partial command. Returns how many. */
  discardBuffered(): number {
    const n = this.buffered;
    this.#buf = new Uint8Array(0);
    this.#pos = 0;
    this.#reset();
    return n;
  }

  /** Removes and returns every buffered byte (COMPRESS: they belong to the DEFLATE stream, RFC 4978 §3). */
  takeBuffered(): Uint8Array {
    const rest = this.#buf.slice(this.#pos);
    this.#buf = new Uint8Array(0);
    this.#pos = 0;
    return rest;
  }

  #reset(): void {
    this.#lines = [];
    this.#literals = [];
    this.#textBytes = 0;
    this.#literalBytes = 0;
    this.#mode = { kind: "line" };
    this.#tag = "*";
    this.#afterSyncLiteral = false;
  }

  /** Reads one raw line (no literal processing). Used for AUTHENTICATE continuations and DONE. */
  nextRawLine(): RawLineResult {
    if (this.#mode.kind === "discardLine") {
      const r = this.next();
      if (r.type !== "needMore") return { type: "tooLong" };
      return r;
    }
    const idx = this.#buf.indexOf(LF, this.#pos);
    if (idx < 0) {
      if (this.buffered > this.#limits.maxLine) {
        this.#mode = { kind: "discardLine", thenCommand: false };
        this.#pos = this.#buf.length;
        return { type: "tooLong" };
      }
      return { type: "needMore" };
    }
    let end = idx;
    if (end > this.#pos && this.#buf[end - 1] === CR) end--;
    const line = this.#buf.slice(this.#pos, end);
    this.#pos = idx + 1;
    if (line.length > this.#limits.maxLine) return { type: "tooLong" };
    return { type: "line", line };
  }

  /** Advances the framing state machine. */
  next(): FrameResult {
    for (;;) {
      const mode = this.#mode;
      const avail = this.#buf.length - this.#pos;
      if (mode.kind === "literal") {
        if (mode.remaining > 0) {
          if (avail === 0) return { type: "needMore" };
          const take = Math.min(mode.remaining, avail);
          mode.parts.push(this.#buf.slice(this.#pos, this.#pos + take));
          this.#pos += take;
          mode.remaining -= take;
          if (mode.remaining > 0) return { type: "needMore" };
        }
        this.#literals.push(concat(mode.parts));
        this.#mode = { kind: "line" };
        this.#afterSyncLiteral = this.#literalSync;
        continue;
      }
      if (mode.kind === "skip") {
        const take = Math.min(mode.remaining, avail);
        this.#pos += take;
        mode.remaining -= take;
        if (mode.remaining > 0) return { type: "needMore" };
        this.#mode = { kind: "discardLine", thenCommand: true };
        continue;
      }
      const idx = this.#buf.indexOf(LF, this.#pos);
      if (mode.kind === "discardLine") {
        if (idx < 0) {
          this.#pos = this.#buf.length;
          return { type: "needMore" };
        }
        const line = this.#buf.subarray(
          this.#pos,
          idx > this.#pos && this.#buf[idx - 1] === CR ? idx - 1 : idx,
        );
        this.#pos = idx + 1;
        // The rest of a rejected command may carry further non-synchronising literals: skip them too.
        const lit = mode.thenCommand ? literalHeader(line) : null;
        if (lit && !lit.sync) {
          this.#mode = { kind: "skip", remaining: lit.size };
          continue;
        }
        this.#reset();
        continue;
      }
      // Line mode.
      if (idx < 0) {
        if (avail + this.#textBytes > this.#limits.maxLine) {
          const tag = this.#lines.length > 0 ? this.#tag : extractTag(this.#buf.subarray(this.#pos));
          this.#pos = this.#buf.length;
          this.#lines = [];
          this.#literals = [];
          this.#mode = { kind: "discardLine", thenCommand: true };
          return { type: "error", tag, code: "TOOBIG", text: "Command line too long" };
        }
        if (this.#pos > 0 && this.#pos === this.#buf.length) {
          this.#buf = new Uint8Array(0);
          this.#pos = 0;
        }
        return { type: "needMore" };
      }
      let end = idx;
      if (end > this.#pos && this.#buf[end - 1] === CR) end--;
      const line = this.#buf.slice(this.#pos, end);
      this.#pos = idx + 1;
      if (this.#lines.length === 0) this.#tag = extractTag(line);
      const tag = this.#tag;
      this.#textBytes += line.length;
      if (this.#textBytes > this.#limits.maxLine) {
        const lit = literalHeader(line);
        this.#reset();
        if (lit && !lit.sync) this.#mode = { kind: "skip", remaining: lit.size };
        return { type: "error", tag, code: "TOOBIG", text: "Command line too long" };
      }
      this.#lines.push(line);
      const lit = literalHeader(line);
      if (!lit) {
        const command = { lines: this.#lines, literals: this.#literals };
        this.#reset();
        return { type: "command", command };
      }
      // RFC 7888 §4 / RFC 9051 §7.1: literals over our bound get a tagged reply with a response code;
      // a synchronising one is never sent by the client, a non-synchronising one is read and dropped.
      const over = lit.size > this.#limits.maxLiteral ||
        this.#literalBytes + lit.size > this.#limits.maxCommandBytes;
      const tooMany = this.#literals.length + 1 > this.#limits.maxLiterals;
      if (over || tooMany) {
        this.#reset();
        if (!lit.sync) this.#mode = { kind: "skip", remaining: lit.size };
        return over
          ? { type: "error", tag, code: "TOOBIG", text: "Literal too large" }
          : { type: "error", tag, code: "LIMIT", text: "Too many literals" };
      }
      this.#literalBytes += lit.size;
      this.#mode = { kind: "literal", remaining: lit.size, parts: [] };
      this.#literalSync = lit.sync;
      return { type: "literal", size: lit.size, sync: lit.sync, binary: lit.binary, tag };
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
