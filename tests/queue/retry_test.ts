/**
 * Retries, expiry and bounces, driven by a fake clock and `runDue()` (no real waiting).
 */
import assert from "node:assert/strict";
import { startSink } from "./_sink.ts";
import { harness, inbox } from "./_harness.ts";

function parts(dsn: string): { boundary: string; sections: string[] } {
  const boundary = /boundary="([^"]+)"/.exec(dsn)![1]!;
  const sections = dsn.split(`--${boundary}`);
  return { boundary, sections };
}

Deno.test("Queue retries with exponential backoff 60, 120, 240, 480, 960 s", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" }, retry_base: 60, retry_max: 3600 });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = h.clock.now().getTime();
      assert.equal(await h.queue.runDue(), 1);
      const r = (await h.queue.store.recipients(id))[0]!;
      assert.equal(r.status, "deferred");
      assert.equal(r.attempts, i + 1);
      assert.match(r.lastReply!, /^451 4\.2\.1/);
      const gap = (r.nextAttemptAt.getTime() - before) / 1000;
      gaps.push(gap);
      // One second early: nothing is due.
      h.clock.advance(gap - 1);
      assert.equal(await h.queue.runDue(), 0);
      h.clock.advance(1);
    }
    assert.deepEqual(gaps, [60, 120, 240, 480, 960]);
    assert.equal(sink.connections, 5);
    assert.equal((await h.queue.store.attempts(id)).length, 5);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue caps the retry delay at retry_max", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" }, retry_base: 60, retry_max: 200 });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = h.clock.now().getTime();
      await h.queue.runDue();
      const next = (await h.queue.store.recipients(id))[0]!.nextAttemptAt.getTime();
      gaps.push((next - before) / 1000);
      h.clock.advance((next - before) / 1000);
    }
    assert.deepEqual(gaps, [60, 120, 200, 200]);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue fails a recipient on expiry and sends an RFC 3464 failure DSN to the local sender", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  const h = await harness({
    relay: { hosts: [sink.address], tls: "none" },
    retry_base: 600,
    retry_max: 3600,
    lifetime: 3600,
    delay_notify: 0,
  });
  try {
    const id = await h.send({
      ret: "HDRS",
      envid: "ENV+2B1",
      recipients: [{ address: "x@remote.test", orcpt: "rfc822;orig@remote.test" }],
    });
    // Attempts at 0, 600, 1800; the next would be 4200 but is capped to the expiry at 3600.
    for (const step of [0, 600, 1200]) {
      h.clock.advance(step);
      assert.equal(await h.queue.runDue(), 1);
      assert.equal((await h.queue.store.recipients(id))[0]!.status, "deferred");
    }
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.nextAttemptAt.getTime(), (await h.queue.store.getMessage(id))!.expiresAt.getTime());
    assert.equal((await inbox(h.store)).length, 0);
    h.clock.advance(1800);
    // The original, then the DSN it queued (delivered locally in the same run).
    assert.equal(await h.queue.runDue(), 2);
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "failed");
    const mail = await inbox(h.store);
    assert.equal(mail.length, 1);
    const dsn = mail[0]!;
    // Header: null Return-Path, from the mailer daemon, auto-submitted, multipart/report.
    assert.match(dsn, /^Return-Path: <>\r$/m);
    assert.match(dsn, /^From: Mail Delivery System <MAILER-DAEMON@mx\.local\.test>\r$/m);
    assert.match(dsn, /^To: <ada@local\.test>\r$/m);
    assert.match(dsn, /^Subject: Delivery Status Notification \(Failure\)\r$/m);
    assert.match(dsn, /^Auto-Submitted: auto-replied\r$/m);
    assert.match(
      dsn,
      /^Content-Type: multipart\/report; report-type=delivery-status;\r\n\tboundary="[^"]+"\r$/m,
    );
    const { sections } = parts(dsn);
    // preamble, text, delivery-status, headers, epilogue
    assert.equal(sections.length, 5);
    assert.match(sections[1]!, /^\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.match(sections[1]!, /<x@remote\.test>: Delivery time expired; last error: 451 4\.2\.1/);
    assert.match(sections[2]!, /^\r\nContent-Type: message\/delivery-status\r\n\r\n/);
    const status = sections[2]!.split("\r\n\r\n").slice(1).join("\r\n\r\n");
    const [perMessage, perRecipient] = status.split("\r\n\r\n");
    assert.deepEqual(perMessage!.split("\r\n"), [
      "Original-Envelope-Id: ENV+1",
      "Reporting-MTA: dns; mx.local.test",
      "Arrival-Date: Thu, 1 Jan 2026 12:00:00 +0000",
    ]);
    assert.deepEqual(perRecipient!.trimEnd().split("\r\n"), [
      "Original-Recipient: rfc822; orig@remote.test",
      "Final-Recipient: rfc822; x@remote.test",
      "Action: failed",
      "Status: 4.4.7",
      `Remote-MTA: dns; 127.0.0.1`,
      "Diagnostic-Code: smtp; Delivery time expired; last error: 451 4.2.1 Mailbox busy, try later",
      "Last-Attempt-Date: Thu, 1 Jan 2026 13:00:00 +0000",
    ]);
    // RET=HDRS: only the header of the original comes back.
    assert.match(sections[3]!, /^\r\nContent-Type: text\/rfc822-headers\r\n\r\n/);
    assert.match(sections[3]!, /Subject: Hello/);
    assert.doesNotMatch(sections[3]!, /Hello Bob/);
    assert.equal(sections[4], "--\r\n");
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue fails a 5xx recipient at once, returns the full message, and delivers the others", async () => {
  const sink = await startSink({ rcpt: (a) => (a.startsWith("bad") ? "reject" : "accept") });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const id = await h.send({
      recipients: [{ address: "bad@remote.test" }, { address: "good@remote.test" }],
    });
    await h.queue.runDue();
    assert.deepEqual((await h.queue.store.recipients(id)).map((r) => r.status), ["failed", "delivered"]);
    const mail = await inbox(h.store);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!, /^Final-Recipient: rfc822; bad@remote\.test\r$/m);
    assert.match(mail[0]!, /^Status: 5\.1\.1\r$/m);
    assert.match(mail[0]!, /^Diagnostic-Code: smtp; 550 5\.1\.1 No such user here\r$/m);
    assert.doesNotMatch(mail[0]!, /good@remote\.test>:/);
    // RET absent: the whole message comes back for a failure.
    assert.match(mail[0]!, /Content-Type: message\/rfc822\r\n\r\n[^]*Hello Bob/);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue honours NOTIFY=NEVER and never bounces to the null sender", async () => {
  const sink = await startSink({ rcpt: () => "reject" });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const a = await h.send({ recipients: [{ address: "x@remote.test", notify: ["NEVER"] }] });
    const b = await h.send({ from: null, recipients: [{ address: "y@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(a))[0]!.status, "failed");
    assert.equal((await h.queue.store.recipients(b))[0]!.status, "failed");
    assert.equal((await inbox(h.store)).length, 0);
    assert.equal(h.queue.metrics.dsnSent, 0);
    // Only the two originals are in the queue: no DSN was queued either.
    assert.equal((await h.queue.store.list()).length, 2);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue sends one delay DSN after delay_notify, then keeps trying", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  const h = await harness({
    relay: { hosts: [sink.address], tls: "none" },
    retry_base: 60,
    delay_notify: 120,
  });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue(); // t=0
    h.clock.advance(60);
    await h.queue.runDue(); // t=60
    assert.equal((await inbox(h.store)).length, 0);
    h.clock.advance(120);
    await h.queue.runDue(); // t=180: past delay_notify
    let mail = await inbox(h.store);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!, /^Subject: Delivery Status Notification \(Delay\)\r$/m);
    assert.match(mail[0]!, /^Action: delayed\r$/m);
    assert.match(mail[0]!, /^Will-Retry-Until: /m);
    assert.match(mail[0]!, /Content-Type: text\/rfc822-headers/);
    assert.equal((await h.queue.store.recipients(id))[0]!.delayNotified, true);
    h.clock.advance(240);
    await h.queue.runDue();
    mail = await inbox(h.store);
    assert.equal(mail.length, 1);
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "deferred");
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue queues the DSN for a remote sender from the null sender", async () => {
  const target = await startSink({ rcpt: () => "reject" });
  const senderMx = await startSink();
  const h = await harness();
  try {
    h.dns.add({ name: "remote.test", type: "A", value: target.address });
    h.dns.add({ name: "sender.test", type: "A", value: senderMx.address });
    await h.send({ from: "carol@sender.test", recipients: [{ address: "x@remote.test" }] });
    // One runDue delivers the original, then the DSN it queued.
    assert.equal(await h.queue.runDue(), 2);
    assert.equal(senderMx.messages.length, 1);
    const m = senderMx.messages[0]!;
    assert.equal(m.from, "");
    assert.deepEqual(m.rcpts.map((r) => r.address), ["carol@sender.test"]);
    assert.match(new TextDecoder().decode(m.data), /multipart\/report; report-type=delivery-status/);
  } finally {
    await h.close();
    await target.close();
    await senderMx.close();
  }
});

Deno.test("Queue defers on a dropped connection and on a 4xx after DATA", async () => {
  let mode: "drop" | "defer" | "accept" = "drop";
  const sink = await startSink({ data: () => mode });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "deferred");
    mode = "defer";
    h.clock.advance(60);
    await h.queue.runDue();
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "deferred");
    assert.match(r.lastReply!, /^452 4\.3\.1/);
    mode = "accept";
    h.clock.advance(120);
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "delivered");
    assert.equal(sink.messages.length, 1);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue defers when the server does not answer within the RFC 5321 timeout", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sink = await startSink({ hold: () => gate });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" }, timeout_data_end: 1 });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "deferred");
    assert.match(r.lastReply!, /Timeout waiting for .* \(message\)/);
  } finally {
    release();
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue bounds connections per destination host", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = 0;
  let allWaiting!: () => void;
  const twoWaiting = new Promise<void>((r) => (allWaiting = r));
  const sink = await startSink({
    hold: () => {
      if (++waiting === 2) allWaiting();
      return gate;
    },
  });
  const h = await harness({
    relay: { hosts: [sink.address], tls: "none" },
    per_host_concurrency: 2,
    concurrency: 10,
  });
  try {
    for (let i = 0; i < 6; i++) await h.send({ recipients: [{ address: `u${i}@d${i}.test` }] });
    const run = h.queue.runDue();
    await twoWaiting;
    release();
    assert.equal(await run, 6);
    assert.equal(sink.messages.length, 6);
    assert.equal(h.queue.hostLimiter.peak.get(sink.address), 2);
  } finally {
    release();
    await h.close();
    await sink.close();
  }
});
