/**
 * End to end: an authenticated SMTP submission session hands remote recipients to the durable
 * queue (committed before the 250), the queue delivers to a loopback MX, and a 5xx recipient
 * bounces back into the sender's Inbox.
 */
import assert from "node:assert/strict";
import { b64, PASSWORDS, setup } from "../../protocols/smtp/_test_support.ts";
import type { OutboundQueue } from "../../core/delivery/outbound.ts";
import { Queue } from "../../core/queue/queue.ts";
import { queueSettings } from "../../core/queue/settings.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { FakeClock } from "./_harness.ts";
import { startSink } from "./_sink.ts";

Deno.test("SMTP submission queues remote recipients durably; the queue delivers and bounces", async () => {
  const sink = await startSink({ rcpt: (a) => (a.startsWith("nobody") ? "reject" : "accept") });
  let queue: Queue | null = null;
  const outbound: OutboundQueue = { enqueue: (e, m) => queue!.enqueue(e, m) };
  const env = await setup({}, { outbound });
  const dns = new StaticDnsResolver([{ name: "elsewhere.test", type: "A", value: sink.address }]);
  queue = new Queue({
    store: env.store,
    settings: queueSettings(env.config),
    clock: new FakeClock(),
    log: nullLogger,
    dns,
  });
  try {
    const c = env.connect("submission");
    assert.match((await c.reply())!, /^220 /);
    await c.cmd("EHLO client.test");
    assert.match((await c.cmd(`AUTH PLAIN ${b64(`\0alice@example.org\0${PASSWORDS.alice}`)}`))!, /^235 /);
    await c.cmd("MAIL FROM:<alice@example.org> ENVID=E1");
    assert.match((await c.cmd("RCPT TO:<friend@elsewhere.test>"))!, /^250 /);
    assert.match((await c.cmd("RCPT TO:<nobody@elsewhere.test>"))!, /^250 /);
    await c.cmd("DATA");
    await c.write("From: alice@example.org\r\nTo: friend@elsewhere.test\r\nSubject: out\r\n\r\nhi\r\n.\r\n");
    assert.match((await c.reply())!, /^250 2\.0\.0 /);
    // The 250 came after the commit: the entry is in the database.
    const listed = await queue.store.list();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.recipients, 2);
    await c.cmd("QUIT");

    await queue.runDue();
    assert.equal(sink.messages.length, 1);
    assert.deepEqual(sink.messages[0]!.rcpts.map((r) => r.address), ["friend@elsewhere.test"]);
    assert.match(new TextDecoder().decode(sink.messages[0]!.data), /^Received: from client\.test/);
    // Finished entries are removed.
    assert.equal((await queue.store.list()).length, 0);
    const box = await env.store.getMailboxByRole(env.alice.id, "inbox");
    const placements = await env.store.listPlacements(env.alice.id, box!.id);
    assert.equal(placements.length, 1);
    const dsn = new TextDecoder().decode(
      (await env.store.readMessage(env.alice.id, placements[0]!.messageId))!,
    );
    assert.match(dsn, /^Final-Recipient: rfc822; nobody@elsewhere\.test\r$/m);
    assert.match(dsn, /^Original-Envelope-Id: E1\r$/m);
    assert.match(dsn, /^Status: 5\.1\.1\r$/m);
  } finally {
    await queue.stop();
    await env.close();
    await sink.close();
  }
});
