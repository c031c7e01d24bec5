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
    const f = await jmapFixture({ smtp: { max_message_size: 64 * 1024 * 1024 } });
    try {
      const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
      let checkedParts = 0;
      for (const name of files) {
        const raw = await Deno.readFile(new URL(name, CORPUS));
        const up = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
          method: "POST",
          headers: { authorization: f.basic(), "content-type": "message/rfc822" },
          body: raw,
        });
        assert.equal(up.status, 201, name);
        const { blobId } = await up.json();
        const r = await f.api([
          ["Email/import", { accountId: f.alice.id, emails: { m: { blobId, mailboxIds: { [inbox!.id]: true } } } }, "0"],
          ["Email/get", {
            accountId: f.alice.id,
            ids: ["#m"],
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
        assert.equal(importName, "Email/import", `${name}: ${JSON.stringify(imported)}`);
        assert.ok(imported.created, `${name}: ${JSON.stringify(imported.notCreated)}`);
        const [getName, got] = r.methodResponses[1]!;
        assert.equal(getName, "Email/get", `${name}: ${JSON.stringify(got)}`);
        const email = (got.list as Record<string, unknown>[])[0]!;
        const bs = email.bodyStructure as Part;
        assert.ok(bs && typeof bs.type === "string", name);
        assert.ok(Array.isArray(email.textBody) && Array.isArray(email.attachments), name);
        // Every leaf's blob downloads at the announced (decoded) size; sample the first two per message.
        for (const leaf of leaves(bs).slice(0, 2)) {
          const dl = await f.fetch(`/jmap/download/${f.alice.id}/${leaf.blobId}/x`, {
            headers: { authorization: f.basic() },
          });
          assert.equal(dl.status, 200, `${name} part ${leaf.partId}`);
          assert.equal((await dl.arrayBuffer()).byteLength, leaf.size, `${name} part ${leaf.partId}`);
          checkedParts++;
        }
      }
      assert.ok(checkedParts > files.length / 2);
    } finally {
      await f.close();
    }
  },
});
