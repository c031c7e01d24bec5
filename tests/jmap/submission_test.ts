import assert from "node:assert/strict";
import { addToInbox, jmapFixture, sampleMessage } from "./_fixture.ts";

Deno.test("EmailSubmission/set with onSuccessDestroyEmail, then /get, /query and /changes", async () => {
  const f = await jmapFixture();
  try {
    const drafts = await f.store.getMailboxByRole(f.alice.id, "drafts");
    const start = await f.api([
      ["Identity/get", { accountId: f.alice.id }, "i"],
      ["EmailSubmission/get", { accountId: f.alice.id, ids: [] }, "s"],
    ]);
    const identityId = (start.methodResponses[0]![1].list as { id: string }[])[0]!.id;
    const state0 = start.methodResponses[1]![1].state as string;
    const r = await f.api([
      ["Email/set", {
        accountId: f.alice.id,
        create: {
          d: {
            mailboxIds: { [drafts!.id]: true },
            from: [{ email: "alice@example.org" }],
            to: [{ email: "bob@example.org" }],
            bcc: [{ email: "alice@example.org" }],
            subject: "Bye draft",
            bodyStructure: { type: "text/plain", partId: "b" },
            bodyValues: { b: { value: "see you" } },
          },
        },
      }, "0"],
      ["EmailSubmission/set", {
        accountId: f.alice.id,
        create: { s: { identityId, emailId: "#d" } },
        onSuccessDestroyEmail: ["#s"],
      }, "1"],
      ["EmailSubmission/query", { accountId: f.alice.id, filter: { emailIds: ["#d"] } }, "2"],
      ["EmailSubmission/changes", { accountId: f.alice.id, sinceState: state0 }, "3"],
    ]);
    const emailId = (r.methodResponses[0]![1].created as Record<string, { id: string }>).d!.id;
    const subId = (r.methodResponses[1]![1].created as Record<string, { id: string }>).s!.id;
    assert.equal(r.methodResponses[2]![0], "Email/set");
    assert.deepEqual(r.methodResponses[2]![1].destroyed, [emailId]);
    assert.deepEqual(r.methodResponses[3]![1].ids, [subId]);
    assert.deepEqual(r.methodResponses[4]![1].created, [subId]);
    // Bcc recipients got it, but no copy shows the Bcc header.
    const aliceInbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const [copy] = await f.store.queryMessages(f.alice.id, { filter: { inMailbox: aliceInbox!.id } });
    const raw = new TextDecoder().decode((await f.store.readMessage(f.alice.id, copy!))!);
    assert.doesNotMatch(raw, /^Bcc:/im);
    const g = await f.api([["EmailSubmission/get", { accountId: f.alice.id, ids: [subId] }, "0"]]);
    const sub = (g.methodResponses[0]![1].list as Record<string, unknown>[])[0]!;
    assert.deepEqual(
      Object.keys(sub.deliveryStatus as object).sort(),
      ["alice@example.org", "bob@example.org"],
    );
    assert.equal(sub.undoStatus, "final");
    const u = await f.api([["EmailSubmission/set", {
      accountId: f.alice.id,
      update: { [subId]: { undoStatus: "canceled" } },
    }, "0"]]);
    assert.equal(
      (u.methodResponses[0]![1].notUpdated as Record<string, { type: string }>)[subId]!.type,
      "cannotUnsend",
    );
  } finally {
    await f.close();
  }
});

Deno.test("Mailbox/set destroy refuses a non-empty mailbox unless onDestroyRemoveEmails", async () => {
  const f = await jmapFixture();
  try {
    const c = await f.api([["Mailbox/set", { accountId: f.alice.id, create: { m: { name: "Tmp" } } }, "0"]]);
    const box = (c.methodResponses[0]![1].created as Record<string, { id: string }>).m!.id;
    const a = await addToInbox(f, f.alice, sampleMessage());
    await f.store.setMailboxes(f.alice.id, a.id, [box]);
    const r = await f.api([
      ["Mailbox/set", { accountId: f.alice.id, destroy: [box] }, "0"],
      ["Mailbox/set", { accountId: f.alice.id, destroy: [box], onDestroyRemoveEmails: true }, "1"],
    ]);
    assert.equal(
      (r.methodResponses[0]![1].notDestroyed as Record<string, { type: string }>)[box]!.type,
      "mailboxHasEmail",
    );
    assert.deepEqual(r.methodResponses[1]![1].destroyed, [box]);
    assert.deepEqual(await f.store.getMessages(f.alice.id, [a.id]), []);
  } finally {
    await f.close();
  }
});
