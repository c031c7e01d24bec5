/**
 * Cases registered by tests/api/api_test.ts. `GET /api/v1/admin/stats` through the real server:
 * accounts, domains, messages and bytes stored, and today's deliveries (two local recipients over
 * SMTP with nodemailer) and bounces (a remote recipient a loopback MX refuses with 550); the day's
 * counts survive a restart (written at stop).
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { login, startApiServer } from "./_server.ts";
import { startSink } from "../queue/_sink.ts";
import type { Queue } from "../../core/queue/queue.ts";
import type { RecipientOutcome } from "../../core/queue/types.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

Deno.test("api stats: accounts, storage and today's deliveries and bounces; the counts outlive a restart", async () => {
  const sink = await startSink({ rcpt: () => "reject" });
  const t = await startApiServer(undefined, {
    queue: { static_dns: [{ name: "remote.test", type: "A", value: sink.address }] },
  });
  let closed = false;
  try {
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.srv.addresses.smtp.port,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    await smtp.sendMail({
      from: "s@remote.test",
      to: ["alice@example.org", "bob@example.org"],
      subject: "stats",
      text: "x",
    });
    smtp.close();

    // A remote recipient refused for good (NOTIFY=NEVER: no DSN comes back to count).
    const queue = t.srv.context.outbound as Queue;
    const failed = new Promise<RecipientOutcome>((resolve) => {
      const off = queue.onRecipientOutcome((o) => {
        off();
        resolve(o);
      });
    });
    const blob = await t.srv.context.store.blobs.put(new TextEncoder().encode("Subject: b\r\n\r\nbody\r\n"));
    await queue.enqueue(
      {
        from: "alice@example.org",
        recipients: [{ address: "far@remote.test", notify: ["NEVER"] }],
        smtputf8: false,
        body: "7BIT",
        sessionId: "stats-test",
      },
      blob,
      { origin: "stats-test" },
    );
    assert.equal((await failed).status, "failed");

    const root = (await login(t, "root@example.org")).accessToken;
    const res = await t.call("GET", "/admin/stats", { token: root });
    assert.equal(res.status, 200);
    const stats = await res.json();
    assert.equal(stats.accounts, 3);
    assert.equal(stats.disabledAccounts, 0);
    assert.equal(stats.domains, 1);
    assert.equal(stats.messages, 2);
    const accounts = await t.srv.context.store.listAccounts();
    assert.equal(stats.bytes, accounts.reduce((n, a) => n + a.usedBytes, 0));
    assert.ok(stats.bytes > 0);
    assert.equal(stats.days.length, 30);
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(stats.days[29], {
      day: today,
      deliveredLocal: 2,
      deliveredRemote: 0,
      deferred: 0,
      bounced: 1,
    });
    assert.deepEqual(stats.days[0], {
      day: new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10),
      deliveredLocal: 0,
      deliveredRemote: 0,
      deferred: 0,
      bounced: 0,
    });
    assert.equal((await (await t.call("GET", "/admin/stats?days=1", { token: root })).json()).days.length, 1);
    assert.equal((await t.call("GET", "/admin/stats?days=0", { token: root })).status, 400);
    const alice = (await login(t, "alice@example.org")).accessToken;
    assert.equal((await t.call("GET", "/admin/stats", { token: alice })).status, 403);
    assert.equal((await t.call("GET", "/admin/stats")).status, 401);

    // Stopping writes the day's counts; a reopened store has them.
    await t.srv.stop({ graceSeconds: 0 });
    closed = true;
    const store = await SqliteStore.open({ dataDir: t.dir });
    try {
      assert.deepEqual(await store.dailyCounters.list(today, today), [
        { day: today, name: "bounced", value: 1 },
        { day: today, name: "delivered_local", value: 2 },
      ]);
    } finally {
      await store.close();
    }
  } finally {
    if (closed) await Deno.remove(t.dir, { recursive: true });
    else await t.close();
    await sink.close();
  }
});
