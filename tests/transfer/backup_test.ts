/**
 * `tern backup` while the server runs and takes APPENDs (imapflow), then `tern restore` onto a fresh
 * data directory: a new server on it serves the same messages byte for byte (small ones inside the
 * database, large ones as blob files), and restore refuses a damaged backup or a used directory.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { runCli } from "../../core/cli/run.ts";
import { MemoryIo } from "../../core/cli/io.ts";
import { startTestServer } from "../support/server.ts";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { sha256 } from "./_fixtures.ts";

async function tern(args: string[]) {
  const io = new MemoryIo();
  const code = await runCli(args, io, { version: "0.0.0" });
  return { code, out: io.stdout, err: io.stderr };
}

function imap(port: number): ImapFlow {
  return new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user: "u@example.org", pass: "pw" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
}

/** UID → SHA-256 of the message, for INBOX. */
async function inbox(port: number): Promise<Map<number, string>> {
  const c = imap(port);
  await c.connect();
  const out = new Map<number, string>();
  try {
    await c.mailboxOpen("INBOX", { readOnly: true });
    for await (const m of c.fetch("1:*", { uid: true, source: true })) {
      out.set(m.uid, sha256(new Uint8Array(m.source!)));
    }
  } finally {
    await c.logout();
  }
  return out;
}

Deno.test("tern backup during APPENDs, then tern restore: a server on the copy serves the same mail", async () => {
  const t = await startTestServer();
  const dest = await Deno.makeTempDir({ prefix: "tern-backup-" });
  let restoredDir: string | null = null;
  try {
    const account = await t.addUser("u@example.org", "pw");
    // Small messages (inline blobs) and large ones (blob files above 64 KiB).
    for (let i = 0; i < 20; i++) {
      const body = i % 4 === 0 ? "y".repeat(100 * 1024) : `message ${i}`;
      await t.deliver(account, `Subject: m${i}\r\nMessage-ID: <m${i}@example.org>\r\n\r\n${body}\r\n`);
    }
    // APPENDs go on while the backup is taken.
    const writer = imap(t.port("imap"));
    await writer.connect();
    let stop = false;
    const appending = (async () => {
      for (let i = 0; !stop; i++) {
        const big = i % 3 === 0 ? "z".repeat(80 * 1024) : "";
        await writer.append("INBOX", `Subject: live ${i}\r\n\r\nlive ${i} ${big}\r\n`);
      }
    })();
    const r = await tern(["backup", `${dest}/copy`, "--data-dir", t.dir, "--json"]);
    stop = true;
    await appending;
    await writer.logout();
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    assert.ok(report.messages >= 20, r.out);
    assert.ok(report.fileBlobs >= 5, r.out);
    const live = await inbox(t.port("imap"));

    // A backup is never written over.
    assert.equal((await tern(["backup", `${dest}/copy`, "--data-dir", t.dir])).code, 1);

    restoredDir = await Deno.makeTempDir({ prefix: "tern-restored-" });
    const rr = await tern(["restore", `${dest}/copy`, "--data-dir", restoredDir, "--json"]);
    assert.equal(rr.code, 0, rr.err);
    assert.equal(JSON.parse(rr.out).messages, report.messages);
    // Restoring into a directory that holds a store is refused.
    assert.equal((await tern(["restore", `${dest}/copy`, "--data-dir", restoredDir])).code, 1);

    const srv = await createServer(testConfig(restoredDir, { local_domains: ["localhost", "example.org"] }));
    await srv.start();
    try {
      const restored = await inbox(srv.addresses.imap!.port);
      assert.ok(restored.size >= 20 && restored.size <= live.size, `${restored.size} of ${live.size}`);
      // Every restored message is the live server's message of the same UID, byte for byte.
      for (const [uid, hash] of restored) assert.equal(hash, live.get(uid), `UID ${uid}`);
    } finally {
      await srv.stop();
    }
  } finally {
    await t.close();
    await Deno.remove(dest, { recursive: true });
    if (restoredDir) await Deno.remove(restoredDir, { recursive: true });
  }
});

Deno.test("tern restore refuses a backup with a damaged blob file and writes nothing", async () => {
  const t = await startTestServer();
  const dest = await Deno.makeTempDir({ prefix: "tern-backup-" });
  try {
    const account = await t.addUser("u@example.org", "pw");
    await t.deliver(account, `Subject: big\r\n\r\n${"q".repeat(200 * 1024)}\r\n`);
    assert.equal((await tern(["backup", `${dest}/copy`, "--data-dir", t.dir])).code, 0);
    let blob = "";
    for await (const d of Deno.readDir(`${dest}/copy/blobs`)) {
      for await (const f of Deno.readDir(`${dest}/copy/blobs/${d.name}`)) {
        blob = `${dest}/copy/blobs/${d.name}/${f.name}`;
      }
    }
    assert.ok(blob);
    await Deno.writeTextFile(blob, "tampered");
    const r = await tern(["restore", `${dest}/copy`, "--data-dir", `${dest}/target`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /damaged/);
    await assert.rejects(Deno.stat(`${dest}/target/tern.db`));
  } finally {
    await t.close();
    await Deno.remove(dest, { recursive: true });
  }
});
