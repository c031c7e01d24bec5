/**
 * IMAP partial FETCH (`BODY.PEEK[]<origin.count>`, RFC 9051 §6.4.5) of a large message stored as a
 * compressed blob file: every range, at and across the 256 KiB chunk boundaries, is the same slice
 * of the APPENDed bytes, as imapflow reads it over the wire.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ImapFlow } from "imapflow";
import { startTestServer } from "../support/server.ts";
import { CHUNK_SIZE } from "../../core/store/blob_file_format.ts";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

/** The largest corpus message without NUL bytes (an APPEND literal cannot carry them). */
async function largestCorpusMessage(): Promise<Uint8Array> {
  let best: Uint8Array | null = null;
  for await (const e of Deno.readDir(CORPUS)) {
    if (!e.isFile) continue;
    const raw = await Deno.readFile(new URL(e.name, CORPUS));
    if (!raw.includes(0) && (!best || raw.length > best.length)) best = raw;
  }
  return best!;
}

const digest = (b: Uint8Array) => `${b.length} ${createHash("sha256").update(b).digest("hex")}`;

Deno.test("IMAP partial FETCH of a compressed large message returns the slice of its bytes at every chunk boundary", async () => {
  const t = await startTestServer();
  const raw = await largestCorpusMessage();
  assert.ok(raw.length > 4 * CHUNK_SIZE, `${raw.length} bytes`);
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: t.port("imap"),
    secure: false,
    auth: { user: "u@example.org", pass: "pw" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    await t.addUser("u@example.org", "pw");
    await client.connect();
    const appended = await client.append("INBOX", Buffer.from(raw));
    assert.ok(appended && appended.uid);
    await client.mailboxOpen("INBOX", { readOnly: true });
    // The stored message (imapflow may have normalised line ends on the way in).
    const whole = await client.fetchOne(String(appended.uid), { source: true }, { uid: true });
    assert.ok(whole && whole.source);
    const stored = new Uint8Array(whole.source);
    assert.ok(stored.length >= raw.length);
    // Stored compressed: the blob's file is `<sha256>.z`.
    const id = createHash("sha256").update(stored).digest("hex");
    await Deno.stat(`${t.dir}/blobs/${id.slice(0, 2)}/${id}.z`);
    const ranges: [number, number][] = [
      [0, 10],
      [CHUNK_SIZE - 3, 6],
      [CHUNK_SIZE, 1],
      [CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 5],
      [3 * CHUNK_SIZE - 1, 2],
      [stored.length - 7, 100],
      [12_345, stored.length],
    ];
    for (const [start, maxLength] of ranges) {
      const m = await client.fetchOne(String(appended.uid), { source: { start, maxLength } }, { uid: true });
      assert.ok(m && m.source, `range ${start}+${maxLength}`);
      assert.equal(
        digest(new Uint8Array(m.source)),
        digest(stored.subarray(start, start + maxLength)),
        `range ${start}+${maxLength}`,
      );
    }
  } finally {
    await client.logout().catch(() => {});
    await t.close();
  }
});
