/**
 * Cases registered by tests/api/api_test.ts. Admin-API queue routes through the real server: a
 * message queued to a remote domain whose loopback MX defers it (tagged, as JMAP submissions are,
 * so the queue reports each attempt's outcome to the test) stays queued; the API lists it, shows
 * its attempts, retries it (the scheduler makes a new attempt at once), gives statistics, deletes
 * it, and refuses members.
 */
import assert from "node:assert/strict";
import { type ApiTestServer, login, startApiServer } from "./_server.ts";
import { startSink } from "../queue/_sink.ts";
import type { Queue } from "../../core/queue/queue.ts";
import type { RecipientOutcome } from "../../core/queue/types.ts";

/** Queues one message from alice to far@remote.test through the server's queue; resolves after its first attempt. */
async function queueOne(t: ApiTestServer): Promise<RecipientOutcome> {
  const queue = t.srv.context.outbound as Queue;
  const first = nextOutcome(queue);
  const blob = await t.srv.context.store.blobs.put(
    new TextEncoder().encode(
      "From: alice@example.org\r\nTo: far@remote.test\r\nSubject: Q\r\n\r\nqueued\r\n",
    ),
  );
  await queue.enqueue(
    {
      from: "alice@example.org",
      recipients: [{ address: "far@remote.test" }],
      smtputf8: false,
      body: "7BIT",
      sessionId: "api-queue-test",
    },
    blob,
    { origin: "api-queue-test" },
  );
  return await first;
}

/** Resolves with the next recipient outcome the server's queue reports. */
function nextOutcome(queue: Queue): Promise<RecipientOutcome> {
  return new Promise((resolve) => {
    const off = queue.onRecipientOutcome((o) => {
      off();
      resolve(o);
    });
  });
}

Deno.test("api queue: a deferred message is listed, shown with its attempts, retried at once, counted, deleted", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  // A day between retries and an hour between polls: only the API's retry can cause the second attempt now.
  const t = await startApiServer(undefined, {
    queue: {
      retry_base: 86_400,
      retry_max: 86_400,
      poll_interval: 3600,
      static_dns: [{ name: "remote.test", type: "A", value: sink.address }],
    },
  });
  try {
    const queue = t.srv.context.outbound as Queue;
    const deferred = queueOne(t);
    const first = await deferred;
    assert.equal(first.status, "deferred");

    const root = (await login(t, "root@example.org")).accessToken;
    const list = await t.call("GET", "/queue", { token: root });
    assert.equal(list.status, 200);
    const page = await list.json();
    assert.equal(page.items.length, 1);
    assert.equal(page.nextCursor, null);
    const id = page.items[0].id;
    const badCursor = await t.call("GET", "/queue?cursor=not-a-cursor", { token: root });
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.headers.get("content-type"), "application/problem+json");
    assert.equal(id, first.queueId);
    assert.equal(page.items[0].from, "alice@example.org");
    assert.equal(page.items[0].pending, 1);

    const shown = await (await t.call("GET", `/queue/${id}`, { token: root })).json();
    assert.deepEqual(
      shown.recipients.map((r: { address: string; status: string; attempts: number }) => [
        r.address,
        r.status,
        r.attempts,
      ]),
      [["far@remote.test", "deferred", 1]],
    );
    assert.equal(shown.attempts.length, 1);
    assert.equal(shown.attempts[0].outcome, "deferred");
    assert.match(shown.attempts[0].reply, /^451/);

    // The retry wakes the scheduler: a second attempt happens now, not in a day.
    const again = nextOutcome(queue);
    const retry = await t.call("POST", `/queue/${id}/retry`, { token: root });
    assert.equal(retry.status, 200);
    assert.deepEqual(await retry.json(), { id, retried: true });
    assert.equal((await again).status, "deferred");
    const after = await (await t.call("GET", `/queue/${id}`, { token: root })).json();
    assert.equal(after.attempts.length, 2);
    assert.equal(after.recipients[0].attempts, 2);

    const stats = await (await t.call("GET", "/queue/stats", { token: root })).json();
    assert.equal(stats.messages, 1);
    assert.deepEqual(stats.recipients, { queued: 0, deferred: 1, delivered: 0, failed: 0 });
    assert.equal(stats.attempts, 2);
    assert.equal(stats.bytes, page.items[0].size);
    assert.equal(stats.oldest, page.items[0].createdAt);

    // The same queue as Prometheus sees it (no [metrics] token here: /metrics is open).
    const { hostname, port } = t.srv.addresses.http;
    const metrics = await (await fetch(`http://${hostname}:${port}/metrics`)).text();
    assert.match(metrics, /^tern_queue_messages 1$/m);
    assert.match(metrics, /^tern_queue_recipients_pending 1$/m);
    assert.match(metrics, /^tern_deliveries_total\{route="remote",result="deferred"\} 2$/m);
    assert.match(metrics, /^tern_queue_attempt_seconds_count 2$/m);

    const audit = await t.srv.context.store.audit.list({ kind: "change", limit: 10 });
    assert.ok(
      audit.some((e) => e.action === "queue.retry" && e.target === id && e.actor === "root@example.org"),
    );

    assert.equal((await t.call("DELETE", `/queue/${id}`, { token: root })).status, 204);
    assert.equal((await t.call("GET", `/queue/${id}`, { token: root })).status, 404);
    assert.equal((await t.call("DELETE", `/queue/${id}`, { token: root })).status, 404);
    assert.equal((await t.call("POST", `/queue/${id}/retry`, { token: root })).status, 404);
    assert.deepEqual((await (await t.call("GET", "/queue", { token: root })).json()).items, []);
    assert.equal(await t.srv.context.store.queue.getMessage(id), null);
  } finally {
    await t.close();
    await sink.close();
  }
});

Deno.test("api queue: members are refused (403) and anonymous callers get 401", async () => {
  const t = await startApiServer();
  try {
    const alice = (await login(t, "alice@example.org")).accessToken;
    for (
      const [method, path] of [
        ["GET", "/queue"],
        ["GET", "/queue/stats"],
        ["GET", "/queue/nope"],
        ["POST", "/queue/nope/retry"],
        ["DELETE", "/queue/nope"],
        ["POST", "/queue/process"],
      ] as const
    ) {
      const res = await t.call(method, path, { token: alice });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.equal((await t.call(method, path)).status, 401, `${method} ${path} anonymous`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("api queue: process makes every pending recipient due now and reports how many", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  const t = await startApiServer(undefined, {
    queue: {
      retry_base: 86_400,
      retry_max: 86_400,
      poll_interval: 3600,
      static_dns: [{ name: "remote.test", type: "A", value: sink.address }],
    },
  });
  try {
    const queue = t.srv.context.outbound as Queue;
    const deferred = queueOne(t);
    await deferred;
    const root = (await login(t, "root@example.org")).accessToken;
    const again = nextOutcome(queue);
    const res = await t.call("POST", "/queue/process", { token: root });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { recipients: 1 });
    assert.equal((await again).status, "deferred");
  } finally {
    await t.close();
    await sink.close();
  }
});
