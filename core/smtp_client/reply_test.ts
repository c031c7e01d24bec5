import assert from "node:assert/strict";
import { ByteReader } from "../net/reader.ts";
import { formatReply, parseEhlo, parseReplyLine, readReply, ReplySyntaxError } from "./reply.ts";
import { dotStuff, statusFromReply, xtext } from "./client.ts";

function source(text: string) {
  const chunks = [...new TextEncoder().encode(text)].map((b) => new Uint8Array([b]));
  return new ByteReader({ read: () => Promise.resolve(chunks.shift() ?? null) });
}

Deno.test("readReply collects a multi-line reply split at every byte", async () => {
  const r = await readReply(
    source("250-mx.example Hello\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 PIPELINING\r\n"),
  );
  assert.deepEqual(r, { code: 250, lines: ["mx.example Hello", "SIZE 1000", "8BITMIME", "PIPELINING"] });
  const ext = parseEhlo(r!);
  assert.equal(ext.get("SIZE"), "1000");
  assert.equal(ext.has("8BITMIME"), true);
  assert.equal(ext.has("MX.EXAMPLE"), false);
});

Deno.test("readReply rejects garbage and a code change inside a reply", async () => {
  await assert.rejects(readReply(source("hello\r\n")), ReplySyntaxError);
  await assert.rejects(readReply(source("250-a\r\n251 b\r\n")), ReplySyntaxError);
  assert.equal(await readReply(source("")), null);
});

Deno.test("parseReplyLine accepts a bare code and formatReply joins lines", () => {
  assert.deepEqual(parseReplyLine("250"), { code: 250, more: false, text: "" });
  assert.equal(formatReply({ code: 550, lines: ["5.1.1 No such", "user"] }), "550 5.1.1 No such user");
});

Deno.test("statusFromReply takes the enhanced code or derives one", () => {
  assert.equal(statusFromReply({ code: 550, lines: ["5.7.1 Denied"] }), "5.7.1");
  assert.equal(statusFromReply({ code: 451, lines: ["5.7.1 mismatched class"] }), "4.0.0");
  assert.equal(statusFromReply({ code: 421, lines: ["bye"] }), "4.0.0");
});

Deno.test("dotStuff doubles leading dots, normalizes line endings and terminates", () => {
  const out = new TextDecoder().decode(dotStuff(new TextEncoder().encode(".a\nb\r\n..c\rd")));
  assert.equal(out, "..a\r\nb\r\n...c\r\nd\r\n.\r\n");
  assert.equal(new TextDecoder().decode(dotStuff(new Uint8Array())), ".\r\n");
});

Deno.test("xtext encodes '+', '=', controls and non-ASCII (RFC 3461 §4)", () => {
  assert.equal(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
});
