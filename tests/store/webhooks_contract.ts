/**
 * The contract of the webhook and notification records (`Store.webhooks`, `Store.notifications`,
 * issue 19), registered by tests/store/records_contract.ts for every backend. The outbox case is
 * the at-least-once guarantee: outbox rows commit with the message, or not at all.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";
import { StoreError } from "../../core/store/types.ts";
import type { WebhookRecord } from "../../core/store/records/webhooks.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };
const enc = new TextEncoder();

async function account(store: Store, address: string, quotaBytes?: number) {
  const domain = address.split("@")[1]!;
  if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
  return await store.createAccount({ address, secrets: SECRETS, quotaBytes });
}

function hook(id: string, extra: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    id,
    scopeKind: "address",
    scope: "ada@hooks.example",
    url: "https://receiver.example/in",
    events: ["message.received"],
    secret: "whsec_c2VjcmV0",
    enabled: true,
    failures: 0,
    pausedUntil: null,
    created: new Date(1000),
    ...extra,
  };
}

/** Registers the webhook record tests through the suite's `test` (fresh store per test). */
export function webhookRecordsContract<C extends { store: Store }>(
  test: (title: string, fn: (c: C) => Promise<void>) => void,
  reopen: (c: C) => Promise<void>,
): void {
  test("webhooks: created, listed, patched and deleted; kept across a reopen", async (c) => {
    await c.store.webhooks.create(hook("w1"));
    await c.store.webhooks.create(
      hook("w2", { scopeKind: "domain", scope: "hooks.example", created: new Date(2000) }),
    );
    await reopen(c);
    assert.deepEqual((await c.store.webhooks.list()).map((w) => w.id), ["w1", "w2"]);
    assert.deepEqual(await c.store.webhooks.get("w1"), hook("w1"));
    const paused = new Date(9000);
    const updated = await c.store.webhooks.update("w1", {
      failures: 5,
      pausedUntil: paused,
      events: ["quota.warning"],
    });
    assert.deepEqual(updated, { ...hook("w1"), failures: 5, pausedUntil: paused, events: ["quota.warning"] });
    assert.deepEqual(await c.store.webhooks.get("w1"), updated);
    assert.equal(await c.store.webhooks.update("nope", { enabled: false }), null);
    assert.equal(await c.store.webhooks.delete("w2"), true);
    assert.equal(await c.store.webhooks.delete("w2"), false);
    assert.deepEqual((await c.store.webhooks.list()).map((w) => w.id), ["w1"]);
  });

  test("webhooks: outbox rows commit with the message (ids and UIDs), and not at all when it fails", async (c) => {
    const ada = await account(c.store, "ada@hooks.example");
    const full = await account(c.store, "bob@hooks.example", 10);
    await c.store.webhooks.create(hook("w1"));
    const inbox = await c.store.getMailboxByRole(ada.id, "inbox");
    const created = new Date(5000);
    const entry = {
      webhookId: "w1",
      event: "message.received" as const,
      createdAt: created,
      expiresAt: new Date(99_000),
    };
    const raw = enc.encode("Subject: hi\r\n\r\nbody\r\n");
    const { added } = await c.store.storeMessages(raw, [
      { accountId: ada.id, mailboxIds: [inbox!.id], outbox: [{ ...entry, id: "d1" }] },
    ]);
    // All-or-nothing: over quota, neither the message nor its outbox row exists.
    const fullInbox = await c.store.getMailboxByRole(full.id, "inbox");
    await assert.rejects(
      c.store.storeMessages(enc.encode("Subject: big\r\n\r\n" + "x".repeat(100)), [
        { accountId: full.id, mailboxIds: [fullInbox!.id], outbox: [{ ...entry, id: "d2" }] },
      ]),
      (e) => e instanceof StoreError && e.code === "overQuota",
    );
    await reopen(c);
    assert.equal(await c.store.webhooks.getDelivery("d2"), null);
    const due = await c.store.webhooks.due(new Date(5000), 10);
    assert.deepEqual(due.map((d) => [d.id, d.messageId, d.accountId, d.status, d.attempts]), [
      ["d1", added[0]!.id, ada.id, "pending", 0],
    ]);
    const uids = JSON.parse(due[0]!.data).uids;
    assert.deepEqual(uids, added[0]!.uids);
    assert.deepEqual(await c.store.webhooks.due(new Date(4999), 10), []);
    assert.deepEqual(await c.store.webhooks.nextDue(), created);
  });

  test("webhooks: attempts move a delivery through retry, delivered and failed; log, replay and prune", async (c) => {
    await c.store.webhooks.create(hook("w1"));
    const base = {
      webhookId: "w1",
      event: "delivery.failed" as const,
      accountId: null,
      messageId: null,
      data: "{}",
    };
    await c.store.webhooks.enqueue([
      { ...base, id: "d1", createdAt: new Date(1000), expiresAt: new Date(50_000) },
      { ...base, id: "d2", createdAt: new Date(2000), expiresAt: new Date(50_000) },
    ]);
    await c.store.webhooks.recordAttempt(
      { deliveryId: "d1", attempt: 1, at: new Date(3000), statusCode: 500, latencyMs: 12, error: "HTTP 500" },
      { status: "pending", nextAttemptAt: new Date(63_000) },
    );
    assert.deepEqual((await c.store.webhooks.due(new Date(10_000), 10)).map((d) => d.id), ["d2"]);
    await c.store.webhooks.recordAttempt(
      { deliveryId: "d1", attempt: 2, at: new Date(63_000), statusCode: 200, latencyMs: 7, error: null },
      { status: "delivered" },
    );
    await c.store.webhooks.recordAttempt(
      { deliveryId: "d2", attempt: 1, at: new Date(4000), statusCode: null, latencyMs: 3, error: "refused" },
      { status: "failed" },
    );
    await reopen(c);
    const d1 = (await c.store.webhooks.getDelivery("d1"))!;
    assert.deepEqual(
      [d1.status, d1.attempts, d1.lastStatusCode, d1.lastLatencyMs, d1.completedAt],
      ["delivered", 2, 200, 7, new Date(63_000)],
    );
    assert.deepEqual((await c.store.webhooks.attempts("d1")).map((a) => [a.attempt, a.statusCode, a.error]), [
      [1, 500, "HTTP 500"],
      [2, 200, null],
    ]);
    assert.deepEqual((await c.store.webhooks.deliveries("w1")).map((d) => d.id), ["d2", "d1"]);
    assert.deepEqual((await c.store.webhooks.deliveries("w1", { status: "failed" })).map((d) => d.id), [
      "d2",
    ]);
    assert.equal(await c.store.webhooks.nextDue(), null);
    const replayed = await c.store.webhooks.replay("d2", new Date(70_000), new Date(80_000));
    assert.deepEqual([replayed?.status, replayed?.completedAt, replayed?.attempts], ["pending", null, 1]);
    assert.deepEqual((await c.store.webhooks.due(new Date(70_000), 10)).map((d) => d.id), ["d2"]);
    assert.equal(await c.store.webhooks.replay("nope", new Date(0), new Date(0)), null);
    assert.equal(await c.store.webhooks.prune(new Date(64_000)), 1);
    assert.equal(await c.store.webhooks.getDelivery("d1"), null);
    assert.deepEqual(await c.store.webhooks.attempts("d1"), []);
    assert.equal(await c.store.webhooks.delete("w1"), true);
    assert.equal(await c.store.webhooks.getDelivery("d2"), null);
  });

  test("webhooks: due skips disabled and paused endpoints, is fair per endpoint; nextDue and expire", async (c) => {
    await c.store.webhooks.create(hook("w1"));
    await c.store.webhooks.create(hook("w2"));
    await c.store.webhooks.create(hook("w3", { enabled: false }));
    const base = { event: "delivery.failed" as const, accountId: null, messageId: null, data: "{}" };
    const rows = [];
    for (let i = 0; i < 5; i++) {
      rows.push({
        ...base,
        id: `a${i}`,
        webhookId: "w1",
        createdAt: new Date(1000 + i),
        expiresAt: new Date(50_000),
      });
    }
    rows.push({ ...base, id: "b0", webhookId: "w2", createdAt: new Date(1100), expiresAt: new Date(50_000) });
    rows.push({ ...base, id: "c0", webhookId: "w3", createdAt: new Date(900), expiresAt: new Date(20_000) });
    await c.store.webhooks.enqueue(rows);
    assert.deepEqual((await c.store.webhooks.due(new Date(2000), 10, 2)).map((d) => d.id), [
      "a0",
      "a1",
      "b0",
    ]);
    assert.deepEqual((await c.store.webhooks.due(new Date(2000), 2)).map((d) => d.id), ["a0", "a1"]);
    assert.deepEqual(await c.store.webhooks.nextDue(), new Date(1000));
    // An open circuit holds the endpoint's rows back until its probe time.
    await c.store.webhooks.update("w1", { pausedUntil: new Date(30_000), failures: 5 });
    assert.deepEqual((await c.store.webhooks.due(new Date(2000), 10)).map((d) => d.id), ["b0"]);
    assert.deepEqual((await c.store.webhooks.due(new Date(30_000), 10, 1)).map((d) => d.id), ["a0", "b0"]);
    await c.store.webhooks.recordAttempt(
      { deliveryId: "b0", attempt: 1, at: new Date(3000), statusCode: 204, latencyMs: 1, error: null },
      { status: "delivered" },
    );
    assert.deepEqual(await c.store.webhooks.nextDue(), new Date(30_000));
    assert.equal(await c.store.webhooks.expire(new Date(20_000)), 1);
    const c0 = await c.store.webhooks.getDelivery("c0");
    assert.deepEqual([c0?.status, c0?.lastError], ["failed", "expired"]);
  });

  test("notifications: a cause is claimed once per window, again after the window or a release", async (c) => {
    const n = c.store.notifications;
    assert.equal(await n.claim("quota80:a1", new Date(1000), new Date(0)), true);
    assert.equal(await n.claim("quota80:a1", new Date(2000), new Date(0)), false);
    assert.equal(await n.claim("quota80:a2", new Date(2000), new Date(0)), true);
    await reopen(c);
    assert.equal(await c.store.notifications.claim("quota80:a1", new Date(3000), new Date(500)), false);
    assert.equal(await c.store.notifications.claim("quota80:a1", new Date(3000), new Date(1001)), true);
    await c.store.notifications.release("quota80:a1");
    assert.equal(await c.store.notifications.claim("quota80:a1", new Date(3500), new Date(0)), true);
    assert.equal(await c.store.notifications.prune(new Date(3000)), 1);
    assert.equal(await c.store.notifications.claim("quota80:a2", new Date(4000), new Date(0)), true);
  });
}
