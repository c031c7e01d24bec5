/**
 * Child process of postgres_concurrency_test.ts: opens its own PostgresStore on the database and
 * blob directory it is given, delivers `count` messages into one mailbox (four in flight at a time),
 * flags every third one, and prints one JSON line per write: `{ kind, uid, modseq }`.
 *
 * Usage: deno run … _pg_writer_child.ts <url> <blobDir> <accountId> <mailboxId> <count> <label>
 *
 * @module
 */
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";

const [url, blobDir, accountId, mailboxId, countText, label] = Deno.args;
const count = Number(countText);
const store = await PostgresStore.open({ url: url!, blobDir: blobDir!, poolSize: 4 });
const enc = new TextEncoder();
const lines: string[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    const i = next++;
    const raw = enc.encode(
      `From: ${label}@example.net\r\nTo: bob@example.org\r\nSubject: ${label} ${i}\r\n` +
        `Message-ID: <${crypto.randomUUID()}@example.net>\r\n\r\nBody ${label} ${i}\r\n`,
    );
    const r = await store.storeMessages(raw, [{ accountId: accountId!, mailboxIds: [mailboxId!] }]);
    const added = r.added[0]!;
    lines.push(JSON.stringify({ kind: "add", uid: added.uids[0]!.uid, modseq: added.modseq }));
    if (i % 3 === 0) {
      const k = await store.updateKeywords(accountId!, [added.id], { add: ["$flagged"] });
      lines.push(JSON.stringify({ kind: "flag", uid: added.uids[0]!.uid, modseq: k.modseq }));
    }
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
await store.close();
console.log(lines.join("\n"));
