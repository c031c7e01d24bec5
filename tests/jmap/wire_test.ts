/**
 * Wire tests: the real server (createServer) on 127.0.0.1 port 0, driven by jmap-jam (a JMAP
 * client written by others), raw fetch, nodemailer (SMTP) and imapflow (IMAP).
 */
import assert from "node:assert/strict";
import JamClient from "jmap-jam";
import nodemailer from "nodemailer";
import { ImapFlow } from "imapflow";
import { createServer, type TernServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import { createToken } from "../../core/jmap/tokens.ts";
import { setGrant } from "../../core/acl/access.ts";

const PASSWORD = "wire-pass-1";

async function start(): Promise<
  { srv: TernServer; dir: string; base: string; alice: Account; bob: Account; close(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "tern-jmap-wire-" });
  const config = testConfig(dir, { hostname: "mx.test", local_domains: ["example.org"] });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const { store, auth } = srv.context;
  const alice = await store.createAccount({
    address: "alice@example.org",
    displayName: "Alice",
    secrets: await auth.deriveSecrets(PASSWORD),
  });
  const bob = await store.createAccount({
    address: "bob@example.org",
    secrets: await auth.deriveSecrets(PASSWORD),
  });
  await srv.start();
  const { hostname, port } = srv.addresses.http;
  return {
    srv,
    dir,
    base: `http://${hostname}:${port}`,
    alice,
    bob,
    async close() {
      await srv.stop({ graceSeconds: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const MSG = (subject: string, id: string) =>
  `From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.net>\r\n` +
  `Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nBody of ${subject}\r\n`;

Deno.test("jmap wire: jmap-jam lists mailboxes, queries with a back-reference, drafts and submits in one request", async () => {
  const env = await start();
  try {
    const { token } = await createToken(env.srv.context.store, "alice@example.org", "wire");
    const jam = new JamClient({ sessionUrl: `${env.base}/.well-known/jmap`, bearerToken: token });
    const accountId = await jam.getPrimaryAccount();
    assert.equal(accountId, env.alice.id);

    // Flow 1: list mailboxes.
    const [mailboxes] = await jam.api.Mailbox.get({ accountId });
    const inbox = mailboxes.list.find((m) => m.role === "inbox")!;
    const drafts = mailboxes.list.find((m) => m.role === "drafts")!;
    const sent = mailboxes.list.find((m) => m.role === "sent")!;
    assert.ok(inbox && drafts && sent);

    // Deliver two messages over SMTP.
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: env.srv.addresses.smtp.port,
      ignoreTLS: true,
    });
    for (const [s, id] of [["First", "w1"], ["Second", "w2"]]) {
      await smtp.sendMail({
        envelope: { from: "carol@example.net", to: ["alice@example.org"] },
        raw: MSG(s!, id!),
      });
    }
    smtp.close();

    // Flow 2: query a mailbox and get its emails through a back-reference.
    const [{ ids: queried, emails }] = await jam.requestMany((t) => {
      const ids = t.Email.query({
        accountId,
        filter: { inMailbox: inbox.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        limit: 10,
      });
      const emails = t.Email.get({
        accountId,
        ids: ids.$ref("/ids"),
        properties: ["id", "subject", "from", "receivedAt"],
      });
      return { ids, emails };
    });
    // The query's order is receivedAt descending; a tie (same second) goes to the later-stored
    // message (ids are "e" + row number, and ties are broken by id in the same direction).
    const byId = new Map(emails.list.map((e) => [e.id, e]));
    const row = (id: string) => Number(id.slice(1));
    const newestFirst = [...emails.list].sort((a, b) =>
      b.receivedAt!.localeCompare(a.receivedAt!) || row(b.id) - row(a.id)
    ).map((e) => e.id);
    assert.deepEqual(queried.ids, newestFirst);
    assert.deepEqual(queried.ids.map((id) => byId.get(id)?.subject), ["Second", "First"]);

    // Flow 3: create a draft and submit it in one request with # references.
    const [identities] = await jam.api.Identity.get({ accountId });
    const identityId = identities.list[0]!.id;
    const [{ draft, submit }] = await jam.requestMany((t) => {
      // jmap-jam's types demand server-set fields on create; the request itself is RFC 8621 §4.6.
      const draft = t.Email.set({
        accountId,
        create: {
          d1: {
            mailboxIds: { [drafts.id]: true },
            keywords: { $draft: true },
            from: [{ name: "Alice", email: "alice@example.org" }],
            to: [{ name: "Bob", email: "bob@example.org" }],
            subject: "Wire draft",
            textBody: [{ partId: "body", type: "text/plain" }],
            bodyValues: { body: { value: "Hello Bob" } },
          },
        },
      } as never);
      const submit = t.EmailSubmission.set({
        accountId,
        create: { s1: { identityId, emailId: "#d1" } },
        onSuccessUpdateEmail: {
          "#s1": {
            [`mailboxIds/${drafts.id}`]: null,
            [`mailboxIds/${sent.id}`]: true,
            "keywords/$draft": null,
          },
        },
      } as never);
      return { draft, submit };
    }, { using: ["urn:ietf:params:jmap:submission"] });
    assert.ok((draft as { created?: Record<string, unknown> }).created?.d1, JSON.stringify(draft));
    // The implicit Email/set shares the call id, so jmap-jam hands back that last response
    // (RFC 8621 §7.5); the submission itself is checked with EmailSubmission/get.
    assert.ok((submit as { updated?: Record<string, unknown> }).updated, JSON.stringify(submit));
    const [subs] = await jam.request(["EmailSubmission/get", { accountId, ids: null }] as never, {
      using: ["urn:ietf:params:jmap:submission"],
    });
    const list = (subs as { list: { undoStatus: string; envelope: { rcptTo: { email: string }[] } }[] }).list;
    assert.equal(list.length, 1);
    assert.equal(list[0]!.undoStatus, "final");
    assert.deepEqual(list[0]!.envelope.rcptTo.map((r) => r.email), ["bob@example.org"]);
    const bobBox = await env.srv.context.store.getMailboxByRole(env.bob.id, "inbox");
    assert.equal((await env.srv.context.store.listPlacements(env.bob.id, bobBox!.id)).length, 1);

    // Upload and download round trip.
    const bytes = new TextEncoder().encode("attachment bytes \u00e9");
    const up = await jam.uploadBlob(accountId, new Blob([bytes]));
    const dl = await jam.downloadBlob({
      accountId,
      blobId: up.blobId,
      mimeType: "text/plain",
      fileName: "a.txt",
    });
    assert.deepEqual(new Uint8Array(await dl.arrayBuffer()), bytes);
    assert.ok(dl.headers.get("x-session-id"));
  } finally {
    await env.close();
  }
});

Deno.test("jmap wire: every response carries X-Session-Id; state moves after IMAP and SMTP changes; push on delivery", async () => {
  const env = await start();
  try {
    const auth = { authorization: "Basic " + btoa(`alice@example.org:${PASSWORD}`) };
    const denied = await fetch(`${env.base}/jmap/session`);
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get("x-session-id") ?? "", /^[0-9a-f-]{36}$/);
    await denied.body?.cancel();
    const api = async (calls: unknown[]) => {
      const res = await fetch(`${env.base}/jmap/api`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
          methodCalls: calls,
        }),
      });
      assert.ok(res.headers.get("x-session-id"));
      return (await res.json()).methodResponses;
    };
    const [[, before]] = await api([["Email/get", { accountId: env.alice.id, ids: [] }, "0"]]);

    // Push: open the EventSource, then deliver over SMTP.
    const es = await fetch(`${env.base}/jmap/eventsource?types=*&closeafter=state&ping=0`, { headers: auth });
    assert.equal(es.status, 200);
    const reader = es.body!.getReader();
    await reader.read(); // the opening comment: subscribed
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: env.srv.addresses.smtp.port,
      ignoreTLS: true,
    });
    await smtp.sendMail({
      envelope: { from: "carol@example.net", to: ["alice@example.org"] },
      raw: MSG("Pushed", "p1"),
    });
    const delivered = performance.now();
    smtp.close();
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const latency = performance.now() - delivered;
    assert.match(text, /^event: state\ndata: /);
    const change = JSON.parse(/^data: (.*)$/m.exec(text)![1]!);
    assert.ok(change.changed[env.alice.id].Email);
    console.log(`push latency after SMTP 250: ${latency.toFixed(1)} ms`);
    await reader.cancel();

    const [[, smtpChanges]] = await api([["Email/changes", {
      accountId: env.alice.id,
      sinceState: before.state,
    }, "0"]]);
    assert.equal(smtpChanges.created.length, 1);

    // IMAP: flag the message, then Email/changes shows it updated.
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: env.srv.addresses.imap.port,
      secure: false,
      auth: { user: "alice@example.org", pass: PASSWORD },
      tls: { rejectUnauthorized: false },
      logger: false,
    });
    await imap.connect();
    const lock = await imap.getMailboxLock("INBOX");
    try {
      await imap.messageFlagsAdd("1:*", ["\\Flagged"]);
    } finally {
      lock.release();
    }
    await imap.logout();
    const [[, imapChanges]] = await api([["Email/changes", {
      accountId: env.alice.id,
      sinceState: smtpChanges.newState,
    }, "0"]]);
    assert.deepEqual(imapChanges.updated, smtpChanges.created);
    const [[, got]] = await api([["Email/get", {
      accountId: env.alice.id,
      ids: imapChanges.updated,
      properties: ["keywords"],
    }, "0"]]);
    assert.deepEqual(got.list[0].keywords, { $flagged: true });
  } finally {
    await env.close();
  }
});

Deno.test("jmap wire: WebSocket (RFC 8887) answers requests and pushes StateChange", async () => {
  const env = await start();
  try {
    const { token } = await createToken(env.srv.context.store, "alice@example.org", "ws");
    const ws = new WebSocket(
      `ws://127.0.0.1:${env.srv.addresses.http.port}/jmap/ws?access_token=${encodeURIComponent(token)}`,
      "jmap",
    );
    const messages: Record<string, unknown>[] = [];
    let wake: (() => void) | null = null;
    ws.onmessage = (e) => {
      messages.push(JSON.parse(e.data));
      wake?.();
    };
    const next = async () => {
      while (messages.length === 0) await new Promise<void>((r) => wake = r);
      return messages.shift()!;
    };
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    assert.equal(ws.protocol, "jmap");
    ws.send(JSON.stringify({
      "@type": "Request",
      id: "r1",
      using: ["urn:ietf:params:jmap:core"],
      methodCalls: [["Core/echo", { hi: 1 }, "c"]],
    }));
    const res = await next();
    assert.equal(res["@type"], "Response");
    assert.equal(res.requestId, "r1");
    assert.deepEqual(res.methodResponses, [["Core/echo", { hi: 1 }, "c"]]);
    ws.send(JSON.stringify({ "@type": "Request", id: "r2", using: ["urn:x"], methodCalls: [] }));
    const err = await next();
    assert.equal(err["@type"], "RequestError");
    assert.equal(err.type, "urn:ietf:params:jmap:error:unknownCapability");
    assert.equal(err.requestId, "r2");
    ws.send(JSON.stringify({ "@type": "WebSocketPushEnable", dataTypes: ["Mailbox"] }));
    // Push enable has no reply; a round trip makes sure it was processed before the change.
    ws.send(JSON.stringify({ "@type": "Request", id: "r3", using: [], methodCalls: [] }));
    assert.equal((await next()).requestId, "r3");
    await env.srv.context.store.createMailbox(env.alice.id, { name: "Pushed" });
    const push = await next();
    assert.equal(push["@type"], "StateChange");
    assert.ok((push.changed as Record<string, Record<string, string>>)[env.alice.id]!.Mailbox);
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  } finally {
    await env.close();
  }
});

Deno.test("jmap wire: WebSocket push tells a grantee their new Email and Thread states when a grant shows them more mail (RFC 9670, RFC 8620 §5.2)", async () => {
  const env = await start();
  try {
    const store = env.srv.context.store;
    const team = await store.createMailbox(env.alice.id, { name: "Team" });
    await setGrant(store, env.alice.id, team.id, env.bob.id, "lr");
    const { token } = await createToken(store, "bob@example.org", "ws");
    const ws = new WebSocket(
      `ws://127.0.0.1:${env.srv.addresses.http.port}/jmap/ws?access_token=${encodeURIComponent(token)}`,
      "jmap",
    );
    const messages: Record<string, unknown>[] = [];
    let wake: (() => void) | null = null;
    ws.onmessage = (e) => {
      messages.push(JSON.parse(e.data));
      wake?.();
    };
    const next = async () => {
      while (messages.length === 0) await new Promise<void>((r) => wake = r);
      return messages.shift()!;
    };
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const states = async (id: string) => {
      ws.send(JSON.stringify({
        "@type": "Request",
        id,
        using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
        methodCalls: [
          ["Email/get", { accountId: env.alice.id, ids: [] }, "0"],
          ["Thread/get", { accountId: env.alice.id, ids: [] }, "1"],
        ],
      }));
      const res = await next();
      assert.equal(res.requestId, id);
      const [email, thread] = (res.methodResponses as [string, { state: string }][]).map((r) => r[1].state);
      return { Email: email, Thread: thread };
    };
    ws.send(JSON.stringify({ "@type": "WebSocketPushEnable", dataTypes: ["Email", "Thread"] }));
    const before = await states("r1");
    // Alice shares her Inbox with Bob: no message changed, but his view of her account did.
    const inbox = (await store.getMailboxByRole(env.alice.id, "inbox"))!;
    await setGrant(store, env.alice.id, inbox.id, env.bob.id, "lr");
    const push = await next();
    const after = await states("r2");
    assert.notEqual(after.Email, before.Email);
    assert.deepEqual(push, { "@type": "StateChange", changed: { [env.alice.id]: after } });
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  } finally {
    await env.close();
  }
});

Deno.test("jmap wire: WebSocket push of a grantee carries a shared account's changes for the mailboxes shared with them only (RFC 9670)", async () => {
  const env = await start();
  try {
    const store = env.srv.context.store;
    const team = await store.createMailbox(env.alice.id, { name: "Team" });
    await store.mailboxAcl.set(env.alice.id, team.id, env.bob.id, "lr");
    const { token } = await createToken(store, "bob@example.org", "ws");
    const ws = new WebSocket(
      `ws://127.0.0.1:${env.srv.addresses.http.port}/jmap/ws?access_token=${encodeURIComponent(token)}`,
      "jmap",
    );
    const messages: Record<string, unknown>[] = [];
    let wake: (() => void) | null = null;
    ws.onmessage = (e) => {
      messages.push(JSON.parse(e.data));
      wake?.();
    };
    const next = async () => {
      while (messages.length === 0) await new Promise<void>((r) => wake = r);
      return messages.shift()!;
    };
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    ws.send(JSON.stringify({ "@type": "WebSocketPushEnable", dataTypes: ["Mailbox"] }));
    ws.send(JSON.stringify({ "@type": "Request", id: "r1", using: [], methodCalls: [] }));
    assert.equal((await next()).requestId, "r1");
    // A mailbox of Alice's that Bob may not look up changes first: only Team's change reaches him.
    const inbox = (await store.getMailboxByRole(env.alice.id, "inbox"))!;
    await store.updateMailbox(env.alice.id, inbox.id, { name: inbox.name });
    await store.updateMailbox(env.alice.id, team.id, { name: "Crew" });
    const push = await next();
    assert.deepEqual(push, {
      "@type": "StateChange",
      changed: { [env.alice.id]: { Mailbox: await store.state(env.alice.id, "Mailbox") } },
    });
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  } finally {
    await env.close();
  }
});
