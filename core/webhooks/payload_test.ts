import assert from "node:assert/strict";
import { messagePayload } from "./payload.ts";
import { parseMime } from "../mime/parse.ts";
import { summarize } from "../mime/summary.ts";
import { bodyParts } from "../mime/body_parts.ts";

const enc = new TextEncoder();

function payloadOf(raw: Uint8Array, opts: { inline?: number; maxChars?: number } = {}) {
  return messagePayload({
    event: "message.received",
    account: { id: "a1", address: "ada@example.org" },
    message: {
      id: "m1",
      threadId: "t1",
      blobId: "b".repeat(64),
      size: raw.length,
      receivedAt: new Date(0),
      mailboxIds: ["mb1"],
      summary: summarize(raw),
    },
    raw,
    uids: [{ mailboxId: "mb1", uid: 7, uidValidity: 1 }],
    authservId: "mx.example.org",
    attachmentUrl: (part) => `https://mx.example.org/webhooks/attachments/a1/m1/${part}?sig=x`,
    inlineAttachmentMax: opts.inline ?? 0,
    maxBodyChars: opts.maxChars ?? 256 * 1024,
    at: new Date(1000),
  });
}

Deno.test("every corpus message gives a JSON payload: sanitised HTML, one attachment entry per attachment part, no inline bytes", async () => {
  const dir = new URL("../../../shared/corpus/", import.meta.url);
  let n = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const raw = await Deno.readFile(new URL(entry.name, dir));
    const p = payloadOf(raw);
    const json = JSON.parse(JSON.stringify(p));
    assert.equal(json.type, "message.received");
    const html = json.data.html as string | null;
    if (html !== null) assert.ok(!/<script|\son[a-z]+\s*=|javascript:/i.test(html), entry.name);
    const atts = json.data.attachments as { partId: string; content?: string; url: string }[];
    assert.equal(atts.length, bodyParts(parseMime(raw)).attachments.length, entry.name);
    for (const a of atts) {
      assert.equal(a.content, undefined, entry.name);
      assert.ok(a.url.endsWith(`/${a.partId}?sig=x`));
    }
    n++;
  }
  assert.ok(n >= 300, `only ${n} corpus messages`);
});

Deno.test("payload: only our own Authentication-Results, bodies cut at the limit, small attachments inlined when allowed", () => {
  const raw = enc.encode(
    "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=x@remote.example\r\n" +
      "Authentication-Results: evil.example; dkim=pass\r\n" +
      "From: X <x@remote.example>\r\nTo: ada@example.org\r\nSubject: hi\r\n" +
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' +
      "--b\r\nContent-Type: text/plain\r\n\r\n" + "t".repeat(100) + "\r\n" +
      '--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="a.bin"\r\n' +
      "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n",
  );
  const p = payloadOf(raw, { inline: 3, maxChars: 10 });
  assert.deepEqual(p.data.authenticationResults, ["mx.example.org; spf=pass smtp.mailfrom=x@remote.example"]);
  assert.equal(p.data.text, "t".repeat(10));
  assert.equal(p.data.truncated, true);
  assert.deepEqual(p.data.mailboxes, [{ mailboxId: "mb1", uid: 7, uidValidity: 1 }]);
  const [att] = p.data.attachments as { filename: string; size: number; content?: string }[];
  assert.deepEqual([att!.filename, att!.size, att!.content], ["a.bin", 3, "AAEC"]);
  assert.deepEqual(p.data.from, [{ name: "X", email: "x@remote.example" }]);
});
