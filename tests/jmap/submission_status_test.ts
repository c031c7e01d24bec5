/**
 * EmailSubmission status from the outbound queue (RFC 8621 §7): a submission to remote recipients
 * is delivered by the server's queue to a loopback SMTP sink (`[[queue.static_dns]]`), and
 * EmailSubmission/get then shows each recipient's outcome (delivered yes/no, the sink's reply) and
 * undoStatus final; a deferred submission stays pending and can be canceled (§7.5).
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { type Sink, type SinkAction, startSink } from "../queue/_sink.ts";
import type { Queue } from "../../core/queue/mod.ts";

type Invocation = [string, Record<string, unknown>, string];

interface Env {
  t: TestServer;
  sink: Sink;
  accountId: string;
  api(methodCalls: unknown[]): Promise<Invocation[]>;
  /** Resolves after the next EmailSubmission change of the account. */
  nextChange(): Promise<void>;
  close(): Promise<void>;
}

async function start(rcpt: (address: string) => SinkAction): Promise<Env> {
  const sink = await startSink({ rcpt });
  const t = await startTestServer({
    queue: { static_dns: [{ name: "remote.test", type: "A", value: sink.address }] },
  });
  const alice = await t.addUser("alice@example.org", "alice-pw");
  const base = `http://127.0.0.1:${t.port("http")}`;
  const authorization = "Basic " + btoa("alice@example.org:alice-pw");
  let waiters: (() => void)[] = [];
  const unsubscribe = t.srv.context.store.notifier.subscribe(alice.id, (e) => {
    if (!e.types.includes("EmailSubmission")) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  return {
    t,
    sink,
    accountId: alice.id,
    async api(methodCalls) {
      const res = await fetch(`${base}/jmap/api`, {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify({
          using: [
            "urn:ietf:params:jmap:core",
            "urn:ietf:params:jmap:mail",
            "urn:ietf:params:jmap:submission",
          ],
          methodCalls,
        }),
      });
      assert.equal(res.status, 200);
      return (await res.json()).methodResponses;
    },
    nextChange: () => new Promise<void>((resolve) => waiters.push(resolve)),
    async close() {
      unsubscribe();
      await t.close();
      await sink.close();
    },
  };
}

/** Creates a message to `to` and submits it; returns the submission id and the state before. */
async function submit(env: Env, to: string[]): Promise<{ id: string; undoStatus: string; before: string }> {
  const [[, boxes], [, identities], [, subs]] = await env.api([
    ["Mailbox/get", { accountId: env.accountId }, "m"],
    ["Identity/get", { accountId: env.accountId }, "i"],
    ["EmailSubmission/get", { accountId: env.accountId, ids: [] }, "s"],
  ]) as Invocation[] as [Invocation, Invocation, Invocation];
  const drafts = (boxes.list as { id: string; role: string }[]).find((m) => m.role === "drafts")!.id;
  const r = await env.api([
    ["Email/set", {
      accountId: env.accountId,
      create: {
        d: {
          mailboxIds: { [drafts]: true },
          from: [{ email: "alice@example.org" }],
          to: to.map((email) => ({ email })),
          subject: "Status",
          bodyValues: { b: { value: "Where did it go?" } },
          textBody: [{ partId: "b", type: "text/plain" }],
        },
      },
    }, "0"],
    ["EmailSubmission/set", {
      accountId: env.accountId,
      create: { s: { identityId: (identities.list as { id: string }[])[0]!.id, emailId: "#d" } },
    }, "1"],
  ]);
  const created = (r[1]![1].created as Record<string, { id: string; undoStatus: string }>)?.s;
  assert.ok(created, JSON.stringify(r[1]));
  return { id: created.id, undoStatus: created.undoStatus, before: subs.state as string };
}

interface Status {
  undoStatus: string;
  deliveryStatus: Record<string, { smtpReply: string; delivered: string; displayed: string }>;
}

async function getSubmission(env: Env, id: string): Promise<Status> {
  const [[, got]] = await env.api([
    ["EmailSubmission/get", { accountId: env.accountId, ids: [id] }, "g"],
  ]) as [Invocation];
  return (got.list as Status[])[0]!;
}

/** Waits (by change notifications, no polling timer) until `done` holds for the submission. */
async function waitFor(env: Env, id: string, done: (s: Status) => boolean): Promise<Status> {
  for (;;) {
    const change = env.nextChange();
    const s = await getSubmission(env, id);
    if (done(s)) return s;
    await change;
  }
}

Deno.test("EmailSubmission shows the queue's per-recipient outcomes and becomes final", async () => {
  const env = await start((address) => address.startsWith("nobody@") ? "reject" : "accept");
  try {
    const { id, undoStatus, before } = await submit(env, ["friend@remote.test", "nobody@remote.test"]);
    assert.equal(undoStatus, "pending");
    const s = await waitFor(env, id, (s) => s.undoStatus === "final");
    assert.equal(s.deliveryStatus["friend@remote.test"]?.delivered, "yes");
    assert.match(s.deliveryStatus["friend@remote.test"]!.smtpReply, /^250 /);
    assert.equal(s.deliveryStatus["nobody@remote.test"]?.delivered, "no");
    assert.match(s.deliveryStatus["nobody@remote.test"]!.smtpReply, /^550 5\.1\.1 No such user here/);
    assert.equal(s.deliveryStatus["nobody@remote.test"]?.displayed, "unknown");
    assert.equal(env.sink.delivered("friend@remote.test"), 1);
    // EmailSubmission/changes reports the submission (created, then updated by the queue).
    const [[, changes]] = await env.api([
      ["EmailSubmission/changes", { accountId: env.accountId, sinceState: before }, "c"],
    ]) as [Invocation];
    assert.deepEqual([...changes.created as string[], ...changes.updated as string[]].includes(id), true);
  } finally {
    await env.close();
  }
});

Deno.test("EmailSubmission deferred by the remote server stays pending and can be canceled", async () => {
  const env = await start(() => "defer");
  try {
    const { id } = await submit(env, ["later@remote.test"]);
    const s = await waitFor(env, id, (s) => /^451 /.test(s.deliveryStatus["later@remote.test"]!.smtpReply));
    assert.equal(s.undoStatus, "pending");
    assert.equal(s.deliveryStatus["later@remote.test"]!.delivered, "queued");
    const [[, set]] = await env.api([
      [
        "EmailSubmission/set",
        { accountId: env.accountId, update: { [id]: { undoStatus: "canceled" } } },
        "u",
      ],
    ]) as [Invocation];
    assert.ok((set.updated as Record<string, unknown>)?.[id] !== undefined, JSON.stringify(set));
    const after = await getSubmission(env, id);
    assert.equal(after.undoStatus, "canceled");
    assert.equal(after.deliveryStatus["later@remote.test"]!.delivered, "no");
    // The queue entry is gone: nothing will be retried.
    const queue = env.t.srv.context.outbound as Queue;
    assert.deepEqual(await queue.store.list(), []);
    const [[, again]] = await env.api([
      [
        "EmailSubmission/set",
        { accountId: env.accountId, update: { [id]: { undoStatus: "canceled" } } },
        "u",
      ],
    ]) as [Invocation];
    assert.equal((again.notUpdated as Record<string, { type: string }>)[id]!.type, "cannotUnsend");
  } finally {
    await env.close();
  }
});
