import assert from "node:assert/strict";
import { composeMessage, foldHeader, formatAddressList, formatDate } from "./compose.ts";
import { parseMime } from "./parse.ts";
import { decodeTransfer } from "./transfer_encoding.ts";
import { decodeEncodedWords } from "./encoded_words.ts";

const dec = new TextDecoder();

Deno.test("composeMessage builds CRLF MIME with encoded headers, QP text and base64 attachments", () => {
  const attachment = new Uint8Array(300).map((_, i) => i & 0xff);
  const raw = composeMessage({
    headers: [
      { name: "From", value: formatAddressList([{ name: "Zoë Ünicode", email: "zoe@example.org" }]) },
      { name: "Subject", value: "=?UTF-8?Q?Caf=C3=A9?=" },
    ],
    body: {
      kind: "multipart",
      subtype: "mixed",
      parts: [
        { kind: "leaf", type: "text/plain", content: "Grüße\nline two" },
        { kind: "leaf", type: "application/octet-stream", content: attachment, name: "données.bin" },
      ],
    },
  });
  const text = dec.decode(raw);
  assert.ok(!/[^\r]\n/.test(text), "every LF is preceded by CR");
  for (const line of text.split("\r\n")) assert.ok(line.length <= 78, `line too long: ${line}`);
  const root = parseMime(raw);
  assert.equal(root.type, "multipart");
  assert.equal(root.children.length, 2);
  const [t, a] = root.children;
  assert.equal(t!.params.charset, "utf-8");
  assert.equal(
    dec.decode(decodeTransfer(raw.subarray(t!.bodyStart, t!.bodyEnd), t!.encoding)),
    "Grüße\r\nline two",
  );
  assert.equal(a!.encoding, "base64");
  assert.equal(a!.disposition?.params.filename, "données.bin");
  assert.deepEqual(decodeTransfer(raw.subarray(a!.bodyStart, a!.bodyEnd), a!.encoding), attachment);
  const from = root.headers.find((h) => h.key === "from")!.value;
  assert.equal(decodeEncodedWords(from).trim(), "Zoë Ünicode <zoe@example.org>");
});

Deno.test("composeMessage keeps ASCII text 7bit and message/rfc822 unencoded", () => {
  const inner = new TextEncoder().encode("Subject: inner\r\n\r\nhi\r\n");
  const raw = dec.decode(composeMessage({
    headers: [{ name: "Subject", value: "x" }],
    body: {
      kind: "multipart",
      subtype: "mixed",
      parts: [
        { kind: "leaf", type: "text/plain", content: "plain ascii" },
        { kind: "leaf", type: "message/rfc822", content: inner },
      ],
    },
  }));
  assert.ok(!raw.includes("Content-Transfer-Encoding: quoted-printable"));
  assert.ok(!raw.includes("Content-Transfer-Encoding: base64"));
  assert.ok(raw.includes("Subject: inner\r\n\r\nhi\r\n"));
});

Deno.test("foldHeader folds long values at spaces and formatDate follows RFC 5322", () => {
  const folded = foldHeader("To", Array.from({ length: 10 }, (_, i) => `user${i}@example.org`).join(", "));
  assert.ok(folded.split("\r\n").every((l) => l.length <= 78));
  assert.ok(folded.split("\r\n").slice(1).every((l) => l.startsWith(" ")));
  assert.equal(formatDate(new Date(Date.UTC(2026, 10, 21, 9, 5, 3)), 60), "Sat, 21 Nov 2026 10:05:03 +0100");
});
