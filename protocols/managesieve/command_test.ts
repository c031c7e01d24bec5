/**
 * The ManageSieve command reader (RFC 5804 §4): strings, literals and numbers; bad input becomes
 * an error result, never an exception, and the reader stays in step (fast-check over byte streams).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteReader } from "../../core/net/reader.ts";
import { formatString, readCommand, response } from "./command.ts";

const enc = new TextEncoder();

function reader(chunks: Uint8Array[]): ByteReader {
  let i = 0;
  return new ByteReader({ read: () => Promise.resolve(i < chunks.length ? chunks[i++]! : null) });
}

Deno.test("managesieve readCommand: quoted strings with escapes, literals (+ and synchronizing), numbers", async () => {
  const r = reader([
    enc.encode('putscript "a\\"b\\\\" {5+}\r\nkeep;\r\nHAVESPACE "x" 123\r\nNOOP {3}\r\nabc\r\n'),
  ]);
  assert.deepEqual(await readCommand(r, 100), {
    ok: true,
    verb: "PUTSCRIPT",
    args: [{ kind: "string", value: 'a"b\\' }, { kind: "string", value: "keep;" }],
  });
  assert.deepEqual(await readCommand(r, 100), {
    ok: true,
    verb: "HAVESPACE",
    args: [{ kind: "string", value: "x" }, { kind: "number", value: 123 }],
  });
  assert.deepEqual(await readCommand(r, 100), {
    ok: true,
    verb: "NOOP",
    args: [{ kind: "string", value: "abc" }],
  });
  assert.equal(await readCommand(r, 100), null);
});

Deno.test("managesieve readCommand: a literal over the limit is read and dropped, the next command is intact", async () => {
  const r = reader([enc.encode(`PUTSCRIPT "big" {20+}\r\n${"x".repeat(20)}\r\nNOOP\r\n`)]);
  assert.deepEqual(await readCommand(r, 10), { ok: false, error: "Literal too big", tooBig: true });
  assert.deepEqual(await readCommand(r, 10), { ok: true, verb: "NOOP", args: [] });
});

Deno.test("managesieve formatString and response: quoted with escapes, literal for CR/LF", () => {
  assert.equal(formatString('say "hi" \\ there'), '"say \\"hi\\" \\\\ there"');
  assert.equal(formatString("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  assert.equal(response("NO", "gone", "NONEXISTENT"), 'NO (NONEXISTENT) "gone"\r\n');
  assert.equal(response("OK"), "OK\r\n");
});

Deno.test("managesieve readCommand fuzz: any bytes give commands, errors or the end, never an exception", async () => {
  const piece = fc.oneof(
    fc.constantFrom(
      "PUTSCRIPT",
      "NOOP",
      " ",
      '"',
      "\\",
      "{",
      "}",
      "+",
      "\r\n",
      "\n",
      "{5+}\r\n",
      "{99999999999}\r\n",
      "12",
    ),
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 8 }).map((b) => new TextDecoder("latin1").decode(b)),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(piece, { maxLength: 40 }),
      fc.integer({ min: 1, max: 7 }),
      async (parts, cut) => {
        const bytes = enc.encode(parts.join(""));
        // Delivered in chunks of varying size, as a socket would.
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += cut) chunks.push(bytes.subarray(i, i + cut));
        const r = reader(chunks);
        for (let n = 0; n < 200; n++) {
          const got = await readCommand(r, 64);
          if (got === null) return;
          assert.ok(got.ok ? typeof got.verb === "string" : typeof got.error === "string");
        }
      },
    ),
    { numRuns: 2000, seed: 5804 },
  );
});
