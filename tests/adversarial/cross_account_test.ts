/**
 * No cross-account access. Over JMAP, alice names bob's ids and account everywhere an id goes
 * (Email/get, Mailbox/get, Email/set, Email/import, Email/copy, the accountId of a call, blob
 * download and upload paths) and gets only notFound / accountNotFound / 404, never bob's data.
 * Over IMAP, names that point elsewhere on other servers (`bob@example.org/INBOX`, `#users/bob`,
 * `../bob`, `~bob`, `Other Users/bob`) do not exist for SELECT, EXAMINE, STATUS and COPY; CREATE of
 * such a name makes a mailbox in alice's own tree, which bob never sees.
 */
import assert from "node:assert/strict";
import { type AttackEnv, PASSWORDS, readTagged, startAttackEnv } from "./_env.ts";
import { LineClient } from "../support/line_client.ts";

const SECRET = "bob-secret-subject-4711";
const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];
type Call = [string, Record<string, unknown>, string];

async function api(env: AttackEnv, who: "alice" | "bob", calls: Call[]): Promise<Call[]> {
  const r = await fetch(`${env.http}/jmap/api`, {
    method: "POST",
    headers: { authorization: env.basic(who), "content-type": "application/json" },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  assert.equal(r.status, 200);
  const body = await r.json() as { methodResponses: Call[] };
  if (who === "alice") {
    assert.doesNotMatch(JSON.stringify(body), new RegExp(SECRET), "bob's data never reaches alice");
  }
  return body.methodResponses;
}

async function accountId(env: AttackEnv, who: "alice" | "bob"): Promise<string> {
  const r = await fetch(`${env.http}/jmap/session`, { headers: { authorization: env.basic(who) } });
  const s = await r.json() as { primaryAccounts: Record<string, string>; accounts: Record<string, unknown> };
  assert.equal(Object.keys(s.accounts).length, 1, "a session lists only its own account");
  return s.primaryAccounts["urn:ietf:params:jmap:mail"]!;
}

/** Starts the server and gives bob a message with a recognisable subject. */
async function withBobsMessage(): Promise<AttackEnv> {
  const env = await startAttackEnv();
  const store = env.t.srv.context.store;
  const inbox = await store.getMailboxByRole(env.bob.id, "inbox");
  const { blobId } = await store.blobs.put(
    new TextEncoder().encode(
      `From: carol@example.net\r\nSubject: ${SECRET}\r\nMessage-ID: <s@x>\r\n\r\nsecret\r\n`,
    ),
  );
  await store.addMessages([{ accountId: env.bob.id, mailboxIds: [inbox!.id], blobId }]);
  return env;
}

Deno.test("cross-account JMAP: bob's ids and account give alice notFound, accountNotFound or 404", async () => {
  const env = await withBobsMessage();
  try {
    const alice = await accountId(env, "alice");
    const bob = await accountId(env, "bob");
    const [q, m, g] = await api(env, "bob", [
      ["Email/query", { accountId: bob }, "q"],
      ["Mailbox/get", { accountId: bob, ids: null, properties: ["id"] }, "m"],
      ["Email/get", { accountId: bob, "#ids": { resultOf: "q", name: "Email/query", path: "/ids" } }, "g"],
    ]);
    assert.equal((q![1].ids as string[]).length, 1);
    const emailId = ((g![1].list as { id: string; blobId: string }[])[0])!;
    const mailboxIds = (m![1].list as { id: string }[]).map((x) => x.id);

    const responses = await api(env, "alice", [
      ["Email/get", { accountId: alice, ids: [emailId.id], properties: ["subject"] }, "0"],
      ["Mailbox/get", { accountId: alice, ids: mailboxIds }, "1"],
      ["Email/set", { accountId: alice, update: { [emailId.id]: { keywords: { $seen: true } } } }, "2"],
      ["Email/set", { accountId: alice, destroy: [emailId.id] }, "3"],
      ["Email/import", {
        accountId: alice,
        emails: { i: { blobId: emailId.blobId, mailboxIds: { [mailboxIds[0]!]: true } } },
      }, "4"],
      ["Email/get", { accountId: bob, ids: [emailId.id] }, "5"],
      ["Mailbox/get", { accountId: bob, ids: null }, "6"],
      ["Email/query", { accountId: bob }, "7"],
      ["Email/copy", {
        fromAccountId: bob,
        accountId: alice,
        create: { c: { id: emailId.id, mailboxIds: {} } },
      }, "8"],
      ["Email/parse", { accountId: alice, blobIds: [emailId.blobId] }, "9"],
    ]);
    const [get, mbox, update, destroy, imp, ...rest] = responses;
    assert.deepEqual(get![1].list, []);
    assert.deepEqual(get![1].notFound, [emailId.id]);
    assert.deepEqual(mbox![1].list, []);
    assert.deepEqual([...(mbox![1].notFound as string[])].sort(), [...mailboxIds].sort());
    assert.equal((update![1].notUpdated as Record<string, { type: string }>)[emailId.id]!.type, "notFound");
    assert.equal(
      (destroy![1].notDestroyed as Record<string, { type: string }>)[emailId.id]!.type,
      "notFound",
    );
    assert.ok(imp![1].notCreated, JSON.stringify(imp));
    // RFC 8620 §3.6.2 accountNotFound; §5.4 fromAccountNotFound for the source of a copy.
    assert.deepEqual(rest.slice(0, 4).map((r) => [r[0], r[1].type]), [
      ["error", "accountNotFound"],
      ["error", "accountNotFound"],
      ["error", "accountNotFound"],
      ["error", "fromAccountNotFound"],
    ]);
    const parse = rest[4]!;
    assert.deepEqual(parse[1].notFound, [emailId.blobId], JSON.stringify(parse));

    // Blob download: bob's blob under alice's account, or under bob's account, is a 404.
    for (const path of [`${alice}/${emailId.blobId}/m.eml`, `${bob}/${emailId.blobId}/m.eml`]) {
      const r = await fetch(`${env.http}/jmap/download/${path}`, {
        headers: { authorization: env.basic("alice") },
      });
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(await r.text(), new RegExp(SECRET));
    }
    // Upload into bob's account.
    const up = await fetch(`${env.http}/jmap/upload/${bob}/`, {
      method: "POST",
      headers: { authorization: env.basic("alice"), "content-type": "text/plain" },
      body: "planted",
    });
    assert.equal(up.status, 404);
    await up.body?.cancel();
    // Bob's mailbox is untouched.
    const [after] = await api(env, "bob", [["Email/get", {
      accountId: bob,
      ids: [emailId.id],
      properties: ["keywords"],
    }, "0"]]);
    assert.deepEqual((after![1].list as { keywords: unknown }[])[0]!.keywords, {});
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("cross-account IMAP: other users' mailbox names do not exist for SELECT, EXAMINE, STATUS and COPY", async () => {
  const env = await withBobsMessage();
  const c = await LineClient.connect(env.port("imap"));
  try {
    await c.read();
    await c.line(`l LOGIN alice@example.org ${PASSWORDS.alice}`);
    assert.match((await readTagged(c, "l")).at(-1)!, /^l OK /);
    const names = [
      "bob@example.org/INBOX",
      "bob@example.org",
      "#users/bob/INBOX",
      "#shared/bob",
      "../bob/INBOX",
      "..",
      "~bob/INBOX",
      "~bob",
      "Other Users/bob/INBOX",
      "/INBOX",
    ];
    const got: string[] = [];
    for (const name of names) {
      for (const cmd of [`SELECT "${name}"`, `EXAMINE "${name}"`, `STATUS "${name}" (MESSAGES)`]) {
        await c.line(`t ${cmd}`);
        got.push(`${cmd} -> ${(await readTagged(c, "t")).at(-1)}`);
      }
    }
    assert.deepEqual(
      got.filter((l) => !/-> t NO \[NONEXISTENT\] Mailbox does not exist$/.test(l)),
      [],
    );
    // COPY and MOVE into such a name: nothing lands in bob's INBOX.
    await c.line(`a APPEND INBOX {24+}\r\nSubject: from alice\r\n\r\nx`);
    assert.match((await readTagged(c, "a")).at(-1)!, /^a OK /);
    await c.line("s SELECT INBOX");
    assert.match((await readTagged(c, "s")).at(-1)!, /^s OK /);
    for (const name of ["bob@example.org/INBOX", "~bob/INBOX", "../bob/INBOX", "#users/bob/INBOX"]) {
      await c.line(`k COPY 1 "${name}"`);
      assert.equal((await readTagged(c, "k")).at(-1), "k NO [TRYCREATE] Mailbox does not exist");
    }
    // CREATE of a look-alike name is alice's own mailbox.
    await c.line(`n CREATE "~bob"`);
    assert.match((await readTagged(c, "n")).at(-1)!, /^n OK /);
    await c.line(`k COPY 1 "~bob"`);
    assert.match((await readTagged(c, "k")).at(-1)!, /^k OK /);
    await c.line(`t STATUS "~bob" (MESSAGES)`);
    assert.deepEqual(await readTagged(c, "t"), ["* STATUS ~bob (MESSAGES 1)", "t OK STATUS completed"]);
    // Alice's view never shows bob's message.
    await c.line("f FETCH 1:* (ENVELOPE)");
    assert.doesNotMatch((await readTagged(c, "f")).join("\n"), new RegExp(SECRET));

    // Bob: one message in INBOX, no "~bob" mailbox.
    const b = await LineClient.connect(env.port("imap"));
    try {
      await b.read();
      await b.line(`l LOGIN bob@example.org ${PASSWORDS.bob}`);
      assert.match((await readTagged(b, "l")).at(-1)!, /^l OK /);
      await b.line(`t STATUS INBOX (MESSAGES)`);
      assert.deepEqual(await readTagged(b, "t"), ["* STATUS INBOX (MESSAGES 1)", "t OK STATUS completed"]);
      await b.line(`t LIST "" "*"`);
      assert.doesNotMatch((await readTagged(b, "t")).join("\n"), /~bob/);
    } finally {
      b.close();
    }
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});
