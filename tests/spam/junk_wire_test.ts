/**
 * The junk filter end to end on a real server with `[spam] enabled`: the user trains it with
 * imapflow (MOVE to Junk, `$NotJunk`) and with JMAP Email/set (mailboxIds into and out of Junk,
 * `$NotJunk`); a similar message then sent with Python's smtplib is filed to Junk with
 * `X-Spam-Score`/`X-Spam-Status`, a ham-like one stays in the Inbox; reversing the training takes
 * it back, and the same spam-like message then stays in the Inbox.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { python } from "../support/line_client.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { junkTrainerOf } from "../../core/spam/trainer.ts";
import type { Account } from "../../core/store/types.ts";

const SEND = `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail(sys.argv[2], [sys.argv[3]], sys.argv[4].encode())
s.quit()`;

let n = 0;
function msg(subject: string, body: string): string {
  n++;
  return `From: sender${n}@example.net\r\nTo: u@example.org\r\nSubject: ${subject}\r\n` +
    `Date: Sun, 06 Dec 2026 10:00:0${n % 10} +0000\r\nMessage-ID: <junk-${n}@example.net>\r\n\r\n${body}\r\n`;
}
const SPAM = [
  msg(
    "Cheap pills casino bonus",
    "Winner! Claim your casino bonus now, cheap pills, viagra, lottery prize unclaimed.",
  ),
  msg(
    "Lottery winner bonus",
    "Unclaimed lottery prize: casino jackpot, cheap viagra pills, claim the bonus today.",
  ),
];
const HAM = [
  msg(
    "Project meeting notes",
    "Hi team, the quarterly project meeting notes and the budget spreadsheet are attached.",
  ),
  msg(
    "Meeting agenda budget",
    "Hello, agenda for the project meeting: budget review, quarterly roadmap, team notes.",
  ),
];
// It claims a verdict of its own, which the server removes.
const NEW_SPAM = "X-Spam-Status: No, score=-50.0\r\n" + msg(
  "Casino bonus winner",
  "Claim your unclaimed casino jackpot bonus: cheap pills, lottery prize winner.",
);
const NEW_HAM = msg(
  "Quarterly budget meeting",
  "Hi team, notes from the project meeting and the quarterly budget review.",
);

async function jmap(t: TestServer, calls: unknown[]): Promise<[string, Record<string, unknown>, string][]> {
  const res = await fetch(`http://127.0.0.1:${t.port("http")}/jmap/api`, {
    method: "POST",
    headers: {
      authorization: "Basic " + btoa("u@example.org:s3cret pass"),
      "content-type": "application/json",
    },
    body: JSON.stringify({
      using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
      methodCalls: calls,
    }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).methodResponses;
}

async function where(t: TestServer, user: Account, subject: string): Promise<{ box: string; raw: string }> {
  const store = t.srv.context.store;
  for (const box of await store.listMailboxes(user.id)) {
    for (const p of await store.listPlacements(user.id, box.id)) {
      const raw = new TextDecoder().decode((await store.readMessage(user.id, p.messageId))!);
      if (raw.includes(`Subject: ${subject}\r\n`)) return { box: box.name, raw };
    }
  }
  throw new Error(`${subject} not found`);
}

Deno.test("junk filter: trained by IMAP MOVE and JMAP Email/set, a similar SMTP message lands in Junk with X-Spam headers; $NotJunk and moving out untrain", async () => {
  const t = await startTestServer({ spam: { enabled: true } });
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: t.port("imap"),
    secure: false,
    auth: { user: "u@example.org", pass: "s3cret pass" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    const user = await t.addUser("u@example.org", "s3cret pass");
    const store = t.srv.context.store;
    const ids = [];
    for (const m of [...SPAM, ...HAM]) ids.push(await t.deliver(user, m));
    const trainer = junkTrainerOf(t.srv.context);
    assert.ok(trainer, "the trainer runs with [spam] enabled");
    const junkId = (await store.getMailboxByRole(user.id, "junk"))!.id;
    const inboxId = (await store.getMailboxByRole(user.id, "inbox"))!.id;
    // Delivering into the Inbox trains nothing.
    await trainer.idle();
    assert.deepEqual(await store.junkTokens!.totals(user.id), { spam: 0, ham: 0 });

    await client.connect();
    await client.mailboxOpen("INBOX");
    // imapflow: spam 1 moved to Junk (RFC 6851 MOVE), ham 2 flagged $NotJunk.
    assert.ok(await client.messageMove("1", "Junk", { uid: true }));
    assert.ok(await client.messageFlagsAdd("4", ["$NotJunk"], { uid: true }));
    // JMAP: spam 2 moved to Junk by its mailboxIds, ham 1 given $NotJunk.
    const set = await jmap(t, [[
      "Email/set",
      {
        accountId: user.id,
        update: { [ids[1]!]: { mailboxIds: { [junkId]: true } }, [ids[2]!]: { "keywords/$NotJunk": true } },
      },
      "0",
    ]]);
    assert.deepEqual(Object.keys(set[0]![1].updated as object).sort(), [ids[1], ids[2]].sort());
    await trainer.idle();
    assert.deepEqual(await store.junkTokens!.totals(user.id), { spam: 2, ham: 2 });

    await python(SEND, [String(t.port("smtp")), "x@example.net", "u@example.org", NEW_SPAM]);
    await python(SEND, [String(t.port("smtp")), "y@example.net", "u@example.org", NEW_HAM]);
    const spam = await where(t, user, "Casino bonus winner");
    assert.equal(spam.box, "Junk");
    assert.match(
      spam.raw,
      /^Return-Path: <x@example\.net>\r\nX-Spam-Score: \d+\.\d\r\nX-Spam-Status: Yes, score=/,
    );
    assert.match(spam.raw, /tests=[^\r]*BAYES_9\d/);
    assert.equal(spam.raw.match(/^X-Spam-Status:/gm)?.length, 1, "the sender's X-Spam-Status is gone");
    const ham = await where(t, user, "Quarterly budget meeting");
    assert.equal(ham.box, "Inbox");
    assert.match(ham.raw, /\r\nX-Spam-Status: No, score=-?\d+\.\d required=5\.0 tests=[^\r]*BAYES_0\d/);
    // The filter's own filing to Junk is not training.
    await trainer.idle();
    assert.deepEqual(await store.junkTokens!.totals(user.id), { spam: 2, ham: 2 });

    // Reversals: $NotJunk on spam 1 in Junk (imapflow), spam 2 moved back to the Inbox (JMAP).
    await client.mailboxOpen("Junk");
    const junkUid = await client.search({ header: { subject: "Cheap pills casino bonus" } }, { uid: true });
    assert.ok(junkUid && junkUid.length === 1);
    assert.ok(await client.messageFlagsAdd(String(junkUid[0]), ["$NotJunk"], { uid: true }));
    await jmap(t, [["Email/set", {
      accountId: user.id,
      update: { [ids[1]!]: { mailboxIds: { [inboxId]: true } } },
    }, "0"]]);
    await trainer.idle();
    assert.deepEqual(await store.junkTokens!.totals(user.id), { spam: 0, ham: 4 });
    const blobs = (await store.getMessages(user.id, [ids[0]!, ids[1]!])).map((m) => m.blobId);
    assert.deepEqual(
      await store.junkTokens!.marks(user.id, blobs),
      new Map([[blobs[0]!, "ham"], [blobs[1]!, "ham"]]),
    );

    // Now the same kind of message is ham to this user.
    const again = NEW_SPAM.replace("Subject: Casino bonus winner", "Subject: Casino bonus winner again");
    await python(SEND, [String(t.port("smtp")), "x@example.net", "u@example.org", again]);
    const later = await where(t, user, "Casino bonus winner again");
    assert.equal(later.box, "Inbox");
    assert.match(later.raw, /X-Spam-Status: No,/);
  } finally {
    await client.logout().catch(() => {});
    await t.close();
  }
});

Deno.test("junk filter: COPY into Junk then \\Deleted + EXPUNGE trains as spam, and the same back out of Junk untrains (imapflow)", async () => {
  const t = await startTestServer({ spam: { enabled: true } });
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: t.port("imap"),
    secure: false,
    auth: { user: "u@example.org", pass: "s3cret pass" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    const user = await t.addUser("u@example.org", "s3cret pass");
    const store = t.srv.context.store;
    await t.deliver(user, SPAM[0]!);
    const trainer = junkTrainerOf(t.srv.context)!;
    await client.connect();
    await client.mailboxOpen("INBOX");
    // No MOVE: COPY, then STORE +FLAGS (\Deleted) and UID EXPUNGE of the original.
    assert.ok(await client.messageCopy("1", "Junk", { uid: true }));
    assert.ok(await client.messageDelete("1", { uid: true }));
    await trainer.idle();
    assert.deepEqual(await store.junkTokens!.totals(user.id), { spam: 1, ham: 0 });
    await client.mailboxOpen("Junk");
    assert.ok(await client.messageCopy("1", "INBOX", { uid: true }));
    assert.ok(await client.messageDelete("1", { uid: true }));
    await trainer.idle();
    assert.deepEqual(await store.junkTokens!.totals(user.id), { spam: 0, ham: 1 });
  } finally {
    await client.logout().catch(() => {});
    await t.close();
  }
});

Deno.test("junk filter: one SMTP message to two accounts is filed by each account's own filter", async () => {
  const t = await startTestServer({ spam: { enabled: true } });
  try {
    const u = await t.addUser("u@example.org", "s3cret pass");
    const v = await t.addUser("v@example.org", "s3cret pass");
    const store = t.srv.context.store;
    // u moves both spam samples to Junk (the store call IMAP MOVE makes); v trains nothing.
    const inbox = (await store.getMailboxByRole(u.id, "inbox"))!.id;
    const junk = (await store.getMailboxByRole(u.id, "junk"))!.id;
    for (const m of SPAM) await t.deliver(u, m);
    await store.moveMessages(u.id, inbox, [1, 2], junk);
    await junkTrainerOf(t.srv.context)!.idle();
    assert.deepEqual(await store.junkTokens!.totals(u.id), { spam: 2, ham: 0 });
    const send = `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail("x@example.net", ["u@example.org", "v@example.org"], sys.argv[2].encode())
s.quit()`;
    await python(send, [String(t.port("smtp")), NEW_SPAM.replace("Casino bonus winner", "Casino for two")]);
    const atU = await where(t, u, "Casino for two");
    const atV = await where(t, v, "Casino for two");
    assert.equal(atU.box, "Junk");
    assert.equal(atV.box, "Inbox");
    // One shared copy: the header shows the highest score (u's).
    assert.match(atV.raw, /X-Spam-Status: Yes,/);
  } finally {
    await t.close();
  }
});
