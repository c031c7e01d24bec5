import assert from "node:assert/strict";
import { buildEmail } from "./email_create.ts";
import { SetErrorException } from "./errors.ts";
import { parseMime } from "../../core/mime/parse.ts";

const opts = {
  now: new Date(Date.UTC(2026, 10, 21, 12)),
  hostname: "mx.test",
  resolveBlob: (id: string) => Promise.resolve(id === "Ublob" ? new TextEncoder().encode("PDFDATA") : null),
};
const dec = new TextDecoder();

Deno.test("buildEmail makes multipart/mixed with alternative and attachment, adding Date and Message-ID", async () => {
  const raw = await buildEmail({
    from: [{ name: "Alice", email: "alice@example.org" }],
    to: [{ name: null, email: "bob@example.org" }],
    subject: "Report",
    "header:X-Tag:asText": "été",
    textBody: [{ partId: "t" }],
    htmlBody: [{ partId: "h" }],
    attachments: [{ blobId: "Ublob", type: "application/pdf", name: "r.pdf" }],
    bodyValues: { t: { value: "text" }, h: { value: "<b>html</b>" } },
  }, opts);
  const text = dec.decode(raw);
  assert.match(text, /^From: Alice <alice@example\.org>\r\n/m);
  assert.match(text, /^Date: Sat, 21 Nov 2026 12:00:00 \+0000\r\n/m);
  assert.match(text, /^Message-ID: <[0-9a-f-]+@mx\.test>\r\n/m);
  assert.match(text, /^X-Tag: =\?UTF-8\?/m);
  const root = parseMime(raw);
  assert.equal(`${root.type}/${root.subtype}`, "multipart/mixed");
  assert.deepEqual(root.children.map((c) => `${c.type}/${c.subtype}`), [
    "multipart/alternative",
    "application/pdf",
  ]);
});

Deno.test("buildEmail refuses unknown properties, missing body values, unknown blobs and server-set headers", async () => {
  const bad = async (obj: Record<string, unknown>, type: string) =>
    await assert.rejects(
      () => buildEmail(obj, opts),
      (e) => e instanceof SetErrorException && e.type === type,
    );
  await bad({ id: "x" }, "invalidProperties");
  await bad({ textBody: [{ partId: "nope" }] }, "invalidProperties");
  await bad({ attachments: [{ blobId: "Umissing" }] }, "blobNotFound");
  await bad({ "header:Content-Transfer-Encoding": "base64" }, "invalidProperties");
  await bad({ subject: "a", headers: [{ name: "Subject", value: "b" }] }, "invalidProperties");
  await bad({
    textBody: [{ partId: "a" }, { partId: "b" }],
    bodyValues: { a: { value: "" }, b: { value: "" } },
  }, "invalidProperties");
});
