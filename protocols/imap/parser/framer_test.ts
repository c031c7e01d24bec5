import assert from "node:assert/strict";
import fc from "fast-check";
import { CommandFramer, type FrameResult, literalHeader } from "./framer.ts";
import { parseCommand } from "./command_parser.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `input` in chunks of `size` and collects every non-needMore result. */
function frameAll(input: Uint8Array, size: number, limits = {}): FrameResult[] {
  const f = new CommandFramer(limits);
  const out: FrameResult[] = [];
  for (let o = 0; o < input.length; o += size) {
    f.push(input.subarray(o, o + size));
    for (let r = f.next(); r.type !== "needMore"; r = f.next()) out.push(r);
  }
  return out;
}

function describe(results: FrameResult[]): string[] {
  return results.map((r) => {
    if (r.type === "command") {
      return "C:" + r.command.lines.map((l) => dec.decode(l)).join("|") + "#" +
        r.command.literals.map((l) => dec.decode(l)).join("|");
    }
    if (r.type === "literal") return `L:${r.size}:${r.sync}:${r.binary}`;
    if (r.type === "error") return `E:${r.tag}:${r.code}`;
    return "?";
  });
}

const SCRIPT = "a1 LOGIN {4}\r\nuser {6+}\r\nsecret\r\n" +
  "a2 APPEND INBOX (\\Seen) {12}\r\nhello\r\nworld\r\n" +
  "a3 FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)\n" +
  "a4 APPEND INBOX ~{3}\r\na\u0000b\r\n" +
  "a5 NOOP\r\n";

Deno.test("CommandFramer frames the same commands at every chunk size 1..512", () => {
  const input = enc.encode(SCRIPT);
  const expected = describe(frameAll(input, input.length));
  assert.deepEqual(expected, [
    "L:4:true:false",
    "L:6:false:false",
    "C:a1 LOGIN {4}| {6+}|#user|secret",
    "L:12:true:false",
    "C:a2 APPEND INBOX (\\Seen) {12}|#hello\r\nworld",
    "C:a3 FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)#",
    "L:3:true:true",
    "C:a4 APPEND INBOX ~{3}|#a\u0000b",
    "C:a5 NOOP#",
  ]);
  for (let size = 1; size <= 512; size++) {
    assert.deepEqual(describe(frameAll(input, size)), expected, `chunk size ${size}`);
  }
});

Deno.test("CommandFramer rejects an over-long line and recovers", () => {
  const input = enc.encode("a1 NOOP " + "x".repeat(200) + "\r\na2 NOOP\r\n");
  for (let size = 1; size <= 512; size++) {
    const got = describe(frameAll(input, size, { maxLine: 100 }));
    assert.deepEqual(got, ["E:a1:TOOBIG", "C:a2 NOOP#"], `chunk size ${size}`);
  }
});

Deno.test("CommandFramer rejects a too-large literal; skips non-synchronising data", () => {
  const sync = describe(frameAll(enc.encode("a1 APPEND INBOX {500}\r\na2 NOOP\r\n"), 7, { maxLiteral: 100 }));
  assert.deepEqual(sync, ["E:a1:TOOBIG", "C:a2 NOOP#"]);
  const body = "y".repeat(500);
  const input = enc.encode(`a1 APPEND INBOX {500+}\r\n${body}\r\na2 NOOP\r\n`);
  for (const size of [1, 3, 64, 499, 512]) {
    assert.deepEqual(describe(frameAll(input, size, { maxLiteral: 100 })), ["E:a1:TOOBIG", "C:a2 NOOP#"]);
  }
});

Deno.test("CommandFramer bounds the number of literals", () => {
  const got = describe(
    frameAll(enc.encode("a1 X {1+}\r\na {1+}\r\nb {1+}\r\nc\r\na2 NOOP\r\n"), 5, { maxLiterals: 2 }),
  );
  assert.deepEqual(got.at(-1), "C:a2 NOOP#");
  assert.ok(got.includes("E:a1:LIMIT"));
});

Deno.test("literalHeader recognises literal forms only at the end", () => {
  assert.deepEqual(literalHeader(enc.encode("x {12}")), {
    size: 12,
    sync: true,
    binary: false,
    headerStart: 2,
  });
  assert.deepEqual(literalHeader(enc.encode("x ~{3+}")), {
    size: 3,
    sync: false,
    binary: true,
    headerStart: 2,
  });
  assert.equal(literalHeader(enc.encode("x {}")), null);
  assert.equal(literalHeader(enc.encode("x {12345678901}")), null);
  assert.equal(literalHeader(enc.encode("x 12}")), null);
});

Deno.test("CommandFramer and parseCommand never throw on arbitrary bytes", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.constantFrom(
            "{3}\r\n",
            "{2+}\r\n",
            "~{1}\r\n",
            "\r\n",
            "(",
            ")",
            '"',
            "\\",
            "[",
            "]",
            "<1.2>",
            " ",
          ),
        ),
        { maxLength: 30 },
      ),
      fc.integer({ min: 1, max: 64 }),
      (parts, chunk) => {
        const bytes = parts.map((p) => typeof p === "string" ? enc.encode(p) : p);
        const total = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
        let o = 0;
        for (const b of bytes) {
          total.set(b, o);
          o += b.length;
        }
        for (const r of frameAll(total, chunk, { maxLine: 200, maxLiteral: 50 })) {
          if (r.type === "command") parseCommand(r.command);
        }
      },
    ),
    { numRuns: 500 },
  );
});

/** Pushes `parts` one at a time, running `next` to needMore after each; returns the stall flags seen. */
function stalls(parts: string[]): boolean[] {
  const f = new CommandFramer();
  return parts.map((p) => {
    f.push(enc.encode(p));
    while (f.next().type !== "needMore") { /* drain */ }
    return f.takeStallAfterSyncLiteral();
  });
}

Deno.test("CommandFramer reports a stall once, only after a whole synchronising literal with nothing after it", () => {
  // imaplib: line, literal, then its CRLF in a separate write.
  assert.deepEqual(stalls(["a1 APPEND INBOX {5}\r\n", "hello", "\r\n"]), [false, true, false]);
  // The literal in two reads: only its end counts.
  assert.deepEqual(stalls(["a1 APPEND INBOX {5}\r\n", "hel", "lo", "\r\n"]), [false, false, true, false]);
  // The CRLF (or the rest of the line) arrives with the literal: no stall.
  assert.deepEqual(stalls(["a1 APPEND INBOX {5}\r\n", "hello\r\n"]), [false, false]);
  assert.deepEqual(stalls(["a1 APPEND INBOX {5}\r\n", "hello {3}"]), [false, false]);
  // A non-synchronising literal (RFC 7888) never had a "+": no stall.
  assert.deepEqual(stalls(["a1 APPEND INBOX {5+}\r\nhello", "\r\n"]), [false, false]);
  assert.deepEqual(stalls(["a1 APPEND INBOX {5+}\r\n", "hello", "\r\n"]), [false, false, false]);
  // Asked twice without new bytes: reported once.
  const f = new CommandFramer();
  f.push(enc.encode("a1 APPEND INBOX {2}\r\n"));
  assert.equal(f.next().type, "literal");
  f.push(enc.encode("hi"));
  assert.equal(f.next().type, "needMore");
  assert.equal(f.takeStallAfterSyncLiteral(), true);
  assert.equal(f.next().type, "needMore");
  assert.equal(f.takeStallAfterSyncLiteral(), false);
});
