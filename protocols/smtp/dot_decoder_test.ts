import assert from "node:assert/strict";
import fc from "fast-check";
import { DotDecoder } from "./dot_decoder.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `wire` split every `size` bytes; returns body and the bytes left after the terminator. */
function run(wire: Uint8Array, size: number): { body: string; rest: string; done: boolean } {
  const d = new DotDecoder();
  const parts: Uint8Array[] = [];
  let rest = "";
  for (let i = 0; i < wire.length; i += size) {
    const chunk = wire.subarray(i, i + size);
    const { body, end } = d.feed(chunk);
    parts.push(...body);
    if (end !== -1) {
      rest = dec.decode(wire.subarray(i + end));
      break;
    }
  }
  return { body: parts.map((p) => dec.decode(p)).join(""), rest, done: d.done };
}

function everySplit(wire: string, expectBody: string, expectRest = "") {
  const bytes = enc.encode(wire);
  for (let size = 1; size <= Math.min(bytes.length, 64); size++) {
    const r = run(bytes, size);
    assert.equal(r.done, true, `split ${size}`);
    assert.equal(r.body, expectBody, `split ${size}`);
    assert.equal(r.rest, expectRest, `split ${size}`);
  }
}

Deno.test("DotDecoder ends at CRLF.CRLF across every chunk boundary", () => {
  everySplit("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n", "Subject: x\r\n\r\nhello\r\n", "QUIT\r\n");
});

Deno.test("DotDecoder removes one leading dot (RFC 5321 §4.5.2)", () => {
  everySplit("a\r\n..b\r\n...\r\n.x\r\n.\r\n", "a\r\n.b\r\n..\r\nx\r\n");
});

Deno.test("DotDecoder handles an empty message and a dot-first body", () => {
  everySplit(".\r\n", "");
  everySplit("..\r\n.\r\n", ".\r\n");
});

Deno.test("DotDecoder never ends on bare LF or bare CR (SMTP smuggling)", () => {
  everySplit("a\n.\nb\r\n.\r\n", "a\n.\nb\r\n");
  everySplit("a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n");
  everySplit("a\r.\rb\r\n.\r\n", "a\r.\rb\r\n");
  everySplit("a\r\n.\nb\r\n.\r\n", "a\r\n\nb\r\n");
  everySplit("a\r\n.\rb\r\n.\r\n", "a\r\n\rb\r\n");
});

Deno.test("DotDecoder round-trips any dot-stuffed body at any split", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom("a", ".", "\r", "\n", "\r\n", "..", "x"), { maxLength: 40 }),
      fc.integer({ min: 1, max: 16 }),
      (parts, size) => {
        // A body of CRLF-terminated lines; bare CR/LF inside lines are data.
        let body = parts.join("");
        if (!body.endsWith("\r\n")) body += "\r\n";
        if (body === "\r\n") body = "x\r\n";
        // Stuff: a dot after CRLF (or at the start) is doubled.
        const stuffed = body.replace(/(^|\r\n)\./g, "$1..");
        const r = run(enc.encode(stuffed + ".\r\nNEXT"), size);
        assert.equal(r.body, body);
        assert.equal(r.rest, "NEXT");
      },
    ),
  );
});
