/**
 * The queue's local deliveries go through the Sieve filter too: a DSN for a refused remote
 * recipient (a loopback sink MX) is filed by the sender's active script, with the Queue option
 * and on the whole server (its own queue, `[[queue.static_dns]]`).
 */
import assert from "node:assert/strict";
import { PASSWORDS, startServer } from "../smtp/_server.ts";
import { python } from "../support/line_client.ts";
import { startSink } from "../queue/_sink.ts";
import { FakeClock } from "../queue/_harness.ts";
import { Queue } from "../../core/queue/queue.ts";
import { queueSettings } from "../../core/queue/settings.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { sieveFilter } from "../../core/delivery/sieve_stage.ts";
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";

Deno.test("sieve: a DSN the queue delivers to a local sender is filed by the sender's script", async () => {
  const env = await startServer();
  const sink = await startSink({ rcpt: () => "reject" });
  const server = env.srv.context;
  const queue = new Queue({
    store: server.store,
    settings: queueSettings(server.config),
    clock: new FakeClock(),
    log: nullLogger,
    dns: new StaticDnsResolver([{ name: "elsewhere.test", type: "A", value: sink.address }]),
    filter: sieveFilter(server, () => deliveryPipeline(server)),
  });
  try {
    await server.store.sieveScripts.put(
      env.alice.id,
      "main",
      `require ["envelope", "fileinto", "mailbox"];\nif envelope :all :is "from" "" { fileinto :create "Bounces"; }\n`,
    );
    await server.store.sieveScripts.setActive(env.alice.id, "main");
    const blob = await server.store.blobs.put(
      new TextEncoder().encode(
        "From: alice@example.org\r\nTo: nobody@elsewhere.test\r\nSubject: out\r\n\r\nhi\r\n",
      ),
    );
    await queue.enqueue({
      from: "alice@example.org",
      recipients: [{ address: "nobody@elsewhere.test" }],
      smtputf8: false,
      body: "8BITMIME",
      sessionId: "test",
    }, blob);
    await queue.runDue();
    const boxes = await server.store.listMailboxes(env.alice.id);
    const bounces = boxes.find((b) => b.name === "Bounces");
    assert.ok(bounces, "no Bounces folder");
    const filed = await server.store.listPlacements(env.alice.id, bounces.id);
    assert.equal(filed.length, 1);
    const dsn = new TextDecoder().decode(
      (await server.store.readMessage(env.alice.id, filed[0]!.messageId))!,
    );
    assert.match(dsn, /^Final-Recipient: rfc822; nobody@elsewhere\.test\r$/m);
    assert.equal((await env.inbox(env.alice)).length, 0);
  } finally {
    await queue.stop();
    await sink.close();
    await env.close();
  }
});

Deno.test("sieve: on the whole server, the queue's DSN to a local sender is filed by the sender's script", async () => {
  const sink = await startSink({ rcpt: () => "reject" });
  const env = await startServer({
    queue: { static_dns: [{ name: "elsewhere.test", type: "A", value: sink.address }] },
  });
  try {
    const store = env.srv.context.store;
    await store.sieveScripts.put(
      env.alice.id,
      "main",
      `require ["envelope", "fileinto"];\nif envelope :all :is "from" "" { fileinto "Junk"; }\n`,
    );
    await store.sieveScripts.setActive(env.alice.id, "main");
    const junk = (await store.getMailboxByRole(env.alice.id, "junk"))!;
    const inbox = (await store.getMailboxByRole(env.alice.id, "inbox"))!;
    // Resolves at the DSN's placement, in Junk (filtered) or in the Inbox (not filtered).
    const filed = new Promise<void>((resolve) => {
      const off = store.notifier.subscribe(env.alice.id, (e) => {
        if (e.mailboxIds.includes(junk.id) || e.mailboxIds.includes(inbox.id)) {
          off();
          resolve();
        }
      });
    });
    await python(
      `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.starttls()
s.login("alice@example.org", sys.argv[2])
s.sendmail("alice@example.org", ["nobody@elsewhere.test"], "From: alice@example.org\\r\\nSubject: out\\r\\n\\r\\nhi\\r\\n")
s.quit()`,
      [String(env.port("submission")), PASSWORDS.alice],
    );
    await filed;
    const [dsn] = await store.listPlacements(env.alice.id, junk.id);
    assert.ok(dsn, "the DSN is not in Junk");
    const text = new TextDecoder().decode((await store.readMessage(env.alice.id, dsn!.messageId))!);
    assert.match(text, /^Final-Recipient: rfc822; nobody@elsewhere\.test\r$/m);
    assert.equal((await env.inbox(env.alice)).length, 0);
  } finally {
    await env.close();
    await sink.close();
  }
});
