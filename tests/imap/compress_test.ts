/**
 * COMPRESS=DEFLATE (RFC 4978) on the wire: imapflow negotiating it by itself, and a raw client
 * that inflates/deflates with `node:zlib` to check replies byte for byte and the command's errors.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { RawImap, setupImap } from "./_imap_client.ts";
import { compressedSession } from "./_deflate_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

/** The largest corpus message, or a generated 300 KB one when the corpus is absent. */
async function largeMessage(): Promise<Uint8Array> {
  try {
    let best: Uint8Array = new Uint8Array(0);
    for await (const e of Deno.readDir(CORPUS)) {
      if (!e.isFile || !e.name.endsWith(".eml")) continue;
      const b = await Deno.readFile(new URL(e.name, CORPUS));
      if (b.length > best.length) best = b;
    }
    if (best.length > 0) return best;
  } catch { /* no corpus */ }
  return enc.encode("Subject: big\r\n\r\n" + "line of text 0123456789\r\n".repeat(12_000));
}

Deno.test("imapflow negotiates COMPRESS=DEFLATE and logs in, selects, fetches a large message and wakes from IDLE over it", async () => {
  const { t, user, port } = await setupImap();
  const big = await largeMessage();
  await t.deliver(user, big);
  const writes: { compress: boolean }[] = [];
  const silent = () => {};
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user: "u@example.org", pass: "s3cret pass" },
    tls: { rejectUnauthorized: false },
    logRaw: true,
    logger: {
      debug: silent,
      info: silent,
      warn: silent,
      error: silent,
      trace: (o: { msg?: string; compress?: boolean }) => {
        if (o.msg === "write to socket") writes.push({ compress: o.compress === true });
      },
    },
  });
  try {
    await client.connect();
    assert.ok(client.capabilities.has("COMPRESS=DEFLATE"));
    // imapflow compresses every write once COMPRESS succeeded (RFC 4978 §3).
    assert.ok(writes.some((w) => w.compress), "no write went out compressed");
    const lock = await client.getMailboxLock("INBOX");
    try {
      const msg = await client.fetchOne("1", { source: true, uid: true });
      assert.ok(msg && msg.source);
      assert.equal(msg.source.length, big.length);
      assert.deepEqual(new Uint8Array(msg.source), big);
      const exists = new Promise<number>((resolve) =>
        client.on("exists", (d: { count: number }) => resolve(d.count))
      );
      const idling = client.idle();
      await t.deliver(user, "Subject: wake\r\n\r\nwake up\r\n");
      assert.equal(await exists, 2);
      await client.noop();
      await idling;
    } finally {
      lock.release();
    }
    assert.ok(writes.at(-1)!.compress);
    await client.logout();
  } finally {
    client.close();
    await t.close();
  }
});

Deno.test("COMPRESS DEFLATE answers OK uncompressed, then NOOP and FETCH round trips are byte-exact over raw DEFLATE", async () => {
  const { t, user, port } = await setupImap();
  const big = await largeMessage();
  await t.deliver(user, big);
  const { reply, z } = await compressedSession(port);
  try {
    assert.equal(reply, "c1 OK DEFLATE active\r\n");
    assert.equal(await z.cmd("NOOP"), "TAG OK NOOP completed\r\n");
    const sel = await z.cmd("SELECT INBOX");
    assert.match(sel, /\* 1 EXISTS\r\n/);
    assert.match(sel, /TAG OK \[READ-WRITE\]/);
    const fetched = await z.cmd("FETCH 1 (BODY.PEEK[])");
    const expected = `* 1 FETCH (BODY[] {${big.length}}\r\n${dec.decode(big)})\r\nTAG OK FETCH completed\r\n`;
    assert.equal(fetched, expected);
    // RFC 4978 §3: a second COMPRESS while DEFLATE is active.
    assert.equal(await z.cmd("COMPRESS DEFLATE"), "TAG NO [COMPRESSIONACTIVE] DEFLATE is already active\r\n");
    assert.equal(await z.cmd("LOGOUT"), "* BYE Tern IMAP logging out\r\nTAG OK LOGOUT completed\r\n");
  } finally {
    z.close();
    await t.close();
  }
});

Deno.test("COMPRESS with an unknown mechanism is BAD, before login it is BAD, and the session stays uncompressed", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    assert.ok(!c.greeting.includes("COMPRESS=DEFLATE"), "advertised before login");
    assert.deepEqual(await c.cmd("COMPRESS DEFLATE"), ["TAG BAD Log in first"]);
    await c.login();
    const caps = await c.cmd("CAPABILITY");
    assert.ok(caps[0]!.split(" ").includes("COMPRESS=DEFLATE"));
    assert.deepEqual(await c.cmd("COMPRESS FOO"), ["TAG BAD Unknown compression mechanism FOO"]);
    assert.equal((await c.cmd("COMPRESS"))[0]!.startsWith("TAG BAD"), true);
    // Still plaintext: a NOOP is understood as is.
    assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("COMPRESS: a decompression bomb line is refused as too long and the session goes on", async () => {
  const { t, port } = await setupImap();
  const { reply, z } = await compressedSession(port);
  try {
    assert.equal(reply, "c1 OK DEFLATE active\r\n");
    // 64 MB of one byte deflates to ~64 KB; the server must not hold it all.
    const bomb = new Uint8Array(64 * 1024 * 1024).fill(0x61);
    bomb.set(enc.encode("\r\n"), bomb.length - 2);
    await z.sendBytes(bomb);
    const r = await z.cmd("NOOP");
    assert.equal(r, "* BAD [TOOBIG] Command line too long\r\nTAG OK NOOP completed\r\n");
  } finally {
    z.close();
    await t.close();
  }
});

Deno.test("COMPRESS: commands the client pipelined right after COMPRESS are inflated, not parsed as plaintext", async () => {
  const { t, port } = await setupImap();
  const { reply, z } = await compressedSession(port, "u@example.org", "s3cret pass", "p1 NOOP\r\n");
  try {
    assert.equal(reply, "c1 OK DEFLATE active\r\n");
    assert.equal(await z.until("p1"), "TAG OK NOOP completed\r\n");
    assert.equal(await z.cmd("NOOP"), "TAG OK NOOP completed\r\n");
  } finally {
    z.close();
    await t.close();
  }
});
