/**
 * Email/get and Email/set read each message's mailboxes only when they need them (issue 24): on
 * the user's own account only when `mailboxIds` is asked for or patched one by one; on a shared
 * account always, because the rights of the mailboxes holding the message decide what the user
 * may see and change (RFC 9670).
 */
import assert from "node:assert/strict";
import { jmapFixture } from "./_fixture.ts";

Deno.test("Email/get on the own account skips the mailboxes unless mailboxIds is asked for", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const raw = new TextEncoder().encode("From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n");
    const { blobId } = await f.store.blobs.put(raw);
    const [m] = await f.store.addMessages([{ accountId: f.alice.id, mailboxIds: [inbox.id], blobId }]);
    const asked: (boolean | undefined)[] = [];
    const getMessages = f.store.getMessages.bind(f.store);
    f.store.getMessages = (accountId, ids, opts) => {
      asked.push(opts?.mailboxIds);
      return getMessages(accountId, ids, opts);
    };
    const get = async (properties: string[]) =>
      (await f.api([["Email/get", { accountId: f.alice.id, ids: [m!.id], properties }, "0"]]))
        .methodResponses[0]![1];
    assert.deepEqual((await get(["subject", "keywords"])).list, [{
      id: m!.id,
      subject: "hello",
      keywords: {},
    }]);
    assert.deepEqual(asked, [false]);
    assert.deepEqual((await get(["mailboxIds"])).list, [{ id: m!.id, mailboxIds: { [inbox.id]: true } }]);
    assert.notEqual(asked[1], false);
  } finally {
    await f.close();
  }
});

Deno.test("Email/get on a shared account without mailboxIds still shows only messages in readable mailboxes", async () => {
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
    const shared = await add([team.id], "team");
    const listedOnly = await add([listed.id], "listed");
    const privateOne = await add([inbox.id], "private");
    await f.store.mailboxAcl.set(f.alice.id, team.id, f.bob.id, "lr");
    await f.store.mailboxAcl.set(f.alice.id, listed.id, f.bob.id, "l");
    const g = await f.api([["Email/get", {
      accountId: f.alice.id,
      ids: [shared, listedOnly, privateOne],
      properties: ["subject"],
    }, "0"]], { account: f.bob });
    const body = g.methodResponses[0]![1];
    assert.deepEqual(body.list, [{ id: shared, subject: "team" }]);
    assert.deepEqual(body.notFound, [listedOnly, privateOne]);
  } finally {
    await f.close();
  }
});

Deno.test("Email/set on the own account reads the mailboxes only for a patch of single mailboxes", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const archive = (await f.store.getMailboxByRole(f.alice.id, "archive"))!;
    const raw = new TextEncoder().encode("From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n");
    const { blobId } = await f.store.blobs.put(raw);
    const [m] = await f.store.addMessages([{ accountId: f.alice.id, mailboxIds: [inbox.id], blobId }]);
    const asked: (boolean | undefined)[] = [];
    const getMessages = f.store.getMessages.bind(f.store);
    f.store.getMessages = (accountId, ids, opts) => {
      asked.push(opts?.mailboxIds);
      return getMessages(accountId, ids, opts);
    };
    const set = async (patch: Record<string, unknown>) =>
      (await f.api([["Email/set", { accountId: f.alice.id, update: { [m!.id]: patch } }, "0"]]))
        .methodResponses[0]![1];
    assert.deepEqual(Object.keys((await set({ "keywords/$flagged": true })).updated as object), [m!.id]);
    assert.deepEqual(asked, [false]);
    assert.deepEqual(Object.keys((await set({ [`mailboxIds/${archive.id}`]: true })).updated as object), [
      m!.id,
    ]);
    assert.notEqual(asked[1], false);
    const [after] = await getMessages(f.alice.id, [m!.id]);
    assert.deepEqual(after!.mailboxIds.slice().sort(), [inbox.id, archive.id].sort());
    assert.deepEqual(after!.keywords, ["$flagged"]);
  } finally {
    await f.close();
  }
});
