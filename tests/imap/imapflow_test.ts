/**
 * imapflow 2.1.2 (what many Node.js mail apps use) against Tern over STARTTLS.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { setupImap } from "./_imap_client.ts";

const MSG = "From: Ada <ada@example.org>\r\nTo: u@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n" +
  "Message-ID: <flow1@example.org>\r\n\r\nhello from imapflow\r\n";

Deno.test("imapflow logs in over STARTTLS, lists, fetches, appends, flags, searches, moves and idles", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG);
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user: "u@example.org", pass: "s3cret pass" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    await client.connect();
    assert.equal(client.secureConnection, true);
    assert.ok(client.capabilities.has("IMAP4REV2") || client.capabilities.has("IMAP4rev2"));
    const boxes = await client.list();
    assert.deepEqual(boxes.map((b) => b.path).sort(), [
      "Archive",
      "Drafts",
      "INBOX",
      "Junk",
      "Sent",
      "Trash",
    ]);
    assert.equal(boxes.find((b) => b.path === "Sent")?.specialUse, "\\Sent");
    const lock = await client.getMailboxLock("INBOX");
    try {
      const msgs = [];
      for await (
        const m of client.fetch("1:*", {
          uid: true,
          flags: true,
          envelope: true,
          bodyStructure: true,
          source: true,
        })
      ) {
        msgs.push(m);
      }
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.envelope?.subject, "café");
      assert.equal(msgs[0]!.envelope?.from?.[0]?.address, "ada@example.org");
      assert.equal(msgs[0]!.bodyStructure?.type, "text/plain");
      assert.equal(new TextDecoder().decode(msgs[0]!.source), MSG);
      const appended = await client.append("INBOX", "Subject: two\r\n\r\nsecond\r\n", ["\\Seen"]);
      assert.ok(appended && appended.uid === 2);
      await client.messageFlagsAdd({ uid: "1" }, ["\\Flagged", "$Forwarded"], { uid: true });
      const flagged = await client.search({ flagged: true }, { uid: true });
      assert.deepEqual(flagged, [1]);
      const unseen = await client.search({ seen: false });
      assert.deepEqual(unseen, [1]);
      const bySubject = await client.search({ subject: "two" }, { uid: true });
      assert.deepEqual(bySubject, [2]);
      const moved = await client.messageMove("2", "Archive", { uid: true });
      assert.ok(moved && moved.uidMap?.get(2) === 1);
      const st = await client.status("Archive", { messages: true, unseen: true });
      assert.ok(st);
      assert.equal(st.messages, 1);
      assert.equal(st.unseen, 0);
      // IDLE: a delivery shows up as an "exists" event.
      const exists = new Promise<number>((resolve) =>
        client.on("exists", (d: { count: number }) => resolve(d.count))
      );
      const idling = client.idle();
      await t.deliver(user, "Subject: three\r\n\r\nthird\r\n");
      assert.equal(await exists, 2);
      await client.noop();
      await idling;
    } finally {
      lock.release();
    }
    await client.mailboxCreate("Projects/Tern");
    await client.mailboxRename("Projects/Tern", "Projects/Mail");
    const after = await client.list();
    assert.ok(after.some((b) => b.path === "Projects/Mail"));
    await client.logout();
  } finally {
    client.close();
    await t.close();
  }
});
