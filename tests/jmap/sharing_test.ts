/**
 * JMAP Sharing (RFC 9670) over the RFC 4314 grants: Mailbox shareWith set by the owner, the shared
 * account in the grantee's Session, myRights from the same rights IMAP enforces, Principal/get,
 * and methods on a shared account refusing what the rights do not allow.
 */
import assert from "node:assert/strict";
import { type Call, type JmapFixture, jmapFixture, PASSWORD, sampleMessage, USING } from "./_fixture.ts";
import { METHODS } from "../../protocols/jmap/methods/mod.ts";
import { setGrant } from "../../core/acl/access.ts";
import { messageBlobId } from "../../protocols/jmap/blob_ids.ts";

const PRINCIPALS = "urn:ietf:params:jmap:principals";
const USING_SHARE = [...USING, PRINCIPALS];

Deno.test("jmap sharing: shareWith set by the owner gives the grantee a shared account whose mailbox shows its rights", async () => {
  const f = await jmapFixture();
  try {
    const created = await f.api([["Mailbox/set", {
      accountId: f.alice.id,
      create: { p: { name: "Projects", shareWith: { [f.bob.id]: { mayReadItems: true } } } },
    }, "0"]], { using: USING_SHARE });
    const projects = (created.methodResponses[0]![1].created as Record<string, { id: string }>).p!.id;
    // The same grant IMAP reads (core/acl): lookup and read.
    assert.deepEqual(
      (await f.store.mailboxAcl.list(f.alice.id, projects)).map((g) => [g.grantee, g.rights]),
      [
        [f.bob.id, "lr"],
      ],
    );

    const session = await (await f.fetch("/jmap/session", { headers: { authorization: f.basic(f.bob) } }))
      .json();
    assert.deepEqual(session.capabilities[PRINCIPALS], {});
    const shared = session.accounts[f.alice.id];
    assert.equal(shared.name, "alice@example.org");
    assert.equal(shared.isPersonal, false);
    assert.equal(shared.isReadOnly, true);
    assert.deepEqual(session.accounts[f.bob.id].accountCapabilities[PRINCIPALS], {
      currentUserPrincipalId: f.bob.id,
    });

    const got = await f.api([["Mailbox/get", { accountId: f.alice.id, ids: null }, "0"]], {
      account: f.bob,
      using: USING_SHARE,
    });
    const list = got.methodResponses[0]![1].list as Record<string, unknown>[];
    assert.deepEqual(list.map((m) => m.name), ["Projects"]);
    const rights = list[0]!.myRights as Record<string, boolean>;
    assert.equal(rights.mayReadItems, true);
    assert.equal(rights.mayAddItems, false);
    assert.equal(rights.mayDelete, false);
    assert.equal(list[0]!.shareWith, null);

    const own = await f.api([["Mailbox/get", {
      accountId: f.alice.id,
      ids: [projects],
      properties: ["shareWith"],
    }, "0"]], {
      using: USING_SHARE,
    });
    const share = (own.methodResponses[0]![1].list as Record<string, unknown>[])[0]!.shareWith as Record<
      string,
      Record<string, boolean>
    >;
    assert.equal(share[f.bob.id]!.mayReadItems, true);
    assert.equal(share[f.bob.id]!.mayAdmin, false);

    // Revoked: the owner's Mailbox state moves, and the account leaves the grantee's session.
    const stateBefore = own.methodResponses[0]![1].state;
    await f.api([["Mailbox/set", {
      accountId: f.alice.id,
      update: { [projects]: { [`shareWith/${f.bob.id}`]: null } },
    }, "0"]], {
      using: USING_SHARE,
    });
    const changes = await f.api([[
      "Mailbox/changes",
      { accountId: f.alice.id, sinceState: stateBefore },
      "0",
    ]]);
    assert.deepEqual(changes.methodResponses[0]![1].updated, [projects]);
    const after = await (await f.fetch("/jmap/session", { headers: { authorization: f.basic(f.bob) } }))
      .json();
    assert.equal(after.accounts[f.alice.id], undefined);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: a user without a grant gets accountNotFound as for an unknown account; a grantee may only subscribe to a shared mailbox", async () => {
  const f = await jmapFixture();
  try {
    const carol = await f.store.createAccount({
      address: "carol@example.org",
      secrets: await f.server.auth.deriveSecrets(PASSWORD),
    });
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    await f.store.mailboxAcl.set(f.alice.id, inbox!.id, f.bob.id, "lr");
    const unknown = await f.api([["Mailbox/get", { accountId: "no-such-account", ids: null }, "0"]], {
      account: carol,
    });
    const notShared = await f.api([["Mailbox/get", { accountId: f.alice.id, ids: null }, "0"]], {
      account: carol,
    });
    assert.deepEqual(notShared.methodResponses[0], unknown.methodResponses[0]);
    assert.equal(notShared.methodResponses[0]![0], "error");
    assert.equal(notShared.methodResponses[0]![1].type, "accountNotFound");
    // Bob may read the shared Inbox and subscribe to it, but not change Alice's mailboxes.
    const set = async (call: Record<string, unknown>) =>
      (await f.api([["Mailbox/set", { accountId: f.alice.id, ...call }, "0"]], { account: f.bob }))
        .methodResponses[0]![1] as Record<string, Record<string, { type: string }>>;
    assert.equal((await set({ create: { n: { name: "New" } } })).notCreated!.n!.type, "forbidden");
    assert.equal(
      (await set({ update: { [inbox!.id]: { name: "Mine" } } })).notUpdated![inbox!.id]!.type,
      "forbidden",
    );
    assert.equal((await set({ destroy: [inbox!.id] })).notDestroyed![inbox!.id]!.type, "forbidden");
    await f.api([[
      "Mailbox/set",
      { accountId: f.alice.id, update: { [inbox!.id]: { isSubscribed: true } } },
      "0",
    ]], {
      account: f.bob,
    });
    assert.deepEqual(await f.store.subscriptions.list(f.bob.id), ["Other Users/alice@example.org/INBOX"]);
    const seen = await f.api([["Mailbox/get", {
      accountId: f.alice.id,
      ids: [inbox!.id],
      properties: ["isSubscribed"],
    }, "0"]], {
      account: f.bob,
    });
    assert.deepEqual(seen.methodResponses[0]![1].list, [{ id: inbox!.id, isSubscribed: true }]);
    assert.equal((await f.store.getMailbox(f.alice.id, inbox!.id))!.name, inbox!.name);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: Principal/get lists the user, their domain and who shared with them, with accessible accounts", async () => {
  const f = await jmapFixture();
  try {
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    await f.store.mailboxAcl.set(f.alice.id, inbox!.id, f.bob.id, "lr");
    const r = await f.api([[
      "Principal/get",
      { accountId: f.bob.id, ids: [f.alice.id, f.bob.id, "nope"] },
      "0",
    ]], {
      account: f.bob,
      using: USING_SHARE,
    });
    const body = r.methodResponses[0]![1];
    const list = body.list as Record<string, unknown>[];
    assert.deepEqual(body.notFound, ["nope"]);
    const alice = list.find((p) => p.id === f.alice.id)!;
    assert.equal(alice.type, "individual");
    assert.equal(alice.email, "alice@example.org");
    assert.deepEqual(Object.keys(alice.accounts as object), [f.alice.id]);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: Email/query and Email/get on a shared account see only mailboxes with the read right", async () => {
  const f = await jmapFixture();
  try {
    const add = async (mailboxIds: string[], subject: string) => {
      const raw = new TextEncoder().encode(`From: a@example.org\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
      const { blobId } = await f.store.blobs.put(raw);
      const [m] = await f.store.addMessages([{ accountId: f.alice.id, mailboxIds, blobId }]);
      return m!.id;
    };
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    const listed = await f.store.createMailbox(f.alice.id, { name: "Listed", parentId: null });
    const shared = await add([team.id, inbox.id], "team");
    const listedOnly = await add([listed.id], "listed");
    const privateOne = await add([inbox.id], "private");
    await f.store.mailboxAcl.set(f.alice.id, team.id, f.bob.id, "lr");
    // Lookup without read: the mailbox is visible, its messages are not.
    await f.store.mailboxAcl.set(f.alice.id, listed.id, f.bob.id, "l");

    const q = await f.api([["Email/query", { accountId: f.alice.id }, "0"]], { account: f.bob });
    assert.deepEqual(q.methodResponses[0]![1].ids, [shared]);
    const g = await f.api([["Email/get", {
      accountId: f.alice.id,
      ids: [shared, listedOnly, privateOne],
      properties: ["mailboxIds", "subject"],
    }, "0"]], { account: f.bob });
    const body = g.methodResponses[0]![1];
    assert.deepEqual(body.notFound, [listedOnly, privateOne]);
    assert.deepEqual(body.list, [{ id: shared, mailboxIds: { [team.id]: true }, subject: "team" }]);

    const seen = async () =>
      (await f.api([["Email/set", {
        accountId: f.alice.id,
        update: { [shared]: { "keywords/$seen": true } },
      }, "0"]], { account: f.bob })).methodResponses[0]![1];
    assert.deepEqual(
      (await seen()).notUpdated as unknown,
      {
        [shared]: { type: "forbidden", description: "The rights do not allow changing these keywords." },
      } as unknown,
    );
    assert.deepEqual((await f.store.getMessages(f.alice.id, [shared]))[0]!.keywords, []);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: Email/set on a shared account needs s for $seen, w for other keywords, i to add, t and e to remove or destroy", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    const drop = await f.store.createMailbox(f.alice.id, { name: "Drop", parentId: null });
    const raw = new TextEncoder().encode("From: a@example.org\r\nSubject: t\r\n\r\nbody\r\n");
    const { blobId } = await f.store.blobs.put(raw);
    const [m] = await f.store.addMessages([{
      accountId: f.alice.id,
      mailboxIds: [team.id, inbox.id],
      blobId,
    }]);
    const id = m!.id;
    const grant = (mailbox: string, rights: string) =>
      f.store.mailboxAcl.set(f.alice.id, mailbox, f.bob.id, rights);
    const update = async (patch: Record<string, unknown>) => {
      const r = (await f.api([["Email/set", { accountId: f.alice.id, update: { [id]: patch } }, "0"]], {
        account: f.bob,
      })).methodResponses[0]![1];
      return r.updated && id in (r.updated as object)
        ? "ok"
        : (r.notUpdated as Record<string, { type: string }>)[id]!.type;
    };
    await grant(team.id, "lr");
    // The message is also in Alice's Inbox, where Bob holds no right: $seen needs s in both.
    assert.equal(await update({ "keywords/$seen": true }), "forbidden");
    await grant(inbox.id, "ls");
    await grant(team.id, "lrs");
    assert.equal(await update({ "keywords/$seen": true }), "ok");
    assert.equal(await update({ "keywords/$flagged": true }), "forbidden");
    await grant(inbox.id, "lsw");
    await grant(team.id, "lrsw");
    assert.equal(await update({ "keywords/$flagged": true }), "ok");
    assert.deepEqual((await f.store.getMessages(f.alice.id, [id]))[0]!.keywords.sort(), [
      "$flagged",
      "$seen",
    ]);
    // Adding to Drop needs i there; taking it out of Team and Inbox needs t and e there.
    await grant(drop.id, "l");
    assert.equal(await update({ [`mailboxIds/${drop.id}`]: true }), "forbidden");
    await grant(drop.id, "li");
    assert.equal(await update({ mailboxIds: { [drop.id]: true } }), "forbidden");
    await grant(team.id, "lrswte");
    await grant(inbox.id, "lswte");
    assert.equal(await update({ mailboxIds: { [drop.id]: true } }), "ok");
    assert.deepEqual((await f.store.getMessages(f.alice.id, [id]))[0]!.mailboxIds, [drop.id]);
    // Destroying needs t and e in every mailbox holding it (and r somewhere to see it).
    await grant(drop.id, "lri");
    const destroy = async () =>
      (await f.api([["Email/set", { accountId: f.alice.id, destroy: [id] }, "0"]], { account: f.bob }))
        .methodResponses[0]![1];
    assert.equal(((await destroy()).notDestroyed as Record<string, { type: string }>)[id]!.type, "forbidden");
    await grant(drop.id, "lrite");
    assert.deepEqual((await destroy()).destroyed, [id]);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: only the mail methods (Mailbox, Email, Thread, SearchSnippet) open a shared account; every other method answers accountNotFound", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    await f.store.mailboxAcl.set(f.alice.id, inbox.id, f.bob.id, "lrswitekxa");
    const opened = new Set([
      "Mailbox/get",
      "Mailbox/set",
      "Mailbox/changes",
      "Mailbox/query",
      "Mailbox/queryChanges",
      "Email/get",
      "Email/query",
      "Email/set",
      "Email/changes",
      "Email/queryChanges",
      "Email/copy",
      "Email/import",
      "Thread/get",
      "Thread/changes",
      "SearchSnippet/get",
    ]);
    // Methods without an account argument, or answering for the user's own principal.
    const accountless = new Set(["Core/echo", "PushSubscription/get", "PushSubscription/set", "Blob/copy"]);
    const using = [...new Set([...USING_SHARE, ...[...METHODS.values()].map((m) => m.capability)])];
    // Bob's Email and Thread states carry his grant generation (core/acl/view_state.ts).
    const [email, thread] = (await f.api([
      ["Email/get", { accountId: f.alice.id, ids: [] }, "0"],
      ["Thread/get", { accountId: f.alice.id, ids: [] }, "1"],
    ], { account: f.bob })).methodResponses.map((r: unknown[]) => (r[1] as { state: string }).state);
    const since: Record<string, string | undefined> = { Email: email, Thread: thread };
    const args = (name: string): Record<string, unknown> => {
      const base: Record<string, unknown> = { accountId: f.alice.id };
      const type = name.split("/")[0]!;
      if (name.endsWith("/get")) base.ids = [];
      if (name.endsWith("/changes")) base.sinceState = since[type] ?? "0";
      if (name.endsWith("/queryChanges")) base.sinceQueryState = since[type] ?? "0";
      if (name.endsWith("/copy")) base.fromAccountId = f.bob.id;
      return base;
    };
    const refusedWrongly: string[] = [];
    for (const name of [...METHODS.keys()].filter((n) => !opened.has(n) && !accountless.has(n))) {
      const r = await f.api([[name, args(name), "0"]], { account: f.bob, using });
      const [kind, body] = r.methodResponses[0]!;
      if (kind !== "error" || body.type !== "accountNotFound") {
        refusedWrongly.push(`${name}: ${kind} ${JSON.stringify(body)}`);
      }
    }
    assert.deepEqual(refusedWrongly, []);
    for (const name of opened) {
      const r = await f.api([[name, args(name), "0"]], { account: f.bob, using });
      assert.notEqual(r.methodResponses[0]![0], "error", name);
    }
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: shareWith names only principals of the owner's organization", async () => {
  const f = await jmapFixture();
  try {
    await f.store.organizations.create({ id: "acme" });
    await f.store.organizations.assignDomain("example.org", "acme");
    await f.store.addDomain("other.test");
    const carol = await f.store.createAccount({
      address: "carol@other.test",
      secrets: await f.server.auth.deriveSecrets(PASSWORD),
    });
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const share = async (who: string) =>
      (await f.api([["Mailbox/set", {
        accountId: f.alice.id,
        update: { [inbox.id]: { [`shareWith/${who}`]: { mayReadItems: true } } },
      }, "0"]], { using: USING_SHARE })).methodResponses[0]![1];
    // Another tenant's user is refused exactly like a principal that does not exist.
    const refusal = async (who: string) => {
      const r = (await share(who)).notUpdated as Record<string, { type: string; properties: string[] }>;
      return { type: r[inbox.id]!.type, properties: r[inbox.id]!.properties };
    };
    assert.deepEqual(await refusal(carol.id), { type: "invalidProperties", properties: ["shareWith"] });
    assert.deepEqual(await refusal("no-such-principal"), await refusal(carol.id));
    assert.deepEqual(await f.store.mailboxAcl.list(f.alice.id, inbox.id), []);
    assert.ok((await share(f.bob.id)).updated);
  } finally {
    await f.close();
  }
});

/** Adds a message to mailboxes of an account through the store (as delivery would). */
async function addTo(
  f: JmapFixture,
  accountId: string,
  mailboxIds: string[],
  raw: Uint8Array,
  keywords: string[] = [],
) {
  const { blobId } = await f.store.blobs.put(raw);
  const [m] = await f.store.addMessages([{ accountId, mailboxIds, blobId, keywords }]);
  return m!;
}

Deno.test("jmap sharing: /changes, queryChanges, Thread/get and SearchSnippet/get on a shared account show only what the read right reaches; a message leaving it is destroyed for the grantee", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    const listed = await f.store.createMailbox(f.alice.id, { name: "Listed", parentId: null });
    await f.store.mailboxAcl.set(f.alice.id, team.id, f.bob.id, "lr");
    await f.store.mailboxAcl.set(f.alice.id, listed.id, f.bob.id, "l");
    const old = await f.store.createMailbox(f.alice.id, { name: "Old", parentId: null });
    await setGrant(f.store, f.alice.id, old.id, f.bob.id, "lr");
    // One thread: the first message in Team (Bob reads it), the reply in Alice's Inbox (he does not).
    const first = await addTo(
      f,
      f.alice.id,
      [team.id],
      sampleMessage({ subject: "plan", messageId: "t1@x" }),
    );
    const reply = await addTo(
      f,
      f.alice.id,
      [inbox.id],
      sampleMessage({ subject: "Re: plan", messageId: "p1@x", inReplyTo: "t1@x", body: "secret plan" }),
    );
    assert.equal(first.threadId, reply.threadId);
    const bob = async (calls: Call[]) =>
      (await f.api(calls, { account: f.bob })).methodResponses.map((r) => r[1] as Record<string, unknown>);
    const [email0, mailbox0, thread0] = await bob([
      ["Email/get", { accountId: f.alice.id, ids: [] }, "0"],
      ["Mailbox/get", { accountId: f.alice.id, ids: [] }, "1"],
      ["Thread/get", { accountId: f.alice.id, ids: [first.threadId] }, "2"],
    ]);
    // Thread/get: only the Email Bob may read.
    assert.deepEqual(thread0!.list, [{ id: first.threadId, emailIds: [first.id] }]);
    const q0 = (await bob([["Email/query", { accountId: f.alice.id }, "0"]]))[0]!;

    // Alice: a new message in Team and one in her Inbox; the first message leaves Team; a new
    // mailbox Bob cannot see; a message in Team that she then deletes.
    const added = await addTo(
      f,
      f.alice.id,
      [team.id],
      sampleMessage({ subject: "agenda", body: "plan agenda" }),
    );
    const hidden = await addTo(
      f,
      f.alice.id,
      [inbox.id],
      sampleMessage({ subject: "plan private", body: "plan" }),
    );
    await f.api([["Email/set", {
      accountId: f.alice.id,
      update: { [first.id]: { mailboxIds: { [inbox.id]: true } } },
    }, "0"]]);
    const secret = await f.store.createMailbox(f.alice.id, { name: "Secret", parentId: null });

    // Email and Thread first: a grant change that moves what Bob may read ends their /changes
    // (see the grant-generation test below).
    const [emailChanges, threadChanges, queryChanges, snippets, threads, email1] = await bob([
      ["Email/changes", { accountId: f.alice.id, sinceState: email0!.state }, "0"],
      ["Thread/changes", { accountId: f.alice.id, sinceState: thread0!.state }, "2"],
      ["Email/queryChanges", { accountId: f.alice.id, sinceQueryState: q0.queryState }, "3"],
      ["SearchSnippet/get", {
        accountId: f.alice.id,
        filter: { body: "plan" },
        emailIds: [added.id, hidden.id, reply.id],
      }, "4"],
      ["Thread/get", { accountId: f.alice.id, ids: [first.threadId, hidden.threadId] }, "5"],
      ["Email/get", { accountId: f.alice.id, ids: [] }, "6"],
    ]);
    await setGrant(f.store, f.alice.id, listed.id, f.bob.id, "lr");
    await setGrant(f.store, f.alice.id, old.id, f.bob.id, "");
    const [mailboxChanges] = await bob([
      ["Mailbox/changes", { accountId: f.alice.id, sinceState: mailbox0!.state }, "1"],
    ]);
    assert.deepEqual(emailChanges!.created, [added.id]);
    assert.deepEqual(emailChanges!.updated, []);
    assert.deepEqual(emailChanges!.destroyed, [first.id]);
    assert.equal(emailChanges!.newState, email1!.state);
    assert.ok(String(email1!.state).startsWith(`${await f.store.state(f.alice.id, "Email")}-`));
    // Team (new mail) and Listed (new rights) are updated; Old, revoked, is destroyed for Bob. The
    // Inbox (new mail) and Secret (new), never shared with him, do not show at all.
    assert.deepEqual(mailboxChanges!.created, []);
    assert.deepEqual((mailboxChanges!.updated as string[]).sort(), [team.id, listed.id].sort());
    assert.deepEqual(mailboxChanges!.destroyed, [old.id]);
    assert.ok(!JSON.stringify(mailboxChanges).includes(`"${secret.id}"`), JSON.stringify(mailboxChanges));
    // The thread of the first message has nothing Bob may read now: destroyed for him.
    assert.deepEqual(threadChanges!.created, [added.threadId]);
    assert.deepEqual(threadChanges!.destroyed, [first.threadId]);
    assert.deepEqual(queryChanges!.added, [{ id: added.id, index: 0 }]);
    assert.deepEqual(queryChanges!.removed, [first.id]);
    const snippetList = snippets!.list as { emailId: string; preview: string }[];
    assert.deepEqual(snippetList.map((x) => x.emailId), [added.id]);
    assert.match(snippetList[0]!.preview, /<mark>plan<\/mark> agenda/);
    assert.deepEqual(snippets!.notFound, [hidden.id, reply.id]);
    assert.deepEqual(threads!.list, []);
    assert.deepEqual(threads!.notFound, [first.threadId, hidden.threadId]);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: Email/copy goes from a shared account into the user's own and back within the rights; Email/import, upload and download on a shared account reach only what the rights allow", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    const drop = await f.store.createMailbox(f.alice.id, { name: "Drop", parentId: null });
    const bobInbox = (await f.store.getMailboxByRole(f.bob.id, "inbox"))!;
    await f.store.mailboxAcl.set(f.alice.id, team.id, f.bob.id, "lr");
    // Drop: Bob may add, not read nor set $seen.
    await f.store.mailboxAcl.set(f.alice.id, drop.id, f.bob.id, "li");
    const shared = await addTo(f, f.alice.id, [team.id], sampleMessage({ subject: "shared" }), ["$seen"]);
    const hidden = await addTo(f, f.alice.id, [inbox.id], sampleMessage({ subject: "hidden" }));
    const own = await addTo(f, f.bob.id, [bobInbox.id], sampleMessage({ subject: "bob's" }), ["$seen"]);
    const call = async (name: string, args: Record<string, unknown>) =>
      (await f.api([[name, args, "0"]], { account: f.bob })).methodResponses;
    const copy = async (from: string, to: string, id: string, mailbox: string, extra = {}) =>
      (await call("Email/copy", {
        fromAccountId: from,
        accountId: to,
        create: { c: { id, mailboxIds: { [mailbox]: true }, ...extra } },
      }))[0]![1] as Record<string, Record<string, { id: string; type: string }> | null>;

    // From Alice's Team into Bob's Inbox: a new Email of Bob's, with the same bytes.
    const fromShared = await copy(f.alice.id, f.bob.id, shared.id, bobInbox.id);
    const copied = (await f.store.getMessages(f.bob.id, [fromShared.created!.c!.id]))[0]!;
    assert.deepEqual(copied.mailboxIds, [bobInbox.id]);
    assert.deepEqual(copied.keywords, ["$seen"]);
    assert.deepEqual(
      await f.store.readMessage(f.bob.id, copied.id),
      await f.store.readMessage(f.alice.id, shared.id),
    );
    // A message in a mailbox Bob may not read does not exist for him.
    assert.equal((await copy(f.alice.id, f.bob.id, hidden.id, bobInbox.id)).notCreated!.c!.type, "notFound");
    // Back into Alice's account: Drop has "i" (the $seen he may not set there is dropped), Team has not.
    const intoDrop = await copy(f.bob.id, f.alice.id, own.id, drop.id);
    const dropped = (await f.store.getMessages(f.alice.id, [intoDrop.created!.c!.id]))[0]!;
    assert.deepEqual([dropped.mailboxIds, dropped.keywords], [[drop.id], []]);
    assert.equal((await copy(f.bob.id, f.alice.id, own.id, team.id)).notCreated!.c!.type, "forbidden");
    assert.equal(
      (await copy(f.bob.id, f.alice.id, own.id, drop.id, { keywords: { $seen: true } })).notCreated!.c!.type,
      "forbidden",
    );
    // Moving out of Team needs t and e there: the copy is made, the original stays.
    const move = await f.api([["Email/copy", {
      fromAccountId: f.alice.id,
      accountId: f.bob.id,
      create: { m: { id: shared.id, mailboxIds: { [bobInbox.id]: true } } },
      onSuccessDestroyOriginal: true,
    }, "0"]], { account: f.bob });
    const implicit = move.methodResponses[1]!;
    assert.equal(implicit[0], "Email/set");
    assert.equal(
      (implicit[1].notDestroyed as Record<string, { type: string }>)[shared.id]!.type,
      "forbidden",
    );
    assert.equal((await f.store.getMessages(f.alice.id, [shared.id])).length, 1);

    // Upload to Alice's account (Bob may add to Drop), then import into Drop; not into Team.
    const raw = sampleMessage({ subject: "imported" });
    const up = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
      method: "POST",
      headers: { authorization: f.basic(f.bob), "content-type": "message/rfc822" },
      body: raw,
    });
    assert.equal(up.status, 201);
    const { blobId, accountId: upAccount } = await up.json();
    assert.equal(upAccount, f.alice.id);
    const imp = async (mailbox: string) =>
      (await call("Email/import", {
        accountId: f.alice.id,
        emails: { i: { blobId, mailboxIds: { [mailbox]: true } } },
      }))[0]![1] as Record<string, Record<string, { id: string; type: string }> | null>;
    assert.equal((await imp(team.id)).notCreated!.i!.type, "forbidden");
    const imported = (await imp(drop.id)).created!.i!.id;
    assert.deepEqual(
      await f.store.readMessage(f.alice.id, imported),
      raw,
    );
    // Bob's upload stays his: Alice cannot use it in her own account.
    const aliceImport = await f.api([["Email/import", {
      accountId: f.alice.id,
      emails: { i: { blobId, mailboxIds: { [inbox.id]: true } } },
    }, "0"]]);
    assert.equal(
      (aliceImport.methodResponses[0]![1].notCreated as Record<string, { type: string }>).i!.type,
      "blobNotFound",
    );

    // Download: a message Bob may read, yes; one he may not (or one he only added), no.
    const download = async (accountId: string, id: string, who = f.bob) =>
      await f.fetch(`/jmap/download/${accountId}/${messageBlobId(id)}/m.eml`, {
        headers: { authorization: f.basic(who) },
      });
    const ok = await download(f.alice.id, shared.id);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      new Uint8Array(await ok.arrayBuffer()),
      await f.store.readMessage(f.alice.id, shared.id),
    );
    for (const id of [hidden.id, imported]) {
      const r = await download(f.alice.id, id);
      assert.equal(r.status, 404);
      await r.body?.cancel();
    }
    // A user with no share gets the same 404 as for an unknown account.
    const carol = await f.store.createAccount({
      address: "carol@example.org",
      secrets: await f.server.auth.deriveSecrets(PASSWORD),
    });
    const [noShare, unknown] = [
      await download(f.alice.id, shared.id, carol),
      await download("nope", shared.id, carol),
    ];
    assert.deepEqual([noShare.status, await noShare.text()], [unknown.status, await unknown.text()]);
    assert.equal(noShare.status, 404);
  } finally {
    await f.close();
  }
});

/** The next server-sent event of a stream, comments skipped. */
async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, buf: { text: string }) {
  for (;;) {
    const end = buf.text.indexOf("\n\n");
    if (end >= 0) {
      const block = buf.text.slice(0, end);
      buf.text = buf.text.slice(end + 2);
      if (block.startsWith(":")) continue;
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event: /^event: (.*)$/m.exec(block)?.[1], data: data ? JSON.parse(data) : null };
    }
    const { value, done } = await reader.read();
    if (done) return null;
    buf.text += new TextDecoder().decode(value, { stream: true });
  }
}

Deno.test("jmap sharing: EventSource pushes a shared account's state changes for the mailboxes the user may look up, not for the others", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    await f.store.mailboxAcl.set(f.alice.id, team.id, f.bob.id, "lr");
    const res = await f.fetch("/jmap/eventsource?types=Email,Mailbox&closeafter=no&ping=0", {
      headers: { authorization: f.basic(f.bob) },
    });
    const reader = res.body!.getReader();
    const buf = { text: "" };
    // The opening comment comes once every account is subscribed.
    buf.text += new TextDecoder().decode((await reader.read()).value);
    assert.match(buf.text, /^: tern push/);
    // New mail in Alice's Inbox (no right for Bob) must not reach him; new mail in Team must.
    await addTo(f, f.alice.id, [inbox.id], sampleMessage({ subject: "private" }));
    await addTo(f, f.alice.id, [team.id], sampleMessage({ subject: "team" }));
    const ev = await nextEvent(reader, buf);
    assert.equal(ev?.event, "state");
    assert.deepEqual(ev?.data, {
      "@type": "StateChange",
      changed: {
        [f.alice.id]: {
          Email: (await f.api([["Email/get", { accountId: f.alice.id, ids: [] }, "0"]], { account: f.bob }))
            .methodResponses[0]![1].state,
          Mailbox: await f.store.state(f.alice.id, "Mailbox"),
        },
      },
    });
    // Bob's own account still pushes as before.
    await addTo(f, f.bob.id, [(await f.store.getMailboxByRole(f.bob.id, "inbox"))!.id], sampleMessage());
    const own = await nextEvent(reader, buf);
    assert.deepEqual(Object.keys(own?.data.changed), [f.bob.id]);
    await reader.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: granting, changing and revoking rights leave ShareNotifications in the grantee's account, which they may query, follow and destroy but not create or change", async () => {
  const f = await jmapFixture();
  try {
    const using = { using: USING_SHARE };
    const created = await f.api([["Mailbox/set", {
      accountId: f.alice.id,
      create: { p: { name: "Projects", shareWith: { [f.bob.id]: { mayReadItems: true } } } },
    }, "0"]], using);
    const projects = (created.methodResponses[0]![1].created as Record<string, { id: string }>).p!.id;
    const bob = async (calls: Call[]) =>
      (await f.api(calls, { account: f.bob, ...using })).methodResponses.map((r) =>
        r[1] as Record<string, unknown>
      );
    const [first] = await bob([["ShareNotification/get", { accountId: f.bob.id, ids: null }, "0"]]);
    const list = first!.list as Record<string, unknown>[];
    assert.equal(list.length, 1);
    const { id: firstId, created: when, ...rest } = list[0]!;
    assert.match(when as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(rest, {
      changedBy: { name: "Alice", email: "alice@example.org", principalId: f.alice.id },
      objectType: "Mailbox",
      objectAccountId: f.alice.id,
      objectId: projects,
      oldRights: null,
      newRights: {
        mayReadItems: true,
        mayAddItems: false,
        mayRemoveItems: false,
        maySetSeen: false,
        maySetKeywords: false,
        mayCreateChild: false,
        mayRename: false,
        mayDelete: false,
        maySubmit: false,
        mayAdmin: false,
      },
      name: "Projects",
    });
    // Alice herself has none; an IMAP-style change (setGrant, as SETACL) and a revocation add two.
    const [aliceList] =
      (await f.api([["ShareNotification/get", { accountId: f.alice.id, ids: null }, "0"]], using))
        .methodResponses.map((r) => r[1]);
    assert.deepEqual(aliceList!.list, []);
    const since = first!.state as string;
    await setGrant(f.store, f.alice.id, projects, f.bob.id, "lrs", {
      changedBy: f.alice.id,
      now: new Date(),
    });
    await f.api([["Mailbox/set", {
      accountId: f.alice.id,
      update: { [projects]: { [`shareWith/${f.bob.id}`]: null } },
    }, "0"]], using);
    const [all, changes, query, queryChanges] = await bob([
      [
        "ShareNotification/get",
        { accountId: f.bob.id, ids: null, properties: ["oldRights", "newRights"] },
        "0",
      ],
      ["ShareNotification/changes", { accountId: f.bob.id, sinceState: since }, "1"],
      ["ShareNotification/query", {
        accountId: f.bob.id,
        filter: { objectAccountId: f.alice.id },
        sort: [{ property: "created", isAscending: false }],
      }, "2"],
      ["ShareNotification/queryChanges", { accountId: f.bob.id, sinceQueryState: since }, "3"],
    ]);
    const notes = all!.list as {
      id: string;
      oldRights: Record<string, boolean> | null;
      newRights: unknown;
    }[];
    assert.equal(notes.length, 3);
    assert.deepEqual(notes.map((n) => [n.oldRights?.maySetSeen ?? null, n.newRights === null]), [
      [null, false],
      [false, false],
      [true, true],
    ]);
    const later = notes.slice(1).map((n) => n.id);
    assert.deepEqual(changes!.created, later);
    assert.deepEqual([changes!.updated, changes!.destroyed], [[], []]);
    assert.deepEqual(query!.ids, notes.map((n) => n.id).reverse());
    assert.deepEqual(queryChanges!.added, [{ id: later[0], index: 1 }, { id: later[1], index: 2 }]);
    const empty = await bob([["ShareNotification/query", {
      accountId: f.bob.id,
      filter: { objectType: "Calendar" },
    }, "0"]]);
    assert.deepEqual(empty[0]!.ids, []);

    // Destroy only: create and update are forbidden.
    const [set] = await bob([["ShareNotification/set", {
      accountId: f.bob.id,
      create: { n: { objectType: "Mailbox" } },
      update: { [firstId as string]: { name: "x" } },
      destroy: [firstId, "sn999999"],
    }, "0"]]);
    assert.equal((set!.notCreated as Record<string, { type: string }>).n!.type, "forbidden");
    assert.equal((set!.notUpdated as Record<string, { type: string }>)[firstId as string]!.type, "forbidden");
    assert.deepEqual(set!.destroyed, [firstId]);
    assert.equal((set!.notDestroyed as Record<string, { type: string }>).sn999999!.type, "notFound");
    const [after] = await bob([[
      "ShareNotification/changes",
      { accountId: f.bob.id, sinceState: since },
      "0",
    ]]);
    assert.deepEqual(after!.destroyed, [firstId]);
    // Another user's account is not Bob's to read.
    const [other] = (await f.api([["ShareNotification/get", { accountId: f.alice.id, ids: null }, "0"]], {
      account: f.bob,
      ...using,
    })).methodResponses;
    assert.deepEqual([other![0], other![1].type], ["error", "accountNotFound"]);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: Principal/query filters the visible principals and Principal/changes answers the current state only", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    await f.store.mailboxAcl.set(f.alice.id, inbox.id, f.bob.id, "lr");
    const bob = async (calls: Call[]) =>
      (await f.api(calls, { account: f.bob, using: USING_SHARE })).methodResponses;
    const [q, byName, byAccount, bad] = await bob([
      ["Principal/query", { accountId: f.bob.id, sort: [{ property: "email" }] }, "0"],
      ["Principal/query", { accountId: f.bob.id, filter: { text: "ALICE" } }, "1"],
      ["Principal/query", { accountId: f.bob.id, filter: { accountIds: [f.alice.id] } }, "2"],
      ["Principal/query", { accountId: f.bob.id, filter: { color: "red" } }, "3"],
    ]);
    assert.deepEqual(q![1].ids, [f.alice.id, f.bob.id]);
    assert.deepEqual(byName![1].ids, [f.alice.id]);
    assert.deepEqual(byAccount![1].ids, [f.alice.id]);
    assert.deepEqual([bad![0], bad![1].type], ["error", "unsupportedFilter"]);
    const state = (await bob([["Principal/get", { accountId: f.bob.id, ids: [] }, "0"]]))[0]![1].state;
    assert.equal(q![1].queryState, state);
    const [same, stale] = await bob([
      ["Principal/changes", { accountId: f.bob.id, sinceState: state }, "0"],
      ["Principal/changes", { accountId: f.bob.id, sinceState: "old" }, "1"],
    ]);
    assert.deepEqual([same![1].created, same![1].updated, same![1].destroyed, same![1].newState], [
      [],
      [],
      [],
      state,
    ]);
    assert.deepEqual([stale![0], stale![1].type], ["error", "cannotCalculateChanges"]);
    // A new account in the domain is a new principal: the state moves on.
    await f.store.createAccount({
      address: "dave@example.org",
      secrets: await f.server.auth.deriveSecrets(PASSWORD),
    });
    const [moved] = await bob([["Principal/changes", { accountId: f.bob.id, sinceState: state }, "0"]]);
    assert.deepEqual([moved![0], moved![1].type], ["error", "cannotCalculateChanges"]);
  } finally {
    await f.close();
  }
});

/** One method response as name and arguments. */
function response(r: unknown[]): { name: string; args: Record<string, unknown> } {
  return { name: r[0] as string, args: r[1] as Record<string, unknown> };
}

Deno.test("jmap sharing: a grant change moves the grantee's Email and Thread states, so /changes and /queryChanges from before it answer cannotCalculateChanges; the owner's states do not move", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    await setGrant(f.store, f.alice.id, team.id, f.bob.id, "lr");
    const shown = await addTo(f, f.alice.id, [team.id], sampleMessage({ subject: "team", messageId: "a@x" }));
    const later = await addTo(
      f,
      f.alice.id,
      [inbox.id],
      sampleMessage({ subject: "inbox", messageId: "b@x" }),
    );
    const bob = async (calls: Call[]) =>
      (await f.api(calls, { account: f.bob })).methodResponses.map(response);
    const alice = async (calls: Call[]) => (await f.api(calls)).methodResponses.map(response);
    const sync = () =>
      bob([
        ["Email/get", { accountId: f.alice.id, ids: [] }, "0"],
        ["Thread/get", { accountId: f.alice.id, ids: [] }, "1"],
        ["Email/query", { accountId: f.alice.id }, "2"],
      ]);
    const since = (email: unknown, thread: unknown, query: unknown) =>
      bob([
        ["Email/changes", { accountId: f.alice.id, sinceState: email }, "0"],
        ["Thread/changes", { accountId: f.alice.id, sinceState: thread }, "1"],
        ["Email/queryChanges", { accountId: f.alice.id, sinceQueryState: query }, "2"],
      ]);
    const [e0, t0, q0] = (await sync()).map((r) => r.args);
    assert.deepEqual(q0!.ids, [shown.id]);
    const ownerBefore = (await alice([["Email/get", { accountId: f.alice.id, ids: [] }, "0"]]))[0]!.args;

    // Alice shares her Inbox: Bob may now read a message that did not change.
    await alice([["Mailbox/set", {
      accountId: f.alice.id,
      update: { [inbox.id]: { [`shareWith/${f.bob.id}`]: { mayReadItems: true } } },
    }, "0"]]);
    for (const { name, args } of await since(e0!.state, t0!.state, q0!.queryState)) {
      assert.equal(name, "error", JSON.stringify(args));
      assert.equal(args.type, "cannotCalculateChanges");
    }
    // Bob syncs again: the new states follow the log as usual.
    const [e1, t1, q1] = (await sync()).map((r) => r.args);
    assert.notEqual(e1!.state, e0!.state);
    assert.notEqual(t1!.state, t0!.state);
    assert.deepEqual(new Set(q1!.ids as string[]), new Set([shown.id, later.id]));
    const c1 = (await since(e1!.state, t1!.state, q1!.queryState))[0]!;
    assert.equal(c1.name, "Email/changes");
    assert.deepEqual([c1.args.created, c1.args.updated, c1.args.destroyed, c1.args.newState], [
      [],
      [],
      [],
      e1!.state,
    ]);

    // A right that shows no other Email (w on Team) leaves the states; revoking the Inbox ends them.
    await setGrant(f.store, f.alice.id, team.id, f.bob.id, "lrw");
    assert.equal((await sync())[0]!.args.state, e1!.state);
    await setGrant(f.store, f.alice.id, inbox.id, f.bob.id, "");
    for (const { name, args } of await since(e1!.state, t1!.state, q1!.queryState)) {
      assert.equal(name, "error", JSON.stringify(args));
      assert.equal(args.type, "cannotCalculateChanges");
    }

    // A grant to "anyone" counts for Bob as well.
    const e2 = (await sync())[0]!.args;
    await setGrant(f.store, f.alice.id, inbox.id, "anyone", "lr");
    const [anyone] = await since(e2.state, t1!.state, q1!.queryState);
    assert.equal(anyone!.args.type, "cannotCalculateChanges", JSON.stringify(anyone));
    assert.deepEqual(new Set((await sync())[2]!.args.ids as string[]), new Set([shown.id, later.id]));

    // The owner's own view: the same Email state, and /changes from it still work.
    const [ownerGet, ownerChanges] = await alice([
      ["Email/get", { accountId: f.alice.id, ids: [] }, "0"],
      ["Email/changes", { accountId: f.alice.id, sinceState: ownerBefore!.state }, "1"],
    ]);
    assert.equal(ownerGet!.args.state, ownerBefore.state);
    assert.equal(ownerGet!.args.state, await f.store.state(f.alice.id, "Email"));
    assert.equal(ownerChanges!.name, "Email/changes");
    const { created, updated, destroyed } = ownerChanges!.args;
    assert.deepEqual([created, updated, destroyed], [[], [], []]);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sharing: EventSource pushes the grantee a new Email and Thread state when a grant shows them more mail", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const team = await f.store.createMailbox(f.alice.id, { name: "Team", parentId: null });
    await setGrant(f.store, f.alice.id, team.id, f.bob.id, "lr");
    await addTo(f, f.alice.id, [inbox.id], sampleMessage({ subject: "inbox" }));
    const res = await f.fetch("/jmap/eventsource?types=Email,Thread&closeafter=no&ping=0", {
      headers: { authorization: f.basic(f.bob) },
    });
    const reader = res.body!.getReader();
    const buf = { text: "" };
    buf.text += new TextDecoder().decode((await reader.read()).value);
    assert.match(buf.text, /^: tern push/);

    // Alice shares her Inbox with Bob (JMAP shareWith): no message changed, but Bob's view did.
    await f.api([["Mailbox/set", {
      accountId: f.alice.id,
      update: { [inbox.id]: { [`shareWith/${f.bob.id}`]: { mayReadItems: true } } },
    }, "0"]]);
    const [email, thread] = (await f.api([
      ["Email/get", { accountId: f.alice.id, ids: [] }, "0"],
      ["Thread/get", { accountId: f.alice.id, ids: [] }, "1"],
    ], { account: f.bob })).methodResponses.map(response);
    const ev = await nextEvent(reader, buf);
    assert.equal(ev?.event, "state");
    assert.deepEqual(ev?.data, {
      "@type": "StateChange",
      changed: { [f.alice.id]: { Email: email!.args.state, Thread: thread!.args.state } },
    });
    await reader.cancel();
  } finally {
    await f.close();
  }
});
