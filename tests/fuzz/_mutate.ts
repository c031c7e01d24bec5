/**
 * The wire fuzzer's mutations (not a test file): a seeded PRNG and byte-level mutators over the
 * commands of a valid scripted session: bit flips, truncation, duplication and splicing of
 * commands, huge tokens, CR/LF/NUL injection, random IMAP literal sizes, unicode and invalid UTF-8.
 * Everything is a pure function of the seed, so a failing connection is replayed from its seed.
 *
 * @module
 */

const enc = new TextEncoder();

/** A small seeded PRNG (mulberry32): same seed, same sequence. */
export class Rng {
  #s: number;
  /** @param seed any 32-bit integer */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const UNICODE = [
  "é",
  "日本語",
  "🦜",
  "\u202e",
  "\u0000",
  "\ufeff",
  "Ω≈ç√",
  "\u00a0",
  "\ud800", // lone surrogate (encodes as U+FFFD)
];
/** Byte sequences that are not valid UTF-8 (overlong, stray continuation, 0xFF). */
const INVALID_UTF8 = [[0xc0, 0xaf], [0x80], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]];
const INJECT = ["\r", "\n", "\r\n", "\0", "\r\r\n", "\n.\n", "\r\n.\r\n", " ", "\t", "\x1b[2J", "\x7f"];
const HUGE_CHARS = ["A", "(", ")", "[", "{", '"', "\\", "1", "9", "*", " ", "%", ",", "<", ".", "="];

/** Mutation names (printed with failing inputs). */
export type MutationName =
  | "flip"
  | "truncate"
  | "duplicate"
  | "splice"
  | "huge"
  | "inject"
  | "literal"
  | "unicode"
  | "delete"
  | "token"
  | "number";

/** One mutated input and how it was made. */
export interface Mutated {
  bytes: Uint8Array;
  how: MutationName[];
}

function insertAt(b: Uint8Array, at: number, ins: Uint8Array, replace = 0): Uint8Array {
  return concat([b.subarray(0, at), ins, b.subarray(Math.min(b.length, at + replace))]);
}

/**
 * Mutates `command` (one command of a session, with its CRLF) one to three times.
 * `others` are the session's other commands (for splicing); `tokens` protocol words to insert.
 */
export function mutate(
  rng: Rng,
  command: Uint8Array,
  others: readonly Uint8Array[],
  tokens: readonly string[],
): Mutated {
  let b = command;
  const how: MutationName[] = [];
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(b.length + 1);
    const kind = rng.pick<MutationName>([
      "flip",
      "flip",
      "truncate",
      "duplicate",
      "splice",
      "huge",
      "inject",
      "inject",
      "literal",
      "unicode",
      "delete",
      "token",
      "token",
      "number",
    ]);
    how.push(kind);
    switch (kind) {
      case "flip": {
        b = b.slice();
        const n = 1 + rng.int(4);
        for (let i = 0; i < n && b.length > 0; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      }
      case "truncate":
        // Sometimes keep the line ending, so the truncated command is still a complete line.
        b = rng.chance(0.5) ? b.subarray(0, at) : concat([b.subarray(0, at), enc.encode("\r\n")]);
        break;
      case "duplicate": {
        const times = 2 + rng.int(rng.chance(0.1) ? 60 : 4);
        b = concat(Array.from({ length: times }, () => b));
        break;
      }
      case "splice": {
        const other = rng.pick(others);
        b = concat([b.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
        break;
      }
      case "huge": {
        const size = rng.pick([256, 1000, 4096, 65_536, 70_000, 200_000, 1_100_000]);
        b = insertAt(b, at, enc.encode(rng.pick(HUGE_CHARS).repeat(size)));
        break;
      }
      case "inject":
        b = insertAt(b, at, enc.encode(rng.pick(INJECT)), rng.int(2));
        break;
      case "literal": {
        const n = rng.pick([0, 1, 5, 100, 4096, 70_000, 52_428_801, 4_294_967_296, 99_999_999_999_999]);
        const form = rng.pick(["{N}", "{N+}", "~{N}", "~{N+}", "{N-}", "{-N}", "{N}\r\n"]);
        b = insertAt(b, at, enc.encode(form.replace("N", String(n)) + "\r\n" + "x".repeat(Math.min(n, 64))));
        break;
      }
      case "unicode":
        b = insertAt(
          b,
          at,
          rng.chance(0.5) ? enc.encode(rng.pick(UNICODE)) : new Uint8Array(rng.pick(INVALID_UTF8)),
          rng.int(2),
        );
        break;
      case "delete": {
        const len = 1 + rng.int(Math.max(1, b.length - at));
        b = concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case "token":
        b = insertAt(b, at, enc.encode(" " + rng.pick(tokens) + " "));
        break;
      case "number":
        b = insertAt(
          b,
          at,
          enc.encode(
            rng.pick([
              "0",
              "-1",
              "4294967295",
              "4294967296",
              "18446744073709551616",
              "1e309",
              "NaN",
              "00001",
            ]),
          ),
          rng.int(3),
        );
        break;
    }
  }
  return { bytes: b, how };
}

/** Printable form of an input for failure messages (long runs shortened). */
export function show(bytes: Uint8Array): string {
  const text = JSON.stringify(new TextDecoder().decode(bytes));
  return text.length > 600 ? `${text.slice(0, 300)}…(${bytes.length} bytes)…${text.slice(-200)}` : text;
}
