import assert from "node:assert/strict";
import { harness } from "../../tests/queue/_harness.ts";
import { startSink } from "../../tests/queue/_sink.ts";
import type { RecipientOutcome } from "./types.ts";

Deno.test("Queue.onRecipientOutcome reports each recipient of a tagged message after the commit", async () => {
  const sink = await startSink({
    rcpt: (a) => a.startsWith("no@") ? "reject" : a.startsWith("later@") ? "defer" : "accept",
  });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  const seen: RecipientOutcome[] = [];
  const committed: boolean[] = [];
  const off = h.queue.onRecipientOutcome(async (o) => {
    // Reported after the commit: the queue's own record already says the same.
    // (Listener errors are only logged by the queue: record what to assert afterwards.)
    const r = (await h.queue.store.recipients(o.queueId)).find((x) => x.address === o.address);
    committed.push(r?.status === o.status);
    seen.push(o);
  });
  try {
    const blob = await h.store.blobs.put(new TextEncoder().encode("Subject: t\r\n\r\nbody\r\n"));
    const envelope = {
      from: "ada@local.test",
      recipients: [{ address: "yes@remote.test" }, { address: "no@remote.test" }, {
        address: "later@remote.test",
      }],
      smtputf8: false,
      body: "7BIT" as const,
      sessionId: "t",
    };
    const { id } = await h.queue.enqueue(envelope, blob, { origin: "test:1" });
    await h.send({ recipients: [{ address: "untagged@remote.test" }] });
    await h.queue.runDue();
    const byAddress = Object.fromEntries(seen.map((o) => [o.address, o]));
    assert.deepEqual(Object.keys(byAddress).sort(), [
      "later@remote.test",
      "no@remote.test",
      "yes@remote.test",
    ]);
    assert.equal(byAddress["yes@remote.test"]!.status, "delivered");
    assert.match(byAddress["yes@remote.test"]!.reply, /^250 /);
    assert.equal(byAddress["no@remote.test"]!.status, "failed");
    assert.match(byAddress["no@remote.test"]!.reply, /^550 5\.1\.1/);
    assert.equal(byAddress["later@remote.test"]!.status, "deferred");
    assert.ok(seen.every((o) => o.origin === "test:1" && o.queueId === id));
    assert.deepEqual(committed, [true, true, true]);
    // A message some recipients of which were delivered cannot be withdrawn.
    assert.equal(await h.queue.cancel(id), false);
    off();
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue.cancel withdraws a message nothing of which was delivered yet", async () => {
  const sink = await startSink({ rcpt: () => "defer" });
  const h = await harness({ relay: { hosts: [sink.address], tls: "none" } });
  try {
    const id = await h.send({ recipients: [{ address: "later@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "deferred");
    assert.equal(await h.queue.cancel(id), true);
    assert.equal(await h.queue.store.getMessage(id), null);
    assert.equal(await h.queue.cancel(id), false);
    h.clock.advance(3600);
    assert.equal(await h.queue.runDue(), 0);
    assert.equal(sink.connections, 1);
  } finally {
    await h.close();
    await sink.close();
  }
});
