/**
 * JMAP Sharing (RFC 9670) over the RFC 4314 grants: Mailbox shareWith set by the owner, the shared
 * account in the grantee's Session, myRights from the same rights IMAP enforces, Principal/get,
 * and methods on a shared account refusing what the rights do not allow.
 */
import assert from "node:assert/strict";
import { jmapFixture, PASSWORD, USING } from "./_fixture.ts";
import { METHODS } from "../../protocols/jmap/methods/mod.ts";

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

Deno.test("jmap sharing: every method but Mailbox/get, Mailbox/set, Email/get, Email/query and Email/set refuses a shared account with accountNotFound", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    await f.store.mailboxAcl.set(f.alice.id, inbox.id, f.bob.id, "lrswitekxa");
    const opened = new Set(["Mailbox/get", "Mailbox/set", "Email/get", "Email/query", "Email/set"]);
    // Methods without an account argument, or answering for the user's own principal.
    const accountless = new Set(["Core/echo", "PushSubscription/get", "PushSubscription/set", "Blob/copy"]);
    const using = [...new Set([...USING_SHARE, ...[...METHODS.values()].map((m) => m.capability)])];
    const args = (name: string): Record<string, unknown> => {
      const base: Record<string, unknown> = { accountId: f.alice.id };
      if (name.endsWith("/get")) base.ids = [];
      if (name.endsWith("/changes")) base.sinceState = "0";
      if (name.endsWith("/queryChanges")) base.sinceQueryState = "0";
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
