/**
 * imapflow 2.1.2 as a grantee of a shared mailbox: it finds the other-users namespace, lists the
 * shared mailbox, opens it read-only, reads the owner's message, and its flag change and append are
 * refused by the rights while the owner's mailbox stays as it was.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { RawImap, setupImap } from "./_imap_client.ts";

const MSG = "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: plans\r\n" +
  "Message-ID: <acl-flow@example.org>\r\n\r\nshared with bob\r\n";
const SHARED = "Other Users/alice@example.org/Projects";

Deno.test("imapflow as a grantee lists, opens read-only and reads a shared mailbox, and cannot change it", async () => {
  const { t, port } = await setupImap();
  await t.addUser("alice@example.org", "s3cret pass");
  await t.addUser("bob@example.org", "s3cret pass");
  const alice = await RawImap.connect(port);
  await alice.login("alice@example.org");
  for (
    const c of [
      "CREATE Projects",
      `APPEND Projects {${MSG.length}+}\r\n${MSG}`,
      "SETACL Projects bob@example.org lr",
    ]
  ) {
    assert.match((await alice.cmd(c)).at(-1)!, /^TAG OK/, c);
  }
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user: "bob@example.org", pass: "s3cret pass" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    await client.connect();
    assert.ok(client.capabilities.has("ACL"));
    const boxes = await client.list();
    const shared = boxes.find((b) => b.path === SHARED);
    assert.ok(shared, boxes.map((b) => b.path).join(", "));
    const mailbox = await client.mailboxOpen(SHARED);
    assert.equal(mailbox.readOnly, true);
    assert.equal(mailbox.exists, 1);
    const msg = await client.fetchOne("1", { source: true, flags: true });
    assert.ok(msg && new TextDecoder().decode(msg.source).includes("shared with bob"));
    assert.equal(await client.messageFlagsAdd("1", ["\\Flagged"]), false);
    await client.mailboxClose();
    await assert.rejects(client.append(SHARED, MSG));
  } finally {
    await client.logout().catch(() => {});
  }
  try {
    const r = await alice.cmd("STATUS Projects (MESSAGES)");
    assert.equal(r[0], "* STATUS Projects (MESSAGES 1)");
    assert.match((await alice.cmd("SELECT Projects")).join("\n"), /\* 1 EXISTS/);
    assert.equal((await alice.cmd("FETCH 1 (FLAGS)"))[0], "* 1 FETCH (FLAGS (\\Recent))");
  } finally {
    alice.close();
    await t.close();
  }
});
