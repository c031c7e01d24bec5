/**
 * Store figures (not a test): inserts N messages into one mailbox the way SMTP delivery does
 * (concurrent single-message `addMessages` calls after a blob put), then times `listPlacements`
 * and `mailboxCounts` of that mailbox.
 *
 *   deno run --allow-all tests/store/bench_store.ts [count=100000] [concurrency=64]
 *
 * @module
 */
import process from "node:process";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

const count = Number(Deno.args[0] ?? 100_000);
const concurrency = Number(Deno.args[1] ?? 64);
const dataDir = await Deno.makeTempDir({ prefix: "tern-bench-" });
const store = await SqliteStore.open({ dataDir });
try {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
  const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
  const body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20);
  let next = 0;
  let putMs = 0;
  const t0 = performance.now();
  const c0 = cpuMs();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const raw = mail({
        subject: `Message ${i} about topic ${i % 97}`,
        messageId: `m${i}@bench`,
        references: i % 3 === 0 && i > 0 ? [`m${i - 1}@bench`] : undefined,
        body: `${body}\r\nnumber ${i}`,
      });
      const p0 = performance.now();
      const { blobId } = await store.blobs.put(raw);
      putMs += performance.now() - p0;
      await store.addMessages([{
        accountId: acc.id,
        mailboxIds: [inbox.id],
        blobId,
        keywords: i % 2 ? ["$seen"] : [],
      }]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const insertMs = performance.now() - t0;
  const insertCpu = cpuMs() - c0;
  console.log(
    `insert ${count} messages (blob put + addMessages, ${concurrency} in flight): ${
      insertMs.toFixed(0)
    } ms, ${(count / insertMs * 1000).toFixed(0)} msgs/s`,
  );
  const ws = store.writeStats;
  console.log(
    `  ${ws.flushes} transactions for ${ws.jobs} writes (${(ws.jobs / ws.flushes).toFixed(1)} per commit), ` +
      `${ws.commitMs.toFixed(0)} ms inside transactions`,
  );
  console.log(`  (process CPU ${insertCpu.toFixed(0)} ms; sum of blob put latencies ${putMs.toFixed(0)} ms)`);
  for (let run = 0; run < 3; run++) {
    let t = performance.now();
    const lc = cpuMs();
    const list = await store.listPlacements(acc.id, inbox.id);
    const listMs = performance.now() - t;
    const listCpu = cpuMs() - lc;
    t = performance.now();
    const counts = await store.mailboxCounts(acc.id, inbox.id);
    const countsMs = performance.now() - t;
    t = performance.now();
    const unseen = await store.queryMessages(acc.id, {
      filter: { inMailbox: inbox.id, notKeyword: "$seen" },
    });
    const queryMs = performance.now() - t;
    t = performance.now();
    const search = await store.queryMessages(acc.id, { filter: { text: "number 4242" } });
    const searchMs = performance.now() - t;
    console.log(
      `run ${run}: listPlacements(${list.length}) ${listMs.toFixed(1)} ms (CPU ${
        listCpu.toFixed(1)
      }); mailboxCounts ${countsMs.toFixed(1)} ms ` +
        `(${counts.total} total, ${counts.totalThreads} threads); query unseen(${unseen.length}) ${
          queryMs.toFixed(1)
        } ms; ` +
        `text search(${search.length}) ${searchMs.toFixed(1)} ms`,
    );
  }
  const t = performance.now();
  await store.updateKeywords(acc.id, [`e${Math.floor(count / 2)}`], { add: ["$flagged"] });
  console.log(`single updateKeywords: ${(performance.now() - t).toFixed(1)} ms`);
  const dbSize = (await Deno.stat(`${dataDir}/tern.db`)).size;
  console.log(`tern.db size: ${(dbSize / 1e6).toFixed(1)} MB`);
} finally {
  await store.close();
  await Deno.remove(dataDir, { recursive: true });
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
