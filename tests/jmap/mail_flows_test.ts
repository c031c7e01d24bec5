import assert from "node:assert/strict";
import { addToInbox, jmapFixture, sampleMessage } from "./_fixture.ts";

Deno.test("Mailbox/get lists the default mailboxes with roles and counts", async () => {
  const f = await jmapFixture();
  try {
    await addToInbox(f, f.alice, sampleMessage());
    const r = await f.api([["Mailbox/get", { accountId: f.alice.id, ids: null }, "0"]]);
    const [name, res] = r.methodResponses[0]!;
    assert.equal(name, "Mailbox/get");
    const roles = (res.list as { role: string }[]).map((m) => m.role).sort();
    assert.deepEqual(roles, ["archive", "drafts", "inbox", "junk", "sent", "trash"]);
    const inbox = (res.list as Record<string, unknown>[]).find((m) => m.role === "inbox")!;
    assert.equal(inbox.totalEmails, 1);
    assert.equal(inbox.unreadEmails, 1);
    assert.equal(inbox.totalThreads, 1);
    assert.equal((inbox.myRights as Record<string, boolean>).mayDelete, true);
    assert.equal(typeof res.state, "string");
  } finally {
    await f.close();
  }
});

Deno.test("Email/query sorts by receivedAt descending, and Email/get follows through a result reference", async () => {
  const f = await jmapFixture();
  try {
    // Added in an order that is neither the receivedAt order nor its reverse.
    const days = [2, 3, 1];
    const added = [];
    for (const [i, day] of days.entries()) {
      const raw = sampleMessage({ subject: `Message ${i}` });
      added.push(await addToInbox(f, f.alice, raw, [], new Date(Date.UTC(2026, 10, day, 12))));
    }
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const r = await f.api([
      ["Email/query", {
        accountId: f.alice.id,
        filter: { inMailbox: inbox!.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        limit: 2,
        calculateTotal: true,
      }, "q"],
      ["Email/get", {
        accountId: f.alice.id,
        "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
        properties: ["subject", "from", "mailboxIds", "keywords", "threadId", "preview", "receivedAt"],
      }, "g"],
      ["Thread/get", {
        accountId: f.alice.id,
        "#ids": { resultOf: "g", name: "Email/get", path: "/list/*/threadId" },
      }, "t"],
    ]);
    const q = r.methodResponses[0]![1];
    assert.equal(q.total, 3);
    // Newest first: Message 1 (day 3), Message 0 (day 2); Message 2 (day 1) is past the limit.
    assert.deepEqual(q.ids, [added[1]!.id, added[0]!.id]);
    const g = r.methodResponses[1]![1];
    const list = g.list as Record<string, unknown>[];
    // RFC 8620 §5.1: /get may list in any order; by id, the query's order reads newest first.
    const byId = new Map(list.map((e) => [e.id as string, e]));
    assert.equal(list.length, 2);
    assert.deepEqual((q.ids as string[]).map((id) => byId.get(id)?.subject), ["Message 1", "Message 0"]);
    assert.deepEqual((q.ids as string[]).map((id) => byId.get(id)?.receivedAt), [
      "2026-11-03T12:00:00Z",
      "2026-11-02T12:00:00Z",
    ]);
    const first = byId.get(added[1]!.id)!;
    assert.deepEqual(first.from, [{ name: "Carol", email: "carol@example.net" }]);
    assert.deepEqual(first.mailboxIds, { [inbox!.id]: true });
    const t = r.methodResponses[2]!;
    assert.equal(t[0], "Thread/get");
    assert.deepEqual(
      (t[1].list as { id: string; emailIds: string[] }[]).map((x) => [x.id, x.emailIds]).sort(),
      [[added[1]!.threadId, [added[1]!.id]], [added[0]!.threadId, [added[0]!.id]]].sort(),
    );
  } finally {
    await f.close();
  }
});

Deno.test("Email/set creates a draft and EmailSubmission/set sends it in the same request", async () => {
  const f = await jmapFixture();
  try {
    const drafts = await f.store.getMailboxByRole(f.alice.id, "drafts");
    const sent = await f.store.getMailboxByRole(f.alice.id, "sent");
    const ident = await f.api([["Identity/get", { accountId: f.alice.id }, "i"]]);
    const identityId = (ident.methodResponses[0]![1].list as { id: string }[])[0]!.id;
    const r = await f.api([
      ["Email/set", {
        accountId: f.alice.id,
        create: {
          draft: {
            mailboxIds: { [drafts!.id]: true },
            keywords: { $draft: true, $seen: true },
            from: [{ name: "Alice", email: "alice@example.org" }],
            to: [{ name: "Bob", email: "bob@example.org" }],
            subject: "Lunch — café?",
            textBody: [{ partId: "t", type: "text/plain" }],
            htmlBody: [{ partId: "h", type: "text/html" }],
            bodyValues: {
              t: { value: "Shall we have lunch?" },
              h: { value: "<p>Shall we have <b>lunch</b>?</p>" },
            },
          },
        },
      }, "0"],
      ["EmailSubmission/set", {
        accountId: f.alice.id,
        create: { send: { identityId, emailId: "#draft" } },
        onSuccessUpdateEmail: {
          "#send": {
            [`mailboxIds/${drafts!.id}`]: null,
            [`mailboxIds/${sent!.id}`]: true,
            "keywords/$draft": null,
          },
        },
      }, "1"],
    ]);
    const [setName, set] = r.methodResponses[0]!;
    assert.equal(setName, "Email/set", JSON.stringify(set));
    assert.ok(set.created, JSON.stringify(set));
    const emailId = (set.created as Record<string, { id: string }>).draft!.id;
    const [subName, sub] = r.methodResponses[1]!;
    assert.equal(subName, "EmailSubmission/set", JSON.stringify(sub));
    assert.ok(sub.created, JSON.stringify(sub));
    const implicit = r.methodResponses[2]!;
    assert.equal(implicit[0], "Email/set");
    assert.ok(
      (implicit[1].updated as Record<string, unknown>)[emailId] !== undefined,
      JSON.stringify(implicit),
    );
    const [m] = await f.store.getMessages(f.alice.id, [emailId]);
    assert.deepEqual(m!.mailboxIds, [sent!.id]);
    assert.deepEqual(m!.keywords.sort(), ["$seen"]);
    // Bob got it in his Inbox, without Bcc, with the encoded subject decoded.
    const bobInbox = await f.store.getMailboxByRole(f.bob.id, "inbox");
    const ids = await f.store.queryMessages(f.bob.id, { filter: { inMailbox: bobInbox!.id } });
    assert.equal(ids.length, 1);
    const raw = new TextDecoder().decode((await f.store.readMessage(f.bob.id, ids[0]!))!);
    // The trace fields SMTP writes at final delivery (RFC 5321 §4.4): Return-Path, then Received.
    assert.match(raw, /^Return-Path: <alice@example\.org>\r\nReceived: from \[127\.0\.0\.1\] /);
    assert.match(raw, /Subject: =\?UTF-8\?/);
    assert.match(raw, /multipart\/alternative/);
    const got = await f.api([["Email/get", {
      accountId: f.bob.id,
      ids,
      properties: ["subject", "textBody", "htmlBody", "bodyValues"],
      fetchTextBodyValues: true,
    }, "g"]], { account: f.bob });
    const e = (got.methodResponses[0]![1].list as Record<string, unknown>[])[0]!;
    assert.equal(e.subject, "Lunch — café?");
    const textPart = (e.textBody as { partId: string; type: string }[])[0]!;
    assert.equal(textPart.type, "text/plain");
    assert.equal(
      (e.bodyValues as Record<string, { value: string }>)[textPart.partId]!.value,
      "Shall we have lunch?",
    );
  } finally {
    await f.close();
  }
});

Deno.test("EmailSubmission/set refuses remote recipients clearly while there is no outbound queue", async () => {
  const f = await jmapFixture();
  try {
    const drafts = await f.store.getMailboxByRole(f.alice.id, "drafts");
    const ident = await f.api([["Identity/get", { accountId: f.alice.id }, "i"]]);
    const identityId = (ident.methodResponses[0]![1].list as { id: string }[])[0]!.id;
    const r = await f.api([
      ["Email/set", {
        accountId: f.alice.id,
        create: {
          d: {
            mailboxIds: { [drafts!.id]: true },
            from: [{ email: "alice@example.org" }],
            to: [{ email: "someone@remote.example" }],
            subject: "x",
            textBody: [{ partId: "1" }],
            bodyValues: { "1": { value: "hi" } },
          },
        },
      }, "0"],
      ["EmailSubmission/set", { accountId: f.alice.id, create: { s: { identityId, emailId: "#d" } } }, "1"],
      ["EmailSubmission/set", {
        accountId: f.alice.id,
        create: {
          s2: {
            identityId,
            emailId: "#d",
            envelope: { mailFrom: { email: "mallory@example.org" }, rcptTo: [{ email: "bob@example.org" }] },
          },
        },
      }, "2"],
    ]);
    const sub = r.methodResponses[1]![1];
    assert.equal(
      (sub.notCreated as Record<string, { type: string; description: string }>).s!.type,
      "forbidden",
    );
    assert.match(
      (sub.notCreated as Record<string, { description: string }>).s!.description,
      /someone@remote\.example/,
    );
    const sub2 = r.methodResponses[2]![1];
    assert.equal((sub2.notCreated as Record<string, { type: string }>).s2!.type, "forbiddenMailFrom");
  } finally {
    await f.close();
  }
});

Deno.test("Email/changes and Mailbox/changes see changes made through the store (IMAP, SMTP)", async () => {
  const f = await jmapFixture();
  try {
    const before = await f.api([
      ["Email/get", { accountId: f.alice.id, ids: [] }, "e"],
      ["Mailbox/get", { accountId: f.alice.id, ids: [] }, "m"],
    ]);
    const emailState = before.methodResponses[0]![1].state as string;
    const mailboxState = before.methodResponses[1]![1].state as string;
    const added = await addToInbox(f, f.alice, sampleMessage());
    await f.store.updateKeywords(f.alice.id, [added.id], { add: ["$seen"] });
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const made = await f.store.createMailbox(f.alice.id, { name: "Elsewhere" });
    const r = await f.api([
      ["Email/changes", { accountId: f.alice.id, sinceState: emailState }, "e"],
      ["Mailbox/changes", { accountId: f.alice.id, sinceState: mailboxState }, "m"],
      ["Email/get", { accountId: f.alice.id, ids: [] }, "e2"],
      ["Mailbox/get", { accountId: f.alice.id, ids: [] }, "m2"],
    ]);
    // RFC 8620 §5.2: created then updated since the state is reported as created only.
    const e = r.methodResponses[0]![1];
    assert.equal(e.oldState, emailState);
    assert.deepEqual(e.created, [added.id]);
    assert.deepEqual(e.updated, []);
    assert.deepEqual(e.destroyed, []);
    assert.equal(e.newState, r.methodResponses[2]![1].state);
    assert.notEqual(e.newState, emailState);
    // The new mailbox is created; the Inbox (its counts changed) is updated.
    const m = r.methodResponses[1]![1];
    assert.equal(m.oldState, mailboxState);
    assert.deepEqual(m.created, [made.id]);
    assert.deepEqual(m.updated, [inbox!.id]);
    assert.deepEqual(m.destroyed, []);
    assert.equal(m.newState, r.methodResponses[3]![1].state);
    assert.notEqual(m.newState, mailboxState);
  } finally {
    await f.close();
  }
});

Deno.test("Mailbox/set creates, renames and destroys mailboxes with creation-id references", async () => {
  const f = await jmapFixture();
  try {
    const r = await f.api([
      ["Mailbox/set", {
        accountId: f.alice.id,
        create: { p: { name: "Projects" }, c: { name: "Tern", parentId: "#p", isSubscribed: true } },
      }, "0"],
      ["Mailbox/set", { accountId: f.alice.id, update: { "#c": { name: "Tern JMAP" } } }, "1"],
      ["Mailbox/query", { accountId: f.alice.id, filter: { parentId: "#p" } }, "2"],
      ["Mailbox/set", { accountId: f.alice.id, destroy: ["#p"] }, "3"],
    ]);
    const created = r.methodResponses[0]![1].created as Record<string, { id: string }>;
    assert.ok(created.p && created.c);
    assert.deepEqual(Object.keys(r.methodResponses[1]![1].updated as object), [created.c!.id]);
    const child = await f.store.getMailbox(f.alice.id, created.c!.id);
    assert.equal(child!.name, "Tern JMAP");
    assert.equal(child!.parentId, created.p!.id);
    assert.equal(
      (r.methodResponses[3]![1].notDestroyed as Record<string, { type: string }>)[created.p!.id]!.type,
      "mailboxHasChild",
    );
  } finally {
    await f.close();
  }
});

Deno.test("Email/get without properties returns RFC 8621's default set with the message's own values", async () => {
  const f = await jmapFixture();
  try {
    const raw = sampleMessage({
      subject: "Values",
      messageId: "values-1@example.net",
      body: "Hello   Alice,\r\n\r\nhow\tare you?\r\n-- \r\nCarol",
    });
    const received = new Date(Date.UTC(2026, 10, 2, 12, 30, 15));
    const a = await addToInbox(f, f.alice, raw, ["$seen"], received);
    const reply = await addToInbox(
      f,
      f.alice,
      sampleMessage({ subject: "Re: Values", inReplyTo: "values-1@example.net", body: "x".repeat(400) }),
    );
    const other = await addToInbox(f, f.alice, sampleMessage({ subject: "Unrelated" }));
    const r = await f.api([["Email/get", { accountId: f.alice.id, ids: [a.id, reply.id, other.id] }, "g"]]);
    const list = r.methodResponses[0]![1].list as Record<string, unknown>[];
    const byId = new Map(list.map((e) => [e.id as string, e]));
    const e = byId.get(a.id)!;
    // RFC 8621 §4.2: the properties returned when "properties" is omitted.
    assert.deepEqual(
      Object.keys(e).sort(),
      [
        "id",
        "blobId",
        "threadId",
        "mailboxIds",
        "keywords",
        "size",
        "receivedAt",
        "messageId",
        "inReplyTo",
        "references",
        "sender",
        "from",
        "to",
        "cc",
        "bcc",
        "replyTo",
        "subject",
        "sentAt",
        "hasAttachment",
        "preview",
        "bodyValues",
        "textBody",
        "htmlBody",
        "attachments",
      ].sort(),
    );
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    assert.equal(e.size, raw.length);
    assert.equal(e.receivedAt, "2026-11-02T12:30:15Z");
    assert.equal(e.threadId, a.threadId);
    assert.deepEqual(e.mailboxIds, { [inbox!.id]: true });
    assert.deepEqual(e.keywords, { $seen: true });
    assert.deepEqual(e.messageId, ["values-1@example.net"]);
    assert.equal(e.subject, "Values");
    assert.equal(e.sentAt, "2026-11-21T10:00:00+01:00");
    assert.equal(e.hasAttachment, false);
    // RFC 8621 §4.1.4: a plain-text fragment, whitespace runs collapsed.
    assert.equal(e.preview, "Hello Alice, how are you? -- Carol");
    assert.deepEqual(e.bodyValues, {});
    // The reply joins the first message's thread; the unrelated message has its own.
    assert.equal(byId.get(reply.id)!.threadId, a.threadId);
    assert.notEqual(byId.get(other.id)!.threadId, a.threadId);
    // A preview is at most 256 characters.
    assert.equal(byId.get(reply.id)!.preview, "x".repeat(256));
    // The blob is the message itself.
    const dl = await f.fetch(`/jmap/download/${f.alice.id}/${e.blobId}/m.eml`, {
      headers: { authorization: f.basic() },
    });
    assert.equal(dl.status, 200);
    assert.deepEqual(new Uint8Array(await dl.arrayBuffer()), raw);
  } finally {
    await f.close();
  }
});
