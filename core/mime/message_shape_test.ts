import assert from "node:assert/strict";
import { looksLikeMessage } from "./message_shape.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("looksLikeMessage accepts real-world header sections: folding, bare LF, mbox From line, no body", () => {
  assert.equal(looksLikeMessage(enc("From: a@example.org\r\nSubject: x\r\n y\r\n\r\nbody")), true);
  assert.equal(looksLikeMessage(enc("Subject: x\ny: z\n\nbody\n")), true);
  assert.equal(
    looksLikeMessage(enc("From bob@example.org Mon May  2 16:07:05 2005\r\nSubject: x\r\n\r\n")),
    true,
  );
  assert.equal(looksLikeMessage(enc("Subject : obsolete space before the colon\r\n")), true);
  assert.equal(looksLikeMessage(enc("\r\nan empty header section and a body")), true);
});

Deno.test("looksLikeMessage refuses binary data, empty data and text without any header field", () => {
  assert.equal(looksLikeMessage(new Uint8Array([0, 1, 2, 255, 254])), false);
  assert.equal(looksLikeMessage(enc("%PDF-1.4\r\n\x01\x02binary")), false);
  assert.equal(looksLikeMessage(enc("just some text\r\nand more\r\n\r\n")), false);
  assert.equal(looksLikeMessage(enc("")), false);
  assert.equal(looksLikeMessage(enc("Subject: a\0b\r\n\r\n")), false);
});
