import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { nullLogger } from "../log/logger.ts";
import type { BlobId } from "../store/types.ts";
import type { OutboundEnvelope, OutboundQueue } from "./outbound.ts";
import {
  type CommittedDelivery,
  type DeliveryOrigin,
  DeliveryPipeline,
  type InboundStage,
  type PipelineServices,
  type PostDeliveryHook,
  REFUSALS,
} from "./pipeline.ts";
import { memorySource } from "./spool.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const MESSAGE = "From: s@remote.test\r\nTo: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
const NOW = new Date(Date.UTC(2026, 11, 6, 20, 30, 5));
const clock: Clock = { now: () => new Date(NOW) };

const SMTP: DeliveryOrigin = {
  kind: "smtp",
  lmtp: false,
  heloName: "client.test",
  esmtp: true,
  clientIp: "192.0.2.10",
  tls: { protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" },
  authenticatedAs: "a@example.org",
  sessionId: "s1",
};
const JMAP: DeliveryOrigin = {
  kind: "jmap",
  clientIp: "192.0.2.20",
  tls: null,
  authenticatedAs: "a@example.org",
  sessionId: "h1",
};

/** An outbound queue that records what it was handed (the real queue has its own tests). */
class RecordingQueue implements OutboundQueue {
  entries: { envelope: OutboundEnvelope; blobId: BlobId; origin?: string }[] = [];
  enqueue(envelope: OutboundEnvelope, message: { blobId: BlobId }, options?: { origin?: string }) {
    this.entries.push({ envelope, blobId: message.blobId, origin: options?.origin });
    return Promise.resolve({ id: `q${this.entries.length}` });
  }
}

interface Env {
  store: SqliteStore;
  a: string;
  b: string;
  queue: RecordingQueue;
  pipeline(extra?: Partial<PipelineServices>): DeliveryPipeline;
  inbox(accountId: string): Promise<string[]>;
}

async function withEnv(fn: (env: Env) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    await store.addDomain("example.org");
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const b = await store.createAccount({ address: "b@example.org", secrets: { passwordHash: "x" } });
    const queue = new RecordingQueue();
    await fn({
      store,
      a: a.id,
      b: b.id,
      queue,
      pipeline: (extra = {}) =>
        new DeliveryPipeline({
          store,
          clock,
          log: nullLogger,
          hostname: "mx.test",
          outbound: queue,
          ...extra,
        }),
      async inbox(accountId) {
        const inbox = await store.getMailboxByRole(accountId, "inbox");
        const ids = await store.queryMessages(accountId, { filter: { inMailbox: inbox!.id } });
        const out: string[] = [];
        for (const id of ids) out.push(dec.decode((await store.readMessage(accountId, id))!));
        return out;
      },
    });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const envelope = { from: "s@remote.test", smtputf8: false, body: "8BITMIME" as const };

Deno.test("pipeline routes local recipients to their Inbox and remote ones to the queue, in one transaction", async () => {
  await withEnv(async (env) => {
    const tx = env.pipeline().begin(envelope, SMTP, { mayRelay: true, id: "tx-1" });
    assert.equal(await tx.addRecipient({ address: "a@example.org" }), null);
    assert.equal(await tx.addRecipient({ address: "far@remote.test", notify: ["FAILURE"] }), null);
    assert.deepEqual(tx.recipients.map((r) => r.route), ["local", "remote"]);
    const result = await tx.deliver(memorySource(enc.encode(MESSAGE)));
    assert.deepEqual(result.recipients, [
      { address: "a@example.org", status: "delivered" },
      { address: "far@remote.test", status: "queued" },
    ]);
    assert.equal(result.queueId, "q1");
    const [local] = await env.inbox(env.a);
    // Final delivery: Return-Path then Received (RFC 5321 §4.4), then the message as received.
    assert.match(local!, /^Return-Path: <s@remote\.test>\r\nReceived: from client\.test /);
    assert.ok(local!.endsWith(MESSAGE));
    // The relayed copy has the Received line but no Return-Path (that is the final hop's).
    const [entry] = env.queue.entries;
    assert.deepEqual(entry!.envelope.recipients, [{ address: "far@remote.test", notify: ["FAILURE"] }]);
    assert.equal(entry!.envelope.authUser, "a@example.org");
    const queued = dec.decode((await env.store.blobs.get(entry!.blobId))!);
    assert.match(queued, /^Received: from client\.test /);
    assert.ok(queued.endsWith(MESSAGE));
  });
});

Deno.test("pipeline refuses each recipient on its own with its SMTP code", async () => {
  await withEnv(async (env) => {
    await env.store.updateAccount(env.b, { quotaBytes: 100 });
    const tx = env.pipeline().begin({ ...envelope, size: 1000 }, SMTP, { mayRelay: false });
    assert.deepEqual(await tx.addRecipient({ address: "nobody@example.org" }), REFUSALS.unknownUser);
    assert.deepEqual(await tx.addRecipient({ address: "far@remote.test" }), REFUSALS.relayDenied);
    assert.deepEqual(await tx.addRecipient({ address: "b@example.org" }), REFUSALS.mailboxFull);
    assert.equal(await tx.addRecipient({ address: "a@example.org" }), null);
    assert.deepEqual(tx.recipients.map((r) => r.address), ["a@example.org"]);
    assert.deepEqual(
      [REFUSALS.unknownUser, REFUSALS.relayDenied, REFUSALS.mailboxFull].map((r) =>
        `${r.code} ${r.enhanced}`
      ),
      ["550 5.1.1", "554 5.7.1", "452 4.2.2"],
    );
    const lmtp = env.pipeline().begin(envelope, { ...SMTP, lmtp: true }, { mayRelay: true, localOnly: true });
    assert.deepEqual(await lmtp.addRecipient({ address: "far@remote.test" }), REFUSALS.notLocal);
    const noQueue = env.pipeline({ outbound: undefined }).begin(envelope, SMTP, { mayRelay: true });
    assert.deepEqual(await noQueue.addRecipient({ address: "far@remote.test" }), REFUSALS.noQueue);
  });
});

Deno.test("pipeline writes one Received shape: SMTP names the HELO and TLS, JMAP the address literal and HTTP, the queue none", async () => {
  await withEnv(async (env) => {
    const p = env.pipeline();
    const smtp = p.begin(envelope, SMTP, { mayRelay: false, id: "abc-1" });
    await smtp.addRecipient({ address: "a@example.org" });
    assert.equal(
      smtp.received(NOW),
      "Received: from client.test ([192.0.2.10])\r\n\tby mx.test (Tern) with ESMTPSA id abc-1\r\n" +
        "\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)\r\n\tfor <a@example.org>;\r\n" +
        "\tSun, 6 Dec 2026 20:30:05 +0000\r\n",
    );
    const jmap = p.begin(envelope, JMAP, { mayRelay: true, id: "j1" });
    await jmap.addRecipient({ address: "a@example.org" });
    await jmap.addRecipient({ address: "b@example.org" });
    // Two recipients: neither is named (their privacy).
    assert.equal(
      jmap.received(NOW),
      "Received: from [192.0.2.20] ([192.0.2.20])\r\n\tby mx.test (Tern) with HTTP id j1;\r\n" +
        "\tSun, 6 Dec 2026 20:30:05 +0000\r\n",
    );
    await jmap.deliver(memorySource(enc.encode(MESSAGE)));
    const [got] = await env.inbox(env.b);
    assert.ok(got!.startsWith("Return-Path: <s@remote.test>\r\n" + jmap.received(NOW)));
    const queue = p.begin({ ...envelope, from: null }, { kind: "queue", sessionId: "q" }, {
      mayRelay: false,
      localOnly: true,
    });
    assert.equal(queue.received(NOW), "");
    await queue.addRecipient({ address: "a@example.org" });
    await queue.deliver(memorySource(enc.encode(MESSAGE)));
    assert.ok((await env.inbox(env.a)).includes("Return-Path: <>\r\n" + MESSAGE));
  });
});

Deno.test("pipeline runs hooks after the commit, and a failing hook loses nothing", async () => {
  await withEnv(async (env) => {
    const seen: { hook: string; inboxAtRun: number; delivery: CommittedDelivery }[] = [];
    const warnings: string[] = [];
    const log: Logger = { ...nullLogger, warn: (msg: string) => void warnings.push(msg) };
    const hook = (name: string, fail: boolean): PostDeliveryHook => ({
      name,
      async run(delivery) {
        seen.push({ hook: name, inboxAtRun: (await env.inbox(env.a)).length, delivery });
        if (fail) throw new Error("hook broke");
      },
    });
    const p = env.pipeline({ log, hooks: [hook("failing", true), hook("next", false)] });
    const tx = p.begin(envelope, SMTP, { mayRelay: false });
    await tx.addRecipient({ address: "a@example.org" });
    const result = await tx.deliver(memorySource(enc.encode(MESSAGE)));
    assert.deepEqual(result.recipients.map((r) => r.status), ["delivered"]);
    await result.hooks;
    // Both ran, in order, each seeing the message already stored.
    assert.deepEqual(seen.map((s) => [s.hook, s.inboxAtRun]), [["failing", 1], ["next", 1]]);
    assert.deepEqual(seen[1]!.delivery.accountIds, [env.a]);
    assert.match(dec.decode((await seen[1]!.delivery.raw())!), /^Return-Path: /);
    assert.deepEqual(warnings, ["post-delivery hook failed"]);
    assert.equal((await env.inbox(env.a)).length, 1);
  });
});

Deno.test("pipeline runs no hook when nothing was committed, and a failed local placement queues nothing", async () => {
  await withEnv(async (env) => {
    let ran = 0;
    const p = env.pipeline({ hooks: [{ name: "count", run: () => Promise.resolve(void ran++) }] });
    const tx = p.begin(envelope, SMTP, { mayRelay: true });
    await tx.addRecipient({ address: "a@example.org" });
    await tx.addRecipient({ address: "far@remote.test" });
    // The account fills up between RCPT and the end of data.
    await env.store.updateAccount(env.a, { quotaBytes: 10 });
    const result = await tx.deliver(memorySource(enc.encode(MESSAGE)));
    await result.hooks;
    assert.deepEqual(
      result.recipients.map((r) => r.status === "failed" ? r.refusal.reason : r.status),
      ["mailboxFull", "localError"],
    );
    assert.equal(env.queue.entries.length, 0);
    assert.equal(ran, 0);
  });
});

Deno.test("pipeline per-recipient delivery fails only the full mailbox (LMTP, RFC 2033 §4.2)", async () => {
  await withEnv(async (env) => {
    let accounts: string[] = [];
    const p = env.pipeline({
      hooks: [{ name: "r", run: (d) => Promise.resolve(void (accounts = d.accountIds)) }],
    });
    const tx = p.begin(envelope, { ...SMTP, lmtp: true }, { mayRelay: false, localOnly: true });
    await tx.addRecipient({ address: "a@example.org" });
    await tx.addRecipient({ address: "b@example.org" });
    await env.store.updateAccount(env.b, { quotaBytes: 10 });
    const result = await tx.deliver(memorySource(enc.encode(MESSAGE)), { perRecipient: true });
    await result.hooks;
    const [a, b] = result.recipients;
    assert.equal(a!.status, "delivered");
    assert.equal(b?.status === "failed" && b.refusal, REFUSALS.overQuota);
    assert.deepEqual(accounts, [env.a]);
  });
});

Deno.test("pipeline stages run before the commit: their fields go above Received, a refusal stores nothing", async () => {
  await withEnv(async (env) => {
    let hooks = 0;
    const hook: PostDeliveryHook = { name: "count", run: () => Promise.resolve(void hooks++) };
    const stamp: InboundStage = {
      name: "stamp",
      check: () => Promise.resolve({ accept: true, fields: "Authentication-Results: mx.test; none\r\n" }),
    };
    const accepted = env.pipeline({ stages: [stamp], hooks: [hook] }).begin(envelope, SMTP, {
      mayRelay: true,
    });
    await accepted.addRecipient({ address: "a@example.org" });
    await accepted.addRecipient({ address: "far@remote.test" });
    await (await accepted.deliver(memorySource(enc.encode(MESSAGE)))).hooks;
    const [local] = await env.inbox(env.a);
    assert.match(
      local!,
      /^Return-Path: <s@remote\.test>\r\nAuthentication-Results: mx\.test; none\r\nReceived: /,
    );
    const queued = dec.decode((await env.store.blobs.get(env.queue.entries[0]!.blobId))!);
    assert.match(queued, /^Authentication-Results: mx\.test; none\r\nReceived: /);
    assert.equal(hooks, 1);

    const refusal = { ...REFUSALS.rejected, text: "DMARC policy says reject" };
    const refuse: InboundStage = { name: "refuse", check: () => Promise.resolve({ accept: false, refusal }) };
    const broken: InboundStage = { name: "broken", check: () => Promise.reject(new Error("resolver down")) };
    for (const [stage, expected] of [[refuse, refusal], [broken, REFUSALS.localError]] as const) {
      const tx = env.pipeline({ stages: [stage], hooks: [hook] }).begin(envelope, SMTP, { mayRelay: true });
      await tx.addRecipient({ address: "b@example.org" });
      await tx.addRecipient({ address: "far@remote.test" });
      const result = await tx.deliver(memorySource(enc.encode(MESSAGE)));
      await result.hooks;
      assert.deepEqual(result.recipients.map((r) => r.status === "failed" && r.refusal), [
        expected,
        expected,
      ]);
    }
    assert.deepEqual(await env.inbox(env.b), []);
    assert.equal(env.queue.entries.length, 1);
    assert.equal(hooks, 1);
  });
});

Deno.test("pipeline tells the hooks each account's quota use right after the delivery, per-recipient too", async () => {
  await withEnv(async (env) => {
    await env.store.updateAccount(env.b, { quotaBytes: 1_000_000 });
    for (const perRecipient of [false, true]) {
      let usage: CommittedDelivery["usage"];
      const p = env.pipeline({ hooks: [{ name: "u", run: (d) => Promise.resolve(void (usage = d.usage)) }] });
      const tx = p.begin(envelope, { ...SMTP, lmtp: perRecipient }, { mayRelay: false, localOnly: true });
      await tx.addRecipient({ address: "a@example.org" });
      await tx.addRecipient({ address: "b@example.org" });
      await (await tx.deliver(memorySource(enc.encode(MESSAGE)), { perRecipient })).hooks;
      const a = (await env.store.getAccount(env.a))!;
      const b = (await env.store.getAccount(env.b))!;
      assert.ok(a.usedBytes > 0);
      assert.deepEqual(
        usage && [...usage].sort(),
        [[env.a, { usedBytes: a.usedBytes, quotaBytes: 0 }], [env.b, {
          usedBytes: b.usedBytes,
          quotaBytes: 1_000_000,
        }]]
          .sort(),
        `perRecipient ${perRecipient}`,
      );
    }
  });
});
