/**
 * JMAP benchmark (in-process, `app.request`, no socket):
 * 1. On a mailbox of N messages (default 100,000): `Email/query` (inMailbox, sort receivedAt desc,
 *    limit 50) with `Email/get` of those 50 by back-reference, in one request; p50/p99 latency.
 * 2. 200 concurrent EventSource clients: time from a delivery's commit until every client has
 *    received its StateChange.
 *
 * Run: `deno run --allow-all bench/jmap/mod.ts [messages] [iterations]`
 *
 * @module
 */
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { type ServerContext, systemClock } from "../../core/context.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createHttpApp } from "../../protocols/jmap/app.ts";
import type { NewMessage } from "../../core/store/types.ts";
import { createToken } from "../../core/jmap/tokens.ts";

const MESSAGES = Number(Deno.args[0] ?? 100_000);
const ITERATIONS = Number(Deno.args[1] ?? 300);
const CLIENTS = 200;
const DISTINCT_BLOBS = 1000;
const BATCH = 2000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const dir = await Deno.makeTempDir({ prefix: "tern-jmap-bench-" });
const config = testConfig(dir, { jmap: { max_concurrent_requests: 1000 } });
const store = await SqliteStore.open({ dataDir: dir });
try {
  const auth = createAuthService(store, config, systemClock, { scrypt: { N: 1024, r: 8, p: 1 } });
  await store.addDomain("example.org");
  const account = await store.createAccount({
    address: "bench@example.org",
    secrets: await auth.deriveSecrets("bench"),
  });
  const inbox = await store.getMailboxByRole(account.id, "inbox");
  const server: ServerContext = { config, store, auth, log: nullLogger, clock: systemClock };
  const app = createHttpApp(server);
  // API clients use Bearer tokens; Basic costs a scrypt verification (~20 ms) per request.
  const { token } = await createToken(store, "bench@example.org", "bench");
  const authorization = `Bearer ${token}`;

  // Fill the mailbox: DISTINCT_BLOBS different messages, reused (as IMAP COPY shares blobs).
  let t = performance.now();
  const blobIds: string[] = [];
  for (let i = 0; i < DISTINCT_BLOBS; i++) {
    const raw =
      `From: Sender ${i} <s${i}@example.net>\r\nTo: bench@example.org\r\nSubject: Message ${i}\r\n` +
      `Message-ID: <b${i}@example.net>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\n` +
      `Body of message ${i}. ${"Lorem ipsum dolor sit amet. ".repeat(20)}\r\n`;
    blobIds.push((await store.blobs.put(new TextEncoder().encode(raw))).blobId);
  }
  const start = Date.UTC(2020, 0, 1);
  for (let i = 0; i < MESSAGES; i += BATCH) {
    const batch: NewMessage[] = [];
    for (let j = i; j < Math.min(MESSAGES, i + BATCH); j++) {
      batch.push({
        accountId: account.id,
        mailboxIds: [inbox!.id],
        blobId: blobIds[j % DISTINCT_BLOBS]!,
        receivedAt: new Date(start + j * 60_000),
        keywords: j % 3 === 0 ? ["$seen"] : [],
      });
    }
    await store.addMessages(batch);
  }
  console.log(`filled ${MESSAGES} messages in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const bodyFor = (minSize: number | null) =>
    JSON.stringify({
      using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
      methodCalls: [
        ["Email/query", {
          accountId: account.id,
          filter: minSize === null ? { inMailbox: inbox!.id } : { inMailbox: inbox!.id, minSize },
          sort: [{ property: "receivedAt", isAscending: false }],
          limit: 50,
        }, "q"],
        ["Email/get", {
          accountId: account.id,
          "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
          properties: [
            "id",
            "threadId",
            "mailboxIds",
            "keywords",
            "subject",
            "from",
            "receivedAt",
            "size",
            "preview",
          ],
        }, "g"],
      ],
    });
  const request = (body: string) =>
    app.request(
      new Request("http://bench/jmap/api", {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body,
      }),
    );
  const measure = async (label: string, runs: number, body: (i: number) => string) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      const json = await (await request(body(i))).json();
      times.push(performance.now() - t);
      if (json.methodResponses[1][1].list.length !== 50) {
        throw new Error("Email/get did not return 50 emails");
      }
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label} (${MESSAGES} msgs, limit 50, ${runs} runs): p50 ${percentile(times, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms`,
    );
  };
  const same = bodyFor(null);
  for (let i = 0; i < 10; i++) await (await request(same)).json(); // warm-up
  await measure("Email/query+get, unchanged mailbox (query cache hit)", ITERATIONS, () => same);
  // After every delivery (state changed): the prefix plan queries only the newest messages.
  {
    const times: number[] = [];
    for (let i = 0; i < Math.min(ITERATIONS, 100); i++) {
      await store.addMessages([{
        accountId: account.id,
        mailboxIds: [inbox!.id],
        blobId: blobIds[i % DISTINCT_BLOBS]!,
        receivedAt: new Date(start + (MESSAGES + i) * 60_000),
      }]);
      t = performance.now();
      const json = await (await request(same)).json();
      times.push(performance.now() - t);
      if (json.methodResponses[1][1].list.length !== 50) {
        throw new Error("Email/get did not return 50 emails");
      }
    }
    times.sort((a, b) => a - b);
    console.log(
      `Email/query+get, right after each delivery (${MESSAGES} msgs, ${times.length} runs): ` +
        `p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`,
    );
  }
  // A distinct (equivalent) filter per run: the first query of a new view reads the whole result.
  await measure(
    "Email/query+get, first query of a new view (full store query)",
    Math.min(ITERATIONS, 30),
    (i) => bodyFor(i + 1),
  );

  // 200 concurrent EventSource clients.
  const readers = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const res = await app.request(
      new Request("http://bench/jmap/eventsource?types=Email&closeafter=state&ping=0", {
        headers: { authorization },
      }),
    );
    const reader = res.body!.getReader();
    await reader.read(); // opening comment: subscribed
    return reader;
  }));
  const received = readers.map(async (reader) => {
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return performance.now();
  });
  t = performance.now();
  await store.addMessages([{ accountId: account.id, mailboxIds: [inbox!.id], blobId: blobIds[0]! }]);
  const committed = performance.now();
  const arrivals = (await Promise.all(received)).map((x) => x - committed).sort((a, b) => a - b);
  console.log(
    `EventSource: ${CLIENTS} clients, StateChange after commit: p50 ${
      percentile(arrivals, 50).toFixed(2)
    } ms, ` +
      `last ${arrivals[arrivals.length - 1]!.toFixed(2)} ms (commit took ${(committed - t).toFixed(1)} ms)`,
  );
} finally {
  await store.close();
  await Deno.remove(dir, { recursive: true });
}
