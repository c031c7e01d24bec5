import assert from "node:assert/strict";
import { addToInbox, jmapFixture, sampleMessage } from "./_fixture.ts";

async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, buf: { text: string }) {
  const decoder = new TextDecoder();
  for (;;) {
    const end = buf.text.indexOf("\n\n");
    if (end >= 0) {
      const block = buf.text.slice(0, end);
      buf.text = buf.text.slice(end + 2);
      if (block.startsWith(":")) continue; // comment
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data ? JSON.parse(data) : null };
    }
    const { value, done } = await reader.read();
    if (done) return null;
    buf.text += decoder.decode(value, { stream: true });
  }
}

Deno.test("EventSource sends a StateChange when a message is delivered, and closes with closeafter=state", async () => {
  const f = await jmapFixture();
  try {
    const res = await f.fetch("/jmap/eventsource?types=Email,Mailbox&closeafter=state&ping=0", {
      headers: { authorization: f.basic() },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.getReader();
    const buf = { text: "" };
    // Read the opening comment so the subscription is known to be active.
    const first = await reader.read();
    buf.text += new TextDecoder().decode(first.value);
    await addToInbox(f, f.alice, sampleMessage());
    const ev = await nextEvent(reader, buf);
    assert.equal(ev?.event, "state");
    assert.equal(ev?.data["@type"], "StateChange");
    const changed = ev?.data.changed[f.alice.id];
    assert.ok(changed.Email, JSON.stringify(ev));
    const state = await f.store.state(f.alice.id, "Email");
    assert.equal(changed.Email, state);
    assert.equal(await nextEvent(reader, buf), null, "stream closes after the state event");
  } finally {
    await f.close();
  }
});

Deno.test("EventSource ignores other accounts and unsubscribed types, and pings", async () => {
  const f = await jmapFixture();
  try {
    const res = await f.fetch("/jmap/eventsource?types=Email&closeafter=no&ping=1", {
      headers: { authorization: f.basic() },
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const buf = { text: "" };
    // Read the opening comment so the subscription is known to be active.
    const first = await reader.read();
    buf.text += new TextDecoder().decode(first.value);
    // Neither of these may reach alice's stream: bob's new mail (another account) and alice's new
    // mailbox (a Mailbox change; only Email is subscribed).
    await addToInbox(f, f.bob, sampleMessage());
    await f.store.createMailbox(f.alice.id, { name: "Elsewhere" });
    const before = await f.store.state(f.alice.id, "Email");
    await addToInbox(f, f.alice, sampleMessage());
    const after = await f.store.state(f.alice.id, "Email");
    assert.notEqual(after, before);
    // The first state event is alice's delivery, for alice's account and type Email only.
    let pings = 0;
    let ev = await nextEvent(reader, buf);
    while (ev?.event === "ping") {
      pings++;
      ev = await nextEvent(reader, buf);
    }
    assert.equal(ev?.event, "state", JSON.stringify(ev));
    assert.deepEqual(ev?.data.changed, { [f.alice.id]: { Email: after } });
    // Then, with nothing else changing, the stream pings at the requested interval.
    if (pings === 0) {
      const ping = await nextEvent(reader, buf);
      assert.equal(ping?.event, "ping", JSON.stringify(ping));
      assert.deepEqual(ping?.data, { interval: 1 });
    }
    await reader.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("EventSource rejects bad parameters", async () => {
  const f = await jmapFixture();
  try {
    const res = await f.fetch("/jmap/eventsource?types=*&closeafter=maybe&ping=0", {
      headers: { authorization: f.basic() },
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("EventSource reports EmailDelivery for new mail in the Inbox only", async () => {
  const f = await jmapFixture();
  try {
    const res = await f.fetch("/jmap/eventsource?types=EmailDelivery&closeafter=state&ping=0", {
      headers: { authorization: f.basic() },
    });
    const reader = res.body!.getReader();
    const buf = { text: "" };
    const first = await reader.read();
    buf.text += new TextDecoder().decode(first.value);
    // A change outside the Inbox (a new mailbox) is not a delivery.
    await f.store.createMailbox(f.alice.id, { name: "Elsewhere" });
    await addToInbox(f, f.alice, sampleMessage());
    const ev = await nextEvent(reader, buf);
    assert.equal(ev?.event, "state");
    assert.deepEqual(Object.keys(ev?.data.changed[f.alice.id]), ["EmailDelivery"]);
  } finally {
    await f.close();
  }
});
