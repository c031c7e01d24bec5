import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteReader, type ByteSource } from "./reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A source that yields the given chunks, then end of stream. */
function chunked(chunks: Uint8Array[]): ByteSource {
  let i = 0;
  return { read: () => Promise.resolve(i < chunks.length ? chunks[i++]! : null) };
}

/** Splits bytes into chunks of `size`. */
function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

async function allLines(r: ByteReader, max: number) {
  const out: { line: string; ending: string; tooLong: boolean }[] = [];
  for (;;) {
    const l = await r.readLine(max);
    if (!l) return out;
    out.push({ line: dec.decode(l.line), ending: l.ending, tooLong: l.tooLong });
  }
}

Deno.test("ByteReader.readLine splits CRLF, LF and unterminated lines at every chunk size", async () => {
  const input = enc.encode("EHLO a\r\nNOOP\nx\r\r\nlast");
  for (let size = 1; size <= input.length; size++) {
    const lines = await allLines(new ByteReader(chunked(split(input, size))), 100);
    assert.deepEqual(lines, [
      { line: "EHLO a", ending: "crlf", tooLong: false },
      { line: "NOOP", ending: "lf", tooLong: false },
      { line: "x\r", ending: "crlf", tooLong: false },
      { line: "last", ending: "none", tooLong: false },
    ], `chunk size ${size}`);
  }
});

Deno.test("ByteReader.readLine drops the rest of an over-long line and continues", async () => {
  const input = enc.encode("0123456789abcdef\r\nok\r\n");
  for (let size = 1; size <= input.length; size++) {
    const lines = await allLines(new ByteReader(chunked(split(input, size))), 10);
    assert.deepEqual(lines, [
      { line: "0123456789", ending: "crlf", tooLong: true },
      { line: "ok", ending: "crlf", tooLong: false },
    ], `chunk size ${size}`);
  }
});

Deno.test("ByteReader.readLine at exactly max bytes is not too long", async () => {
  const lines = await allLines(new ByteReader(chunked([enc.encode("abcd\r\nabcde\r\n")])), 4);
  assert.deepEqual(lines.map((l) => l.tooLong), [false, true]);
});

Deno.test("ByteReader.readExact reads literals across chunks and mixes with lines", async () => {
  const input = enc.encode("A1 APPEND {5}\r\nhello)\r\n");
  for (let size = 1; size <= input.length; size++) {
    const r = new ByteReader(chunked(split(input, size)));
    assert.equal(dec.decode((await r.readLine(100))!.line), "A1 APPEND {5}");
    assert.equal(dec.decode((await r.readExact(5))!), "hello");
    assert.equal(dec.decode((await r.readLine(100))!.line), ")");
    assert.equal(await r.readLine(100), null);
  }
});

Deno.test("ByteReader.readExact returns null when the stream ends early", async () => {
  const r = new ByteReader(chunked([enc.encode("abc")]));
  assert.equal(await r.readExact(4), null);
});

Deno.test("ByteReader.discardBuffered drops pipelined bytes (STARTTLS injection)", async () => {
  const r = new ByteReader(
    chunked([enc.encode("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x>\r\n"), enc.encode("EHLO x\r\n")]),
  );
  assert.equal(dec.decode((await r.readLine(100))!.line), "STARTTLS");
  assert.equal(r.discardBuffered(), "RSET\r\nMAIL FROM:<evil@x>\r\n".length);
  assert.equal(dec.decode((await r.readLine(100))!.line), "EHLO x");
});

Deno.test("ByteReader.readLine property: lines rejoin to the input at any chunking", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.stringMatching(/^[a-z\r ]{0,20}$/), { maxLength: 10 }),
      fc.integer({ min: 1, max: 16 }),
      async (lines, size) => {
        const text = lines.map((l) => l + "\n").join("");
        const r = new ByteReader(chunked(split(enc.encode(text), size)));
        const got: string[] = [];
        for (;;) {
          const l = await r.readLine(1000);
          if (!l) break;
          got.push(dec.decode(l.line) + (l.ending === "crlf" ? "\r\n" : l.ending === "lf" ? "\n" : ""));
        }
        assert.equal(got.join(""), text);
      },
    ),
  );
});
