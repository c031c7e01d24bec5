/**
 * Pure IMAP command parser: turns a framed command (lines and literals) into a tag, a command name
 * and a token tree. Generic over commands, strict on lexical rules (RFC 9051 §9): atoms, quoted
 * strings with `\\` and `\"` escapes, literals and literal8 at line ends only, nested lists with a
 * bounded depth, and FETCH section items `BODY[...]<o.c>`. Never throws: errors are values.
 *
 * @module
 */
import type { FramedCommand } from "./framer.ts";
import type { ListToken, ParsedCommand, Token } from "./tokens.ts";

/** Parser bounds. */
export interface ParseLimits {
  /** Maximum nesting of parenthesised lists. */
  maxDepth: number;
  /** Maximum number of tokens in one command. */
  maxTokens: number;
}

/** Defaults. */
export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxDepth: 32, maxTokens: 100_000 };

/** Outcome of parsing. */
export type ParseResult =
  | { ok: true; command: ParsedCommand }
  | { ok: false; tag: string; text: string; code?: "LIMIT" | "CLIENTBUG" };

/** Items whose name may be followed by a `[section]` (RFC 9051 §6.4.5, RFC 3516). */
const SECTION_ITEMS = new Set(["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"]);

class Fail extends Error {
  constructor(message: string, readonly code?: "LIMIT" | "CLIENTBUG") {
    super(message);
  }
}

const decoder = new TextDecoder();

function isAtomChar(c: number): boolean {
  // RFC 9051 §9: ATOM-CHAR excludes atom-specials; we also allow "]", "%" and "*" (ASTRING-CHAR,
  // list-wildcards, sequence sets) and "\" (flags) and leave the meaning to each command.
  return c > 0x20 && c !== 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x22;
}

class Cursor {
  line = 0;
  pos = 0;
  tokens = 0;
  constructor(readonly cmd: FramedCommand, readonly limits: ParseLimits) {}

  get bytes(): Uint8Array {
    return this.cmd.lines[this.line]!;
  }
  peek(): number {
    const b = this.bytes;
    return this.pos < b.length ? b[this.pos]! : -1;
  }
  atEnd(): boolean {
    return this.pos >= this.bytes.length && this.line === this.cmd.lines.length - 1;
  }
  count(): void {
    if (++this.tokens > this.limits.maxTokens) throw new Fail("Too many arguments", "LIMIT");
  }
}

function readAtomText(c: Cursor): string {
  const b = c.bytes;
  const start = c.pos;
  while (c.pos < b.length && isAtomChar(b[c.pos]!)) {
    // Section brackets are handled by the caller.
    if (b[c.pos] === 0x5b) break;
    c.pos++;
  }
  return decoder.decode(b.subarray(start, c.pos));
}

function readQuoted(c: Cursor): Token {
  const b = c.bytes;
  c.pos++; // opening quote
  const out: number[] = [];
  for (;;) {
    if (c.pos >= b.length) throw new Fail("Unterminated quoted string");
    const ch = b[c.pos++]!;
    if (ch === 0x22) break;
    if (ch === 0x5c) {
      const next = b[c.pos++];
      // RFC 9051 §9: quoted-specials only.
      if (next !== 0x22 && next !== 0x5c) throw new Fail("Invalid escape in quoted string");
      out.push(next);
      continue;
    }
    if (ch === 0x0d || ch === 0x0a || ch === 0) throw new Fail("Invalid character in quoted string");
    out.push(ch);
  }
  const bytes = Uint8Array.from(out);
  return { type: "string", value: decoder.decode(bytes), bytes, literal: false, binary: false };
}

function readLiteral(c: Cursor): Token {
  const b = c.bytes;
  let binary = false;
  if (b[c.pos] === 0x7e) {
    binary = true;
    c.pos++;
  }
  if (b[c.pos] !== 0x7b) throw new Fail("Invalid literal");
  let i = c.pos + 1;
  while (i < b.length && b[i] !== 0x7d) i++;
  // A literal header must end its line (the framer collected its payload).
  if (i !== b.length - 1) throw new Fail("Literal header must end the line");
  const lit = c.cmd.literals[c.line];
  if (!lit || c.line + 1 >= c.cmd.lines.length) throw new Fail("Missing literal data");
  if (!binary && lit.includes(0)) throw new Fail("NUL in literal; use literal8");
  c.line++;
  c.pos = 0;
  return { type: "string", value: decoder.decode(lit), bytes: lit, literal: true, binary };
}

function readSectionRest(c: Cursor, name: string): Token {
  const b = c.bytes;
  // At "[": read to the matching "]" (section-spec may hold a parenthesised header list).
  const start = ++c.pos;
  let depth = 0;
  while (c.pos < b.length) {
    const ch = b[c.pos]!;
    if (ch === 0x28) depth++;
    else if (ch === 0x29) depth--;
    else if (ch === 0x5d && depth === 0) break;
    else if (ch === 0x22) {
      // quoted header names inside HEADER.FIELDS lists
      c.pos++;
      while (c.pos < b.length && b[c.pos] !== 0x22) c.pos += b[c.pos] === 0x5c ? 2 : 1;
    }
    c.pos++;
  }
  if (c.pos >= b.length) throw new Fail("Unterminated section");
  const section = decoder.decode(b.subarray(start, c.pos));
  c.pos++;
  let partial: { origin: number; count: number | null } | undefined;
  if (b[c.pos] === 0x3c) {
    const end = b.indexOf(0x3e, c.pos);
    if (end < 0) throw new Fail("Unterminated partial");
    const m = /^(\d{1,10})(?:\.(\d{1,10}))?$/.exec(decoder.decode(b.subarray(c.pos + 1, end)));
    if (!m) throw new Fail("Invalid partial");
    const origin = Number(m[1]);
    const count = m[2] === undefined ? null : Number(m[2]);
    if (origin > 0xffffffff || (count !== null && (count > 0xffffffff || count === 0))) {
      throw new Fail("Invalid partial");
    }
    partial = { origin, count };
    c.pos = end + 1;
  }
  const next = c.peek();
  if (next !== -1 && next !== 0x20 && next !== 0x29) throw new Fail("Unexpected character after section");
  return partial ? { type: "atom", value: name, section, partial } : { type: "atom", value: name, section };
}

function readToken(c: Cursor, depth: number): Token {
  c.count();
  const ch = c.peek();
  if (ch === 0x28) {
    if (depth + 1 > c.limits.maxDepth) throw new Fail("Lists nested too deeply", "LIMIT");
    c.pos++;
    const list: ListToken = { type: "list", items: [] };
    if (c.peek() === 0x29) {
      c.pos++;
      return list;
    }
    for (;;) {
      list.items.push(readToken(c, depth + 1));
      const n = c.peek();
      if (n === 0x29) {
        c.pos++;
        return list;
      }
      if (n !== 0x20) throw new Fail(n === -1 ? "Unterminated list" : 'Expected space or ")" in list');
      c.pos++;
    }
  }
  if (ch === 0x22) return readQuoted(c);
  if (ch === 0x7b || (ch === 0x7e && c.bytes[c.pos + 1] === 0x7b)) return readLiteral(c);
  if (ch === -1) throw new Fail("Missing argument");
  const b = c.bytes;
  const start = c.pos;
  let text = readAtomText(c);
  if (c.peek() === 0x5b) {
    if (SECTION_ITEMS.has(text.toUpperCase())) return readSectionRest(c, text);
    // "[" is an ordinary ASTRING-CHAR elsewhere (e.g. "[Gmail]/Sent").
    while (c.pos < b.length && (isAtomChar(b[c.pos]!))) c.pos++;
    text = decoder.decode(b.subarray(start, c.pos));
  }
  if (text.length === 0) throw new Fail("Unexpected character");
  return { type: "atom", value: text };
}

function parseInner(cmd: FramedCommand, limits: ParseLimits): ParsedCommand {
  const c = new Cursor(cmd, limits);
  const first = cmd.lines[0]!;
  // Tag.
  let i = 0;
  while (i < first.length && first[i] !== 0x20) i++;
  const tag = decoder.decode(first.subarray(0, i));
  c.pos = i;
  if (c.peek() !== 0x20) throw new Fail("Missing command");
  c.pos++;
  const name = readAtomText(c).toUpperCase();
  if (!/^[A-Z][A-Z0-9-]*$/.test(name)) throw new Fail("Invalid command name");
  let uid = false;
  let cmdName = name;
  if (name === "UID") {
    if (c.peek() !== 0x20) throw new Fail("Missing UID command");
    c.pos++;
    cmdName = readAtomText(c).toUpperCase();
    uid = true;
    if (!/^[A-Z][A-Z0-9-]*$/.test(cmdName)) throw new Fail("Invalid UID command");
  }
  const args: Token[] = [];
  while (!c.atEnd()) {
    if (c.peek() !== 0x20) throw new Fail("Expected space between arguments");
    c.pos++;
    args.push(readToken(c, 0));
  }
  return { tag, name: cmdName, uid, args };
}

/** Parses one framed command. */
export function parseCommand(cmd: FramedCommand, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  const first = cmd.lines[0] ?? new Uint8Array(0);
  let tagEnd = 0;
  while (tagEnd < first.length && first[tagEnd] !== 0x20) tagEnd++;
  const tagBytes = first.subarray(0, tagEnd);
  // RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">
  let validTag = tagBytes.length > 0 && tagBytes.length <= 64;
  for (const b of tagBytes) {
    if (!isAtomChar(b) || b === 0x2b || b === 0x25 || b === 0x2a || b === 0x5c) validTag = false;
  }
  if (!validTag) return { ok: false, tag: "*", text: "Invalid or missing tag" };
  const tag = decoder.decode(tagBytes);
  try {
    return { ok: true, command: parseInner(cmd, limits) };
  } catch (e) {
    if (e instanceof Fail) {
      return e.code ? { ok: false, tag, text: e.message, code: e.code } : { ok: false, tag, text: e.message };
    }
    return { ok: false, tag, text: "Syntax error" };
  }
}
