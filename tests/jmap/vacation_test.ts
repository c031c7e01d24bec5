import assert from "node:assert/strict";
import { jmapFixture, sampleMessage } from "./_fixture.ts";
import { sendVacationReplies } from "../../core/delivery/vacation.ts";

Deno.test("sendVacationReplies answers a local sender once per period", async () => {
  const f = await jmapFixture();
  try {
    await f.api([["VacationResponse/set", {
      accountId: f.alice.id,
      update: { singleton: { isEnabled: true, textBody: "I am away." } },
    }, "0"]]);
    const raw = sampleMessage({ from: "bob@example.org", to: "alice@example.org" });
    const input = { accountIds: [f.alice.id], envelopeFrom: "bob@example.org", raw };
    assert.equal(await sendVacationReplies(f.server, input), 1);
    assert.equal(await sendVacationReplies(f.server, input), 0);
    const inbox = await f.store.getMailboxByRole(f.bob.id, "inbox");
    const ids = await f.store.queryMessages(f.bob.id, { filter: { inMailbox: inbox!.id } });
    assert.equal(ids.length, 1);
    const reply = new TextDecoder().decode((await f.store.readMessage(f.bob.id, ids[0]!))!);
    assert.match(reply, /Auto-Submitted: auto-replied/);
    assert.match(reply, /I am away\./);
    // Remote senders get nothing while there is no outbound queue (and nothing breaks).
    assert.equal(await sendVacationReplies(f.server, { ...input, envelopeFrom: "x@remote.example" }), 0);
  } finally {
    await f.close();
  }
});
