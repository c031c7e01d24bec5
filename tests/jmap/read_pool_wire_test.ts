/**
 * JMAP read workers (protocols/jmap/read_pool.ts, issue 24) through the real listener: answers
 * from a worker are byte-identical to the main thread's, writes acknowledged to any client (JMAP
 * Email/set, IMAP STORE, SMTP delivery) are seen by the next read, requests with a write stay on
 * the main thread, and a failed worker is replaced without a client noticing. Clients: fetch,
 * imapflow (IMAP) and nodemailer (SMTP).
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { ImapFlow } from "imapflow";
import { startTestServer, type TestServer } from "../support/server.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import { setGrant } from "../../core/acl/access.ts";
import type { JmapReadPool } from "../../protocols/jmap/read_pool.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];
const PASSWORD = "read-pool-pass-1";
const CORPUS = new URL("../../../shared/corpus/", import.meta.url);
/** The pool serves the SQLite store only (Store.replicaDir); the PostgreSQL runs leave these out. */
const ignore = Deno.env.get("TERN_TEST_STORE") === "postgres";

type Call = [string, Record<string, unknown>, string];

interface Env {
  t: TestServer;
  pool: JmapReadPool;
  alice: Account;
  bob: Account;
  api(
    calls: Call[],
    user?: string,
    client?: Deno.HttpClient,
  ): Promise<{ status: number; type: string; text: string }>;
  close(): Promise<void>;
}

async function start(): Promise<Env> {
  const t = await startTestServer({ jmap: { read_workers: 1 } }, { logger: nullLogger });
  const alice = await t.addUser("alice@example.org", PASSWORD);
  const bob = await t.addUser("bob@example.org", PASSWORD);
  const pool = t.srv.jmapReadPool!;
  assert.ok(pool, "the pool is on");
  await pool.ready();
  const url = `http://127.0.0.1:${t.port("http")}/jmap/api`;
  return {
    t,
    pool,
    alice,
    bob,
    async api(calls, user = "alice@example.org", client) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${user}:${PASSWORD}`)}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ using: USING, methodCalls: calls }),
        ...(client ? { client } : {}),
      });
      return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
    },
    close: () => t.close(),
  };
}

/** The first method response's arguments of an answer. */
function first(text: string): Record<string, unknown> {
  return (JSON.parse(text).methodResponses[0] as Call)[1];
}

/** Reads `n` corpus messages (sorted names) at test time. */
async function corpus(n: number): Promise<Uint8Array[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(CORPUS)) if (e.isFile && e.name.endsWith(".eml")) names.push(e.name);
  names.sort();
  return await Promise.all(names.slice(0, n).map((name) => Deno.readFile(new URL(name, CORPUS))));
}

Deno.test({
  name: "jmap read workers: read requests answered by a worker are byte-identical to the main thread's",
  ignore,
}, async () => {
  const env = await start();
  try {
    const { t, pool, alice } = env;
    const store = t.srv.context.store;
    const inbox = (await store.getMailboxByRole(alice.id, "inbox"))!;
    const archive = await store.createMailbox(alice.id, { name: "Old mail" });
    const ids: string[] = [];
    for (const [i, raw] of (await corpus(40)).entries()) {
      const { blobId } = await store.blobs.put(raw);
      const [added] = await store.addMessages([{
        accountId: alice.id,
        mailboxIds: [i % 4 === 0 ? archive.id : inbox.id],
        blobId,
        keywords: i % 3 === 0 ? ["$flagged"] : i % 5 === 0 ? ["$seen", "work"] : [],
      }]);
      ids.push(added!.id);
    }
    // Indexed, so that the text search below runs on the worker too (else it comes back to main).
    if (store instanceof SqliteStore) await store.searchIndexIdle();
    const st0 = first((await env.api([["Email/get", { accountId: alice.id, ids: [] }, "s"]])).text).state;
    // A change after st0, so the /changes below have something to report.
    await env.api([[
      "Email/set",
      { accountId: alice.id, update: { [ids[1]!]: { "keywords/$seen": true } } },
      "u",
    ]]);
    const team = await store.createMailbox(alice.id, { name: "Team" });
    await env.api([["Email/set", {
      accountId: alice.id,
      update: { [ids[2]!]: { [`mailboxIds/${team.id}`]: true } },
    }, "c"]]);
    await setGrant(store, alice.id, inbox.id, env.bob.id, "lr");

    const requests: [string, Call[]][] = [
      ["Mailbox/get all", [["Mailbox/get", { accountId: alice.id }, "0"]]],
      ["Mailbox/query sorted, filtered", [["Mailbox/query", {
        accountId: alice.id,
        filter: { hasAnyRole: false },
        sort: [{ property: "name", isAscending: false }],
      }, "0"]]],
      ["Email/query + Email/get by back-reference", [
        ["Email/query", {
          accountId: alice.id,
          filter: { inMailbox: inbox.id },
          limit: 10,
          calculateTotal: true,
        }, "q"],
        ["Email/get", {
          accountId: alice.id,
          "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
          properties: [
            "subject",
            "from",
            "to",
            "keywords",
            "mailboxIds",
            "preview",
            "size",
            "receivedAt",
            "threadId",
          ],
        }, "g"],
      ]],
      ["Email/query with keyword filter, size sort, collapsed threads", [["Email/query", {
        accountId: alice.id,
        filter: { operator: "OR", conditions: [{ hasKeyword: "$flagged" }, { hasKeyword: "work" }] },
        sort: [{ property: "size", isAscending: true }],
        collapseThreads: true,
        position: 2,
      }, "0"]]],
      ["Email/query with an anchor", [["Email/query", {
        accountId: alice.id,
        anchor: ids[7],
        anchorOffset: -2,
        limit: 5,
      }, "0"]]],
      ["Email/query text search", [[
        "Email/query",
        { accountId: alice.id, filter: { text: "the" }, limit: 5 },
        "0",
      ]]],
      ["Email/get default properties with body values", [["Email/get", {
        accountId: alice.id,
        ids: ids.slice(0, 3),
        fetchTextBodyValues: true,
        maxBodyValueBytes: 200,
      }, "0"]]],
      ["Email/get unknown id and bad property", [
        ["Email/get", { accountId: alice.id, ids: [ids[0], "e999999"], properties: ["subject"] }, "a"],
        ["Email/get", { accountId: alice.id, ids: [ids[0]], properties: ["nope"] }, "b"],
      ]],
      ["Email/changes across writes", [["Email/changes", { accountId: alice.id, sinceState: st0 }, "0"]]],
      ["Email/changes cannotCalculateChanges", [[
        "Email/changes",
        { accountId: alice.id, sinceState: "zz" },
        "0",
      ]]],
      ["Email/queryChanges", [["Email/queryChanges", {
        accountId: alice.id,
        filter: { inMailbox: inbox.id },
        sinceQueryState: st0,
      }, "0"]]],
      ["Thread/get by back-reference, Thread/changes", [
        ["Email/get", { accountId: alice.id, ids: ids.slice(0, 5), properties: ["threadId"] }, "e"],
        ["Thread/get", {
          accountId: alice.id,
          "#ids": { resultOf: "e", name: "Email/get", path: "/list/*/threadId" },
        }, "t"],
        ["Thread/changes", { accountId: alice.id, sinceState: st0 }, "c"],
      ]],
      ["Mailbox/changes", [["Mailbox/changes", { accountId: alice.id, sinceState: "0" }, "0"]]],
      ["unknown account", [["Email/get", { accountId: "a999", ids: [] }, "0"]]],
    ];
    const shared: [string, Call[]][] = [
      ["shared account: Email/query + Email/get", [
        ["Email/query", { accountId: alice.id, limit: 50 }, "q"],
        ["Email/get", {
          accountId: alice.id,
          "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
          properties: ["subject", "mailboxIds", "keywords"],
        }, "g"],
        ["Mailbox/get", { accountId: alice.id }, "m"],
      ]],
    ];
    for (
      const [name, calls, user] of [
        ...requests.map(([n, c]) => [n, c, "alice@example.org"] as const),
        ...shared.map(([n, c]) => [n, c, "bob@example.org"] as const),
      ]
    ) {
      pool.paused = false;
      const before = pool.stats.served + pool.stats.fallbacks;
      const served = pool.stats.served;
      const worker = await env.api(calls, user);
      assert.equal(pool.stats.served + pool.stats.fallbacks, before + 1, `${name}: went to the worker`);
      pool.paused = true;
      const main = await env.api(calls, user);
      assert.equal(pool.stats.served + pool.stats.fallbacks, before + 1, `${name}: ran on the main thread`);
      assert.equal(worker.status, 200, name);
      assert.equal(worker.type, main.type, name);
      assert.equal(worker.text, main.text, name);
      if (name !== "Email/query text search") assert.equal(pool.stats.served, served + 1, `${name}: served`);
    }
    // The cases above have results, not only errors.
    pool.paused = true;
    const got = first((await env.api(requests[2]![1])).text);
    assert.equal(got.total, 30);
  } finally {
    await env.close();
  }
});

Deno.test({
  name:
    "jmap read workers: an Email/set success is seen by the next read from the same client and from another, under concurrency",
  ignore,
}, async () => {
  const env = await start();
  try {
    const { t, pool, alice } = env;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(await t.deliver(alice, `From: c@example.net\r\nSubject: rw ${i}\r\n\r\nbody\r\n`));
    }
    const other = Deno.createHttpClient({});
    try {
      const served = pool.stats.served;
      await Promise.all(ids.map(async (id, n) => {
        for (let i = 0; i < 25; i++) {
          const keywords = { [`k${n}-${i}`]: true, ...(i % 2 === 0 ? { $flagged: true } : {}) };
          const set = await env.api([[
            "Email/set",
            { accountId: alice.id, update: { [id]: { keywords } } },
            "s",
          ]]);
          assert.ok(id in (first(set.text).updated as Record<string, unknown>), set.text);
          const get: Call[] = [[
            "Email/get",
            { accountId: alice.id, ids: [id], properties: ["keywords"] },
            "g",
          ]];
          for (const client of [undefined, other]) {
            const list = first((await env.api(get, undefined, client)).text).list as { keywords: unknown }[];
            assert.deepEqual(list[0]!.keywords, keywords, `message ${n}, round ${i}`);
          }
        }
      }));
      // Most reads went to the worker (a full queue sends a few to the main thread).
      assert.ok(pool.stats.served - served >= 100, `served ${pool.stats.served - served} of 200`);
    } finally {
      other.close();
    }
  } finally {
    await env.close();
  }
});

Deno.test({
  name: "jmap read workers: an IMAP STORE and an SMTP delivery are seen by the next JMAP read",
  ignore,
}, async () => {
  const env = await start();
  try {
    const { t, pool, alice } = env;
    const inbox = (await t.srv.context.store.getMailboxByRole(alice.id, "inbox"))!;
    const id = await t.deliver(alice, "From: c@example.net\r\nSubject: imap\r\n\r\nbody\r\n");
    const served = pool.stats.served;
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: t.port("imap"),
      secure: false,
      auth: { user: "alice@example.org", pass: PASSWORD },
      tls: { rejectUnauthorized: false },
      logger: false,
    });
    await imap.connect();
    const lock = await imap.getMailboxLock("INBOX");
    try {
      for (let i = 0; i < 20; i++) {
        const flag = i % 2 === 0;
        if (flag) await imap.messageFlagsAdd("1", ["\\Flagged", `kw${i}`]);
        else await imap.messageFlagsRemove("1", ["\\Flagged"]);
        const got = first(
          (await env.api([["Email/get", { accountId: alice.id, ids: [id], properties: ["keywords"] }, "g"]]))
            .text,
        );
        const keywords = (got.list as { keywords: Record<string, boolean> }[])[0]!.keywords;
        assert.equal(keywords.$flagged === true, flag, `round ${i}`);
        if (flag) assert.equal(keywords[`kw${i}`], true, `round ${i}`);
      }
    } finally {
      lock.release();
      await imap.logout();
    }
    const smtp = nodemailer.createTransport({ host: "127.0.0.1", port: t.port("smtp"), ignoreTLS: true });
    try {
      for (let i = 0; i < 20; i++) {
        await smtp.sendMail({
          envelope: { from: "carol@example.net", to: ["alice@example.org"] },
          raw: `From: carol@example.net\r\nTo: alice@example.org\r\nSubject: smtp ${i}\r\n\r\nbody ${i}\r\n`,
        });
        const q = first(
          (await env.api([["Email/query", {
            accountId: alice.id,
            filter: { inMailbox: inbox.id },
            calculateTotal: true,
          }, "q"]])).text,
        );
        assert.equal(q.total, i + 2, `delivery ${i}`);
      }
    } finally {
      smtp.close();
    }
    assert.equal(pool.stats.served - served, 40);
  } finally {
    await env.close();
  }
});

Deno.test({
  name:
    "jmap read workers: a request with a write runs on the main thread; a failed worker is replaced and its request answered",
  ignore,
}, async () => {
  const env = await start();
  try {
    const { t, pool, alice } = env;
    const id = await t.deliver(alice, "From: c@example.net\r\nSubject: mixed\r\n\r\nbody\r\n");
    const { served, fallbacks } = pool.stats;
    const mixed = await env.api([
      ["Email/get", { accountId: alice.id, ids: [id], properties: ["keywords"] }, "g"],
      ["Email/set", { accountId: alice.id, update: { [id]: { "keywords/$seen": true } } }, "s"],
      ["Email/get", { accountId: alice.id, ids: [id], properties: ["keywords"] }, "h"],
    ]);
    const responses = JSON.parse(mixed.text).methodResponses as Call[];
    assert.deepEqual(responses.map((r) => r[0]), ["Email/get", "Email/set", "Email/get"]);
    assert.deepEqual((responses[2]![1].list as { keywords: unknown }[])[0]!.keywords, { $seen: true });
    assert.deepEqual(
      pool.stats,
      { served, fallbacks, replaced: 0 },
      "the mixed request never reached a worker",
    );

    // A worker fails while answering: the request runs on the main thread, the worker is replaced.
    const get: Call[] = [["Email/get", {
      accountId: alice.id,
      ids: [id],
      properties: ["subject", "keywords"],
    }, "g"]];
    pool.paused = true;
    const expected = await env.api(get);
    pool.paused = false;
    pool.crashNextRequestForTest();
    const during = await env.api(get);
    assert.equal(during.status, 200);
    assert.equal(during.text, expected.text);
    assert.equal(pool.stats.replaced, 1);
    assert.equal(pool.size, 1);
    await pool.ready();
    const before = pool.stats.served;
    const after = await env.api(get);
    assert.equal(after.text, expected.text);
    assert.equal(pool.stats.served, before + 1, "the new worker answers");
  } finally {
    await env.close();
  }
});
