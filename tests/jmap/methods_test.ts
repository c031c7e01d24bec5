import assert from "node:assert/strict";
import { addToInbox, jmapFixture, sampleMessage } from "./_fixture.ts";

Deno.test("Email/set updates keywords and mailboxIds by patch and whole, and destroys", async () => {
  const f = await jmapFixture();
  try {
    const a = await addToInbox(f, f.alice, sampleMessage());
    const archive = await f.store.getMailboxByRole(f.alice.id, "archive");
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    let r = await f.api([["Email/set", {
      accountId: f.alice.id,
      update: {
        [a.id]: { "keywords/$seen": true, "keywords/$flagged": true, [`mailboxIds/${archive!.id}`]: true },
      },
    }, "0"]]);
    assert.ok((r.methodResponses[0]![1].updated as Record<string, unknown>)[a.id] === null);
    let [m] = await f.store.getMessages(f.alice.id, [a.id]);
    assert.deepEqual(m!.keywords.sort(), ["$flagged", "$seen"]);
    assert.deepEqual(m!.mailboxIds.sort(), [archive!.id, inbox!.id].sort());
    r = await f.api([["Email/set", {
      accountId: f.alice.id,
      update: {
        [a.id]: { keywords: { $answered: true }, mailboxIds: { [archive!.id]: true } },
        nope: { keywords: {} },
      },
    }, "0"], ["Email/set", { accountId: f.alice.id, update: { [a.id]: { subject: "x" } } }, "1"]]);
    assert.equal(
      (r.methodResponses[0]![1].notUpdated as Record<string, { type: string }>).nope!.type,
      "notFound",
    );
    assert.equal(
      (r.methodResponses[1]![1].notUpdated as Record<string, { type: string }>)[a.id]!.type,
      "invalidProperties",
    );
    [m] = await f.store.getMessages(f.alice.id, [a.id]);
    assert.deepEqual(m!.keywords, ["$answered"]);
    assert.deepEqual(m!.mailboxIds, [archive!.id]);
    r = await f.api([["Email/set", { accountId: f.alice.id, destroy: [a.id, "missing"] }, "0"]]);
    assert.deepEqual(r.methodResponses[0]![1].destroyed, [a.id]);
    assert.equal(
      (r.methodResponses[0]![1].notDestroyed as Record<string, { type: string }>).missing!.type,
      "notFound",
    );
  } finally {
    await f.close();
  }
});

Deno.test("Email/query filters, collapses threads and Email/queryChanges reports additions", async () => {
  const f = await jmapFixture();
  try {
    const first = await addToInbox(
      f,
      f.alice,
      sampleMessage({ subject: "Plans", messageId: "p1@example.net" }),
    );
    const reply = await addToInbox(
      f,
      f.alice,
      sampleMessage({ subject: "Re: Plans", messageId: "p2@example.net", inReplyTo: "p1@example.net" }),
      ["$seen"],
    );
    assert.equal(first.threadId, reply.threadId);
    const q = await f.api([
      ["Email/query", { accountId: f.alice.id, collapseThreads: true }, "0"],
      ["Email/query", { accountId: f.alice.id, filter: { hasKeyword: "$seen" } }, "1"],
      ["Email/query", {
        accountId: f.alice.id,
        filter: { operator: "NOT", conditions: [{ hasKeyword: "$seen" }] },
      }, "2"],
      ["Email/query", { accountId: f.alice.id, filter: { someInThreadHaveKeyword: "$seen" } }, "3"],
    ]);
    assert.equal((q.methodResponses[0]![1].ids as string[]).length, 1);
    assert.deepEqual(q.methodResponses[1]![1].ids, [reply.id]);
    assert.deepEqual(q.methodResponses[2]![1].ids, [first.id]);
    assert.equal((q.methodResponses[3]![1].ids as string[]).length, 2);
    const queryState = q.methodResponses[1]![1].queryState as string;
    await f.store.updateKeywords(f.alice.id, [first.id], { add: ["$seen"] });
    const c = await f.api([["Email/queryChanges", {
      accountId: f.alice.id,
      filter: { hasKeyword: "$seen" },
      sinceQueryState: queryState,
    }, "0"]]);
    const res = c.methodResponses[0]![1];
    assert.ok((res.added as { id: string }[]).some((a) => a.id === first.id), JSON.stringify(res));
  } finally {
    await f.close();
  }
});

Deno.test("Identity/set allows only sendable addresses and keeps the default identity", async () => {
  const f = await jmapFixture();
  try {
    await f.store.addAlias("sales@example.org", ["alice@example.org"]);
    const r = await f.api([
      ["Identity/set", {
        accountId: f.alice.id,
        create: {
          ok: { name: "Sales", email: "sales@example.org" },
          bad: { name: "Boss", email: "boss@example.org" },
        },
      }, "0"],
      ["Identity/get", { accountId: f.alice.id }, "1"],
    ]);
    const set = r.methodResponses[0]![1];
    assert.ok((set.created as Record<string, unknown>).ok);
    assert.equal((set.notCreated as Record<string, { type: string }>).bad!.type, "forbiddenFrom");
    const list = r.methodResponses[1]![1].list as { email: string; mayDelete: boolean; id: string }[];
    assert.deepEqual(list.map((i) => i.email).sort(), ["alice@example.org", "sales@example.org"]);
    const def = list.find((i) => i.email === "alice@example.org")!;
    assert.equal(def.mayDelete, false);
    const d = await f.api([["Identity/set", { accountId: f.alice.id, destroy: [def.id] }, "0"]]);
    assert.equal(
      (d.methodResponses[0]![1].notDestroyed as Record<string, { type: string }>)[def.id]!.type,
      "forbidden",
    );
    const changes = await f.api([[
      "Identity/changes",
      { accountId: f.alice.id, sinceState: set.oldState },
      "0",
    ]]);
    assert.deepEqual(changes.methodResponses[0]![1].created, [
      (set.created as Record<string, { id: string }>).ok!.id,
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("VacationResponse/get and /set work on the singleton only", async () => {
  const f = await jmapFixture();
  try {
    const r = await f.api([
      ["VacationResponse/set", {
        accountId: f.alice.id,
        update: { singleton: { isEnabled: true, subject: "Away", textBody: "Back Monday" } },
        create: { x: {} },
      }, "0"],
      ["VacationResponse/get", { accountId: f.alice.id }, "1"],
    ]);
    const set = r.methodResponses[0]![1];
    assert.deepEqual(set.updated, { singleton: null });
    assert.equal((set.notCreated as Record<string, { type: string }>).x!.type, "singleton");
    const v = (r.methodResponses[1]![1].list as Record<string, unknown>[])[0]!;
    assert.equal(v.isEnabled, true);
    assert.equal(v.subject, "Away");
    assert.notEqual(set.newState, set.oldState);
  } finally {
    await f.close();
  }
});

Deno.test("SearchSnippet/get marks the search terms in subject and preview", async () => {
  const f = await jmapFixture();
  try {
    const a = await addToInbox(
      f,
      f.alice,
      sampleMessage({ subject: "Quarterly <report>", body: "The report is attached." }),
    );
    const r = await f.api([["SearchSnippet/get", {
      accountId: f.alice.id,
      filter: { text: "report" },
      emailIds: [a.id],
    }, "0"]]);
    const s = (r.methodResponses[0]![1].list as Record<string, string>[])[0]!;
    assert.equal(s.subject, "Quarterly &lt;<mark>report</mark>&gt;");
    assert.match(s.preview!, /<mark>report<\/mark>/);
  } finally {
    await f.close();
  }
});

Deno.test("Email/copy with onSuccessDestroyOriginal emits the implicit Email/set", async () => {
  const f = await jmapFixture();
  try {
    const a = await addToInbox(f, f.alice, sampleMessage());
    const archive = await f.store.getMailboxByRole(f.alice.id, "archive");
    const r = await f.api([["Email/copy", {
      accountId: f.alice.id,
      fromAccountId: f.alice.id,
      create: { c: { id: a.id, mailboxIds: { [archive!.id]: true } } },
      onSuccessDestroyOriginal: true,
    }, "0"]]);
    assert.equal(r.methodResponses[0]![0], "Email/copy");
    assert.ok((r.methodResponses[0]![1].created as Record<string, unknown>).c);
    assert.equal(r.methodResponses[1]![0], "Email/set");
    assert.deepEqual(r.methodResponses[1]![1].destroyed, [a.id]);
  } finally {
    await f.close();
  }
});
