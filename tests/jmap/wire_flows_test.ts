/**
 * The JMAP flows the in-process tests (app.request) cover, run again against the real HTTP listener
 * (createServer on 127.0.0.1 port 0) with fetch and Deno's EventSource: the session resource and its
 * URL templates, upload then Email/import, Email/query + Email/get (order and values), Email/set
 * (create, update, destroy), download of the uploaded bytes, and push of a StateChange.
 */
import assert from "node:assert/strict";
import { createServer, type TernServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import { createToken } from "../../core/jmap/tokens.ts";

const PASSWORD = "wire flows pw";
const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];

interface Env {
  srv: TernServer;
  base: string;
  alice: Account;
  bob: Account;
  auth: string;
  close(): Promise<void>;
}

async function start(): Promise<Env> {
  const dir = await Deno.makeTempDir({ prefix: "tern-jmap-flows-" });
  const config = testConfig(dir, { hostname: "mx.test", local_domains: ["example.org"] });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const { store, auth } = srv.context;
  const secrets = await auth.deriveSecrets(PASSWORD);
  const alice = await store.createAccount({ address: "alice@example.org", displayName: "Alice", secrets });
  const bob = await store.createAccount({ address: "bob@example.org", secrets });
  await srv.start();
  const { hostname, port } = srv.addresses.http;
  return {
    srv,
    base: `http://${hostname}:${port}`,
    alice,
    bob,
    auth: "Basic " + btoa(`alice@example.org:${PASSWORD}`),
    async close() {
      await srv.stop({ graceSeconds: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type Call = [string, Record<string, unknown>, string];

/** Method responses; callers destructure at most the first two. */
type Responses = Call[] & { 0: Call; 1: Call };

/** POSTs a JMAP request to `apiUrl` over the socket; returns the method responses. */
async function api(env: Env, apiUrl: string, calls: Call[]): Promise<Responses> {
  const res = await fetch(apiUrl, {
    method: "POST",
    headers: { authorization: env.auth, "content-type": "application/json" },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text).methodResponses;
}

/** Fills an RFC 6570 level-1 URL template from the session resource. */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(values[k] ?? ""));
}

const message = (subject: string, body: string) =>
  new TextEncoder().encode(
    `From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${crypto.randomUUID()}@example.net>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\n${body}\r\n`,
  );

interface Session {
  apiUrl: string;
  uploadUrl: string;
  downloadUrl: string;
  eventSourceUrl: string;
  username: string;
  state: string;
  accounts: Record<string, { name: string; isPersonal: boolean }>;
  primaryAccounts: Record<string, string>;
  capabilities: Record<string, unknown>;
}

/** GETs the well-known URI, following its redirect to the session resource. */
async function session(env: Env): Promise<Session> {
  const res = await fetch(`${env.base}/.well-known/jmap`, { headers: { authorization: env.auth } });
  assert.equal(res.status, 200);
  assert.ok(res.redirected, "the well-known URI redirects to the session resource");
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return await res.json();
}

Deno.test("jmap over the wire: the session resource names the account and URL templates that work on this listener", async () => {
  const env = await start();
  try {
    const s = await session(env);
    assert.equal(s.username, "alice@example.org");
    assert.deepEqual(Object.keys(s.accounts), [env.alice.id]);
    assert.equal(s.accounts[env.alice.id]!.isPersonal, true);
    assert.equal(s.primaryAccounts["urn:ietf:params:jmap:mail"], env.alice.id);
    for (const c of USING) assert.ok(c in s.capabilities, c);
    // Every URL is on the listener the client connected to, and each template has its variables.
    for (const url of [s.apiUrl, s.uploadUrl, s.downloadUrl, s.eventSourceUrl]) {
      assert.ok(url.startsWith(`${env.base}/`), url);
    }
    assert.match(s.uploadUrl, /\{accountId\}/);
    for (const v of ["accountId", "blobId", "type", "name"]) {
      assert.match(s.downloadUrl, new RegExp(`\\{${v}\\}`));
    }
    for (const v of ["types", "closeafter", "ping"]) assert.match(s.eventSourceUrl, new RegExp(`\\{${v}\\}`));
    // Without credentials: 401 with a challenge.
    const anon = await fetch(s.apiUrl, { method: "POST", body: "{}" });
    assert.equal(anon.status, 401);
    assert.ok(anon.headers.get("www-authenticate"));
    await anon.body?.cancel();
    // Bob's credentials see Bob's account only.
    const bob = await fetch(`${env.base}/jmap/session`, {
      headers: { authorization: "Basic " + btoa(`bob@example.org:${PASSWORD}`) },
    });
    assert.deepEqual(Object.keys((await bob.json()).accounts), [env.bob.id]);
  } finally {
    await env.close();
  }
});

Deno.test("jmap over the wire: upload, Email/import, Email/query + Email/get in receivedAt order, download the same bytes", async () => {
  const env = await start();
  try {
    const s = await session(env);
    const accountId = env.alice.id;
    const [[, boxes]] = await api(env, s.apiUrl, [["Mailbox/get", { accountId, ids: null }, "0"]]);
    const inbox = (boxes.list as { id: string; role: string }[]).find((m) => m.role === "inbox")!;
    // Three messages uploaded, imported with receivedAt out of upload order.
    const raws = [
      message("Older", "first body"),
      message("Newest", "second body"),
      message("Oldest", "third"),
    ];
    const received = ["2026-11-02T08:00:00Z", "2026-11-03T08:00:00Z", "2026-11-01T08:00:00Z"];
    const blobIds: string[] = [];
    for (const raw of raws) {
      const up = await fetch(fill(s.uploadUrl, { accountId }), {
        method: "POST",
        headers: { authorization: env.auth, "content-type": "message/rfc822" },
        body: raw,
      });
      assert.equal(up.status, 201);
      const blob = await up.json();
      assert.equal(blob.accountId, accountId);
      assert.equal(blob.size, raw.length);
      assert.equal(blob.type, "message/rfc822");
      blobIds.push(blob.blobId);
    }
    const emails = Object.fromEntries(
      raws.map((
        _,
        i,
      ) => [`m${i}`, { blobId: blobIds[i], mailboxIds: { [inbox.id]: true }, receivedAt: received[i] }]),
    );
    const [[importName, imported]] = await api(env, s.apiUrl, [["Email/import", { accountId, emails }, "0"]]);
    assert.equal(importName, "Email/import", JSON.stringify(imported));
    const created = imported.created as Record<string, { id: string; size: number }>;
    assert.deepEqual(Object.keys(created).sort(), ["m0", "m1", "m2"]);
    const ids = raws.map((_, i) => created[`m${i}`]!.id);

    const r = await api(env, s.apiUrl, [
      ["Email/query", {
        accountId,
        filter: { inMailbox: inbox.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        calculateTotal: true,
      }, "q"],
      ["Email/get", {
        accountId,
        "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
        properties: ["subject", "receivedAt", "size", "blobId", "preview", "mailboxIds"],
      }, "g"],
    ]);
    const q = r[0]![1];
    assert.equal(q.total, 3);
    assert.deepEqual(q.ids, [ids[1], ids[0], ids[2]]);
    const byId = new Map((r[1]![1].list as Record<string, unknown>[]).map((e) => [e.id as string, e]));
    assert.deepEqual((q.ids as string[]).map((id) => byId.get(id)!.subject), ["Newest", "Older", "Oldest"]);
    assert.deepEqual((q.ids as string[]).map((id) => byId.get(id)!.receivedAt), [
      received[1],
      received[0],
      received[2],
    ]);
    const newest = byId.get(ids[1]!)!;
    assert.equal(newest.size, raws[1]!.length);
    assert.equal(newest.preview, "second body");
    assert.deepEqual(newest.mailboxIds, { [inbox.id]: true });

    // The email's blob downloads as the uploaded bytes, with the type and name asked for.
    const dl = await fetch(
      fill(s.downloadUrl, {
        accountId,
        blobId: newest.blobId as string,
        type: "message/rfc822",
        name: "m.eml",
      }),
      { headers: { authorization: env.auth } },
    );
    assert.equal(dl.status, 200);
    assert.match(dl.headers.get("content-type") ?? "", /^message\/rfc822/);
    assert.match(dl.headers.get("content-disposition") ?? "", /m\.eml/);
    assert.deepEqual(new Uint8Array(await dl.arrayBuffer()), raws[1]);
    // Another account cannot download it.
    const other = await fetch(
      fill(s.downloadUrl, {
        accountId,
        blobId: newest.blobId as string,
        type: "message/rfc822",
        name: "m.eml",
      }),
      { headers: { authorization: "Basic " + btoa(`bob@example.org:${PASSWORD}`) } },
    );
    assert.notEqual(other.status, 200);
    await other.body?.cancel();
  } finally {
    await env.close();
  }
});

Deno.test("jmap over the wire: Email/set creates, updates and destroys, and Email/changes reports each", async () => {
  const env = await start();
  try {
    const s = await session(env);
    const accountId = env.alice.id;
    const [[, boxes]] = await api(env, s.apiUrl, [["Mailbox/get", { accountId, ids: null }, "0"]]);
    const drafts = (boxes.list as { id: string; role: string }[]).find((m) => m.role === "drafts")!;
    const [[, empty]] = await api(env, s.apiUrl, [["Email/get", { accountId, ids: [] }, "0"]]);

    const [[, set]] = await api(env, s.apiUrl, [["Email/set", {
      accountId,
      create: {
        d: {
          mailboxIds: { [drafts.id]: true },
          keywords: { $draft: true },
          from: [{ email: "alice@example.org" }],
          to: [{ email: "bob@example.org" }],
          subject: "Over the wire",
          textBody: [{ partId: "t", type: "text/plain" }],
          bodyValues: { t: { value: "Hello over TCP" } },
        },
      },
    }, "0"]]);
    const id = (set.created as Record<string, { id: string }>).d!.id;
    assert.equal(set.oldState, empty.state);

    const [[, changes1]] = await api(env, s.apiUrl, [["Email/changes", {
      accountId,
      sinceState: set.oldState,
    }, "0"]]);
    assert.deepEqual([changes1.created, changes1.updated, changes1.destroyed], [[id], [], []]);

    const [[, upd], [, got]] = await api(env, s.apiUrl, [
      [
        "Email/set",
        { accountId, update: { [id]: { "keywords/$seen": true, "keywords/$draft": null } } },
        "0",
      ],
      [
        "Email/get",
        { accountId, ids: [id], properties: ["keywords", "subject"], fetchTextBodyValues: true },
        "1",
      ],
    ]);
    assert.deepEqual(Object.keys(upd.updated as object), [id]);
    const [email] = got.list as { keywords: Record<string, boolean>; subject: string }[];
    assert.deepEqual(email?.keywords, { $seen: true });
    assert.equal(email?.subject, "Over the wire");

    const [[, changes2]] = await api(env, s.apiUrl, [[
      "Email/changes",
      { accountId, sinceState: changes1.newState },
      "0",
    ]]);
    assert.deepEqual([changes2.created, changes2.updated, changes2.destroyed], [[], [id], []]);

    const [[, del], [, gone]] = await api(env, s.apiUrl, [
      ["Email/set", { accountId, destroy: [id] }, "0"],
      ["Email/get", { accountId, ids: [id], properties: ["subject"] }, "1"],
    ]);
    assert.deepEqual(del.destroyed, [id]);
    assert.deepEqual(gone.list, []);
    assert.deepEqual(gone.notFound, [id]);
    const [[, changes3]] = await api(env, s.apiUrl, [[
      "Email/changes",
      { accountId, sinceState: changes2.newState },
      "0",
    ]]);
    assert.deepEqual([changes3.created, changes3.updated, changes3.destroyed], [[], [], [id]]);
  } finally {
    await env.close();
  }
});

Deno.test("jmap over the wire: an EventSource (Deno's client) gets the StateChange of an Email/set, for its account only", async () => {
  const env = await start();
  const { token } = await createToken(env.srv.context.store, "alice@example.org", "wire flows");
  try {
    const s = await session(env);
    const accountId = env.alice.id;
    const url = fill(s.eventSourceUrl, { types: "Email", closeafter: "no", ping: "0" });
    // RFC 6750 §2.3: an EventSource cannot send headers; the token goes in the query.
    const es = new EventSource(`${url}&access_token=${encodeURIComponent(token)}`);
    const states: { changed: Record<string, Record<string, string>> }[] = [];
    let gotState!: () => void;
    const stateArrived = new Promise<void>((r) => gotState = r);
    es.addEventListener("state", (e) => {
      states.push(JSON.parse((e as MessageEvent).data));
      gotState();
    });
    try {
      // "open": the response headers arrived, so the subscription is in place.
      await new Promise<void>((resolve, reject) => {
        es.onopen = () => resolve();
        es.onerror = () => reject(new Error("EventSource failed to open"));
      });
      // A change in Bob's account must not reach Alice's stream; then one in Alice's does.
      const bobAuth = "Basic " + btoa(`bob@example.org:${PASSWORD}`);
      const bobRes = await fetch(s.apiUrl, {
        method: "POST",
        headers: { authorization: bobAuth, "content-type": "application/json" },
        body: JSON.stringify({
          using: USING,
          methodCalls: [["Mailbox/get", { accountId: env.bob.id, ids: null }, "0"]],
        }),
      });
      const bobBoxes = (await bobRes.json()).methodResponses[0][1].list as { id: string; role: string }[];
      const bobInbox = bobBoxes.find((m) => m.role === "inbox")!;
      const up = await fetch(fill(s.uploadUrl, { accountId: env.bob.id }), {
        method: "POST",
        headers: { authorization: bobAuth, "content-type": "message/rfc822" },
        body: message("For Bob", "bob's"),
      });
      const bobBlob = (await up.json()).blobId;
      const bobImport = await fetch(s.apiUrl, {
        method: "POST",
        headers: { authorization: bobAuth, "content-type": "application/json" },
        body: JSON.stringify({
          using: USING,
          methodCalls: [["Email/import", {
            accountId: env.bob.id,
            emails: { b: { blobId: bobBlob, mailboxIds: { [bobInbox.id]: true } } },
          }, "0"]],
        }),
      });
      assert.ok((await bobImport.json()).methodResponses[0][1].created.b);

      const [[, boxes]] = await api(env, s.apiUrl, [["Mailbox/get", { accountId, ids: null }, "0"]]);
      const drafts = (boxes.list as { id: string; role: string }[]).find((m) => m.role === "drafts")!;
      const [[, set]] = await api(env, s.apiUrl, [["Email/set", {
        accountId,
        create: { d: { mailboxIds: { [drafts.id]: true }, subject: "push me" } },
      }, "0"]]);
      assert.ok((set.created as Record<string, unknown>).d, JSON.stringify(set));
      await stateArrived;
      assert.deepEqual(states[0], {
        "@type": "StateChange",
        changed: { [accountId]: { Email: set.newState } },
      });
    } finally {
      es.close();
    }
  } finally {
    await env.close();
  }
});
