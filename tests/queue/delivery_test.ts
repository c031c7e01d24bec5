/**
 * Outbound delivery against loopback sinks: routing (MX preference, A fallback, null MX, relays
 * with failover), one connection per domain, DSN parameters, TLS requirement, SIZE and SMTPUTF8.
 */
import assert from "node:assert/strict";
import { startSink } from "./_sink.ts";
import { harness, inbox, sampleMessage } from "./_harness.ts";

Deno.test("Queue delivers a message's recipients of one domain in one connection and one transaction", async () => {
  const sink = await startSink();
  const h = await harness();
  try {
    h.dns.add({ name: "remote.test", type: "MX", value: "10 mx.remote.test" });
    h.dns.add({ name: "mx.remote.test", type: "A", value: sink.address });
    const id = await h.send({
      recipients: [{ address: "a@remote.test" }, { address: "b@remote.test" }, { address: "c@REMOTE.test" }],
    });
    assert.equal((await h.queue.store.recipients(id)).every((r) => r.status === "queued"), true);
    assert.equal(await h.queue.runDue(), 1);
    assert.equal(sink.connections, 1);
    assert.equal(sink.messages.length, 1);
    assert.deepEqual(sink.messages[0]!.rcpts.map((r) => r.address), [
      "a@remote.test",
      "b@remote.test",
      "c@REMOTE.test",
    ]);
    assert.equal(sink.messages[0]!.from, "ada@local.test");
    assert.match(new TextDecoder().decode(sink.messages[0]!.data), /\r\n\.line starting with a dot\r\n/);
    const rcpts = await h.queue.store.recipients(id);
    assert.deepEqual(rcpts.map((r) => r.status), ["delivered", "delivered", "delivered"]);
    assert.equal((await h.queue.store.attempts(id)).length, 1);
    assert.equal(h.queue.metrics.delivered, 3);
    // Nothing is due any more.
    assert.equal(await h.queue.runDue(), 0);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue follows MX preference and falls back to the next MX when the first is unreachable", async () => {
  const a = await startSink();
  const b = await startSink();
  const h = await harness();
  try {
    h.dns.add({ name: "remote.test", type: "MX", value: "20 mx2.remote.test" });
    h.dns.add({ name: "remote.test", type: "MX", value: "10 mx1.remote.test" });
    h.dns.add({ name: "mx1.remote.test", type: "A", value: a.address });
    h.dns.add({ name: "mx2.remote.test", type: "A", value: b.address });
    await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal(a.messages.length, 1);
    assert.equal(b.messages.length, 0);
    await a.close();
    await h.send({ recipients: [{ address: "y@remote.test" }] });
    await h.queue.runDue();
    assert.equal(b.messages.length, 1);
    assert.equal(b.messages[0]!.rcpts[0]!.address, "y@remote.test");
  } finally {
    await h.close();
    await a.close();
    await b.close();
  }
});

Deno.test("Queue uses the domain's address record when it has no MX (RFC 5321 §5.1)", async () => {
  const sink = await startSink();
  const h = await harness();
  try {
    h.dns.add({ name: "remote.test", type: "A", value: sink.address });
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal(sink.messages.length, 1);
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "delivered");
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue fails a null MX domain at once with a failure DSN (RFC 7505)", async () => {
  const h = await harness();
  try {
    h.dns.add({ name: "nomail.test", type: "MX", value: "0 ." });
    const id = await h.send({ recipients: [{ address: "x@nomail.test" }] });
    await h.queue.runDue();
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "failed");
    assert.match(r.lastReply!, /null MX/);
    const mail = await inbox(h.store);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!, /^Status: 5\.1\.10\r$/m);
    assert.match(mail[0]!, /^Action: failed\r$/m);
  } finally {
    await h.close();
  }
});

Deno.test("Queue fails over from the primary relay to the backup when the primary answers 4xx or is down", async () => {
  const primary = await startSink({ rcpt: () => "defer" });
  const backup = await startSink();
  const h = await harness({ relay: { hosts: [primary.address, backup.address], tls: "none" } });
  try {
    const id = await h.send({ recipients: [{ address: "x@anywhere.test" }, { address: "y@anywhere.test" }] });
    await h.queue.runDue();
    assert.equal(primary.messages.length, 0);
    assert.equal(primary.connections, 1);
    assert.equal(backup.messages.length, 1);
    assert.deepEqual((await h.queue.store.recipients(id)).map((r) => r.status), ["delivered", "delivered"]);
    // Primary unreachable: straight to the backup.
    await primary.close();
    await h.send({ recipients: [{ address: "z@anywhere.test" }] });
    await h.queue.runDue();
    assert.equal(backup.messages.length, 2);
  } finally {
    await h.close();
    await primary.close();
    await backup.close();
  }
});

Deno.test("Queue routes a domain through its own route before the relay", async () => {
  const relay = await startSink();
  const special = await startSink();
  const h = await harness({
    relay: { hosts: [relay.address], tls: "none" },
    routes: [{ domains: ["special.test"], hosts: [special.address], tls: "none" }],
  });
  try {
    await h.send({ recipients: [{ address: "a@special.test" }, { address: "b@other.test" }] });
    assert.equal(await h.queue.runDue(), 2);
    assert.deepEqual(special.messages.map((m) => m.rcpts[0]!.address), ["a@special.test"]);
    assert.deepEqual(relay.messages.map((m) => m.rcpts[0]!.address), ["b@other.test"]);
  } finally {
    await h.close();
    await relay.close();
    await special.close();
  }
});

Deno.test("Queue passes DSN parameters on to a server that supports DSN (RFC 3461)", async () => {
  const sink = await startSink({ server: { hideDSN: false } });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    await h.send({
      ret: "HDRS",
      envid: "QQ314159",
      recipients: [{
        address: "x@remote.test",
        notify: ["SUCCESS", "FAILURE"],
        orcpt: "rfc822;x+2Bold@remote.test",
      }],
    });
    await h.queue.runDue();
    const m = sink.messages[0]!;
    assert.equal(m.mailArgs.RET, "HDRS");
    assert.equal(m.mailArgs.ENVID, "QQ314159");
    assert.equal(m.rcpts[0]!.args.NOTIFY, "SUCCESS,FAILURE");
    // smtp-server decodes the xtext: "+2B" arrived as "+".
    assert.equal(m.rcpts[0]!.args.ORCPT, "rfc822;x+old@remote.test");
    // The remote took over NOTIFY=SUCCESS: Tern sends no success DSN itself.
    assert.equal((await inbox(h.store)).length, 0);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue sends a 'relayed' success DSN when NOTIFY=SUCCESS could not be passed on", async () => {
  const sink = await startSink(); // no DSN extension
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    await h.send({ recipients: [{ address: "x@remote.test", notify: ["SUCCESS"] }] });
    await h.queue.runDue();
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0]!.rcpts[0]!.args.NOTIFY, undefined);
    const mail = await inbox(h.store);
    assert.equal(mail.length, 1);
    assert.match(mail[0]!, /^Subject: Delivery Status Notification \(Success\)\r$/m);
    assert.match(mail[0]!, /^Action: relayed\r$/m);
    assert.match(mail[0]!, /^Status: 2\.0\.0\r$/m);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue defers instead of sending in clear text when the route requires TLS", async () => {
  const sink = await startSink(); // no STARTTLS offered
  const h = await harness({ relay: { hosts: [sink.address], tls: "starttls", require_tls: true } });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal(sink.messages.length, 0);
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "deferred");
    assert.match(r.lastReply!, /TLS is required/);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue refuses early when the message exceeds the server's SIZE", async () => {
  const sink = await startSink({ server: { size: 100 } });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal(sink.messages.length, 0);
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "failed");
    assert.match(r.lastReply!, /exceeds the limit/);
    const mail = await inbox(h.store);
    assert.match(mail[0]!, /^Status: 5\.3\.4\r$/m);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue does not send an SMTPUTF8 message to a server without SMTPUTF8", async () => {
  const sink = await startSink({ server: { hideSMTPUTF8: true } });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const id = await h.send({ smtputf8: true, recipients: [{ address: "josé@remote.test" }] });
    await h.queue.runDue();
    assert.equal(sink.messages.length, 0);
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "failed");
    const mail = await inbox(h.store);
    assert.match(mail[0]!, /^Status: 5\.6\.7\r$/m);
    assert.match(mail[0]!, /does not support SMTPUTF8/);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue does not send 8-bit content to a server without 8BITMIME, but 7-bit content goes", async () => {
  const sink = await startSink({ server: { hide8BITMIME: true } });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const eight = sampleMessage().replace("Hello Bob,", "Café au lait,");
    const a = await h.send({ body: "8BITMIME", recipients: [{ address: "x@remote.test" }] }, eight);
    // Declared 8BITMIME (as JMAP submissions are) but 7-bit clean: deliverable.
    const b = await h.send({ body: "8BITMIME", recipients: [{ address: "y@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(a))[0]!.status, "failed");
    assert.equal((await h.queue.store.recipients(b))[0]!.status, "delivered");
    assert.deepEqual(sink.messages.map((m) => m.rcpts[0]!.address), ["y@remote.test"]);
    assert.equal(sink.messages[0]!.mailArgs.BODY, undefined);
    assert.match((await inbox(h.store))[0]!, /^Status: 5\.6\.3\r$/m);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue.start delivers in the background as messages arrive; stop waits for it", async () => {
  let arrived!: () => void;
  const got = new Promise<void>((r) => (arrived = r));
  const sink = await startSink({
    data: () => {
      arrived();
      return "accept";
    },
  });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    h.queue.start();
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await got;
    await h.queue.stop();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "delivered");
    assert.equal(sink.messages.length, 1);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue falls back to HELO when EHLO is refused, and works without PIPELINING", async () => {
  const helo = await startSink({ server: { disabledCommands: ["AUTH", "EHLO"] } });
  const plain = await startSink({
    server: { hidePIPELINING: true },
    rcpt: (a) => (a.startsWith("bad") ? "reject" : "accept"),
  });
  const h = await harness({
    routes: [
      { domains: ["helo.test"], hosts: [helo.address], tls: "none" },
      { domains: ["plain.test"], hosts: [plain.address], tls: "none" },
    ],
  });
  try {
    const a = await h.send({ recipients: [{ address: "x@helo.test" }] });
    const b = await h.send({ recipients: [{ address: "bad@plain.test" }, { address: "y@plain.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(a))[0]!.status, "delivered");
    assert.equal(helo.messages.length, 1);
    assert.deepEqual((await h.queue.store.recipients(b)).map((r) => r.status), ["failed", "delivered"]);
    assert.deepEqual(plain.messages[0]!.rcpts.map((r) => r.address), ["y@plain.test"]);
  } finally {
    await h.close();
    await helo.close();
    await plain.close();
  }
});

Deno.test("Queue counts metrics and exposes them in Prometheus text format", async () => {
  const sink = await startSink({
    rcpt: (a) => (a.startsWith("bad") ? "reject" : a.startsWith("slow") ? "defer" : "accept"),
  });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    await h.send({
      recipients: [{ address: "ok@r.test" }, { address: "bad@r.test" }, { address: "slow@r.test" }],
    });
    await h.queue.runDue();
    const m = h.queue.metrics.snapshot();
    // 3 recipients plus the failure DSN, which the queue delivers to ada@local.test locally.
    const counts = [m.queued, m.delivered, m.failed, m.deferred, m.dsnSent, m.attempts];
    assert.deepEqual(counts, [4, 2, 1, 1, 1, 1]);
    const text = h.queue.metrics.toPrometheus();
    assert.match(text, /^tern_queue_recipients_total\{event="delivered"\} 2$/m);
    assert.match(text, /^tern_queue_attempt_seconds_count 1$/m);
    assert.deepEqual(await h.queue.store.countByStatus(), {
      queued: 0,
      deferred: 1,
      delivered: 2,
      failed: 1,
    });
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue pins queued blobs against the store's garbage collection and releases them when done", async () => {
  const sink = await startSink();
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } }, { keepFinished: false }, {
    blobGraceMs: 0,
  });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    const blobId = (await h.queue.store.getMessage(id))!.blobId;
    await h.store.collectGarbage();
    assert.equal(await h.store.blobs.has(blobId), true);
    await h.queue.runDue();
    assert.equal(sink.messages.length, 1);
    assert.equal(await h.queue.store.getMessage(id), null);
    await h.store.collectGarbage();
    assert.equal(await h.store.blobs.has(blobId), false);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue.stop cuts deliveries still running after the grace period and defers them", async () => {
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const sink = await startSink({
    hold: () => {
      holding();
      return new Promise<void>(() => {});
    },
  });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    h.queue.start();
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await held;
    await h.queue.stop({ graceMs: 0 });
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "deferred");
    assert.equal(sink.messages.length, 0);
  } finally {
    await h.close();
    await sink.close();
  }
});
