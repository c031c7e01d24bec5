/**
 * NOTIFY (RFC 5465) on the wire: one connection watching every mailbox gets STATUS responses for
 * mailboxes other than the selected one as mail arrives, flags change and messages are expunged,
 * LIST responses for created, renamed and deleted mailboxes and for subscriptions, between
 * commands (no IDLE needed) and during IDLE; NOTIFY NONE stops them; errors per RFC 5465 §8.
 * Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

let appended = 0;

async function append(c: RawImap, box: string, flags = ""): Promise<void> {
  // Distinct content each time (see the report: an APPEND of the bytes of a message just expunged
  // elsewhere was seen failing NONEXISTENT under load).
  const m = `Subject: hi ${++appended}\r\n\r\nhello\r\n`;
  const r = await c.cmd(`APPEND ${box} (${flags}) {${enc.encode(m).length}+}\r\n${m}`);
  assert.match(r.at(-1)!, /^TAG OK/);
}

async function pair(): Promise<{ a: RawImap; b: RawImap; close: () => Promise<void> }> {
  const { t, port } = await setupImap();
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  await a.login();
  await b.login();
  return {
    a,
    b,
    close: async () => {
      a.close();
      b.close();
      await t.close();
    },
  };
}

/**
 * Reads untagged lines until `count` have arrived (no command sent: NOTIFY pushes them), with the
 * values of UIDVALIDITY and HIGHESTMODSEQ (the server's own) as `*`.
 */
async function pushed(c: RawImap, count: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    out.push((await c.c.read())!.replace(/(UIDVALIDITY|HIGHESTMODSEQ) \d+/g, "$1 *"));
  }
  return out;
}

Deno.test("NOTIFY is advertised; SET STATUS answers the watched mailboxes' STATUS at once", async () => {
  const { a, b, close } = await pair();
  try {
    assert.ok((await a.cmd("CAPABILITY"))[0]!.split(" ").includes("NOTIFY"));
    assert.match((await b.cmd("CREATE Work")).at(-1)!, /^TAG OK/);
    await append(b, "INBOX");
    // The account's other mailboxes (Sent, Drafts…) are not named: only INBOX and Work answer.
    const r = await a.cmd("NOTIFY SET STATUS (MAILBOXES (INBOX Work) (MessageNew MessageExpunge))");
    assert.equal(r.length, 3);
    assert.match(r[0]!, /^\* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$/);
    assert.match(r[1]!, /^\* STATUS Work \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)$/);
    assert.equal(r[2], "TAG OK NOTIFY completed");
  } finally {
    await close();
  }
});

Deno.test("NOTIFY SET STATUS with FlagChange enables CONDSTORE: HIGHESTMODSEQ for the selected mailbox and in every STATUS", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await b.cmd("CREATE Work")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    const r = await a.cmd("NOTIFY SET STATUS (MAILBOXES Work (MessageNew MessageExpunge FlagChange))");
    // RFC 7162 §3.1: as STATUS (HIGHESTMODSEQ) would, the SET's STATUS enabled CONDSTORE.
    assert.equal(r.length, 3);
    assert.match(r[0]!, /^\* OK \[HIGHESTMODSEQ \d+\] Highest$/);
    assert.match(
      r[1]!,
      /^\* STATUS Work \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0 HIGHESTMODSEQ \d+\)$/,
    );
    assert.equal(r[2], "TAG OK NOTIFY completed");
    await append(b, "Work");
    assert.deepEqual(await pushed(a, 1), [
      "* STATUS Work (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1 HIGHESTMODSEQ *)",
    ]);
  } finally {
    await close();
  }
});

Deno.test("a NOTIFY connection gets STATUS for other mailboxes between commands, without IDLE", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await b.cmd("CREATE Work")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("SELECT Work")).at(-1)!, /^TAG OK/);
    // Without STATUS, FlagChange leaves CONDSTORE off (no HIGHESTMODSEQ below either).
    assert.deepEqual(
      await a.cmd(
        "NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (PERSONAL (MessageNew MessageExpunge FlagChange))",
      ),
      ["TAG OK NOTIFY completed"],
    );
    await append(b, "INBOX");
    assert.deepEqual(await pushed(a, 1), [
      "* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1)",
    ]);
    assert.match((await b.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.match((await b.cmd("STORE 1 +FLAGS.SILENT (\\Seen \\Deleted)")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(a, 1), ["* STATUS INBOX (UNSEEN 0)"]);
    assert.match((await b.cmd("EXPUNGE")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(a, 1), [
      "* STATUS INBOX (MESSAGES 0 UIDNEXT 2 UIDVALIDITY * UNSEEN 0)",
    ]);
    // The selected mailbox (SELECTED): EXISTS, not STATUS.
    await append(b, "Work");
    assert.deepEqual(await pushed(a, 2), ["* 1 EXISTS", "* 1 RECENT"]);
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    await close();
  }
});

Deno.test("NOTIFY reports created, renamed and deleted mailboxes and subscription changes as LIST", async () => {
  const { a, b, close } = await pair();
  try {
    assert.deepEqual(await a.cmd("NOTIFY SET (PERSONAL (MailboxName SubscriptionChange))"), [
      "TAG OK NOTIFY completed",
    ]);
    assert.match((await b.cmd("CREATE New")).at(-1)!, /^TAG OK/);
    // CREATE subscribes the new mailbox.
    assert.deepEqual(await pushed(a, 1), ['* LIST (\\Subscribed) "/" New']);
    assert.match((await b.cmd("RENAME New Newer")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(a, 1), ['* LIST () "/" Newer ("OLDNAME" (New))']);
    assert.match((await b.cmd("UNSUBSCRIBE Newer")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(a, 1), ['* LIST () "/" Newer']);
    assert.match((await b.cmd("DELETE Newer")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(a, 1), ['* LIST (\\NonExistent) "/" Newer']);
  } finally {
    await close();
  }
});

Deno.test("one IDLE connection watching every mailbox hears of new mail in any of them", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await b.cmd("CREATE Lists/Deno")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.match(
      (await a.cmd(
        "NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (SUBTREE Lists (MessageNew MessageExpunge))",
      )).at(-1)!,
      /^TAG OK/,
    );
    await a.c.line("i1 IDLE");
    assert.equal(await a.c.read(), "+ idling");
    await append(b, "Lists/Deno");
    assert.deepEqual(await pushed(a, 1), [
      "* STATUS Lists/Deno (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1)",
    ]);
    await append(b, "INBOX");
    assert.deepEqual(await pushed(a, 2), ["* 1 EXISTS", "* 1 RECENT"]);
    await a.c.line("DONE");
    assert.equal((await a.until("i1")).at(-1), "TAG OK IDLE terminated");
  } finally {
    await close();
  }
});

Deno.test("NOTIFY NONE stops notifications; a mailbox outside every group is not reported", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await b.cmd("CREATE Work")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("NOTIFY SET (MAILBOXES Work (MessageNew MessageExpunge))")).at(-1)!, /^TAG OK/);
    await append(b, "INBOX");
    await append(b, "Work");
    assert.deepEqual(await pushed(a, 1), ["* STATUS Work (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1)"]);
    assert.deepEqual(await a.cmd("NOTIFY NONE"), ["TAG OK NOTIFY completed"]);
    await append(b, "Work");
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    await close();
  }
});

Deno.test("without a SELECTED group, or after NOTIFY NONE, nothing is told of the selected mailbox, in IDLE or at NOOP, until SELECTED asks", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await b.cmd("CREATE Work")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    // RFC 5465 §6: only SELECTED names the selected mailbox's messages; INBOXES is PERSONAL here
    // (any mailbox may be delivered to), so it covers Work.
    assert.deepEqual(await a.cmd("NOTIFY SET (INBOXES (MessageNew MessageExpunge))"), [
      "TAG OK NOTIFY completed",
    ]);
    await a.c.line("i1 IDLE");
    assert.equal(await a.c.read(), "+ idling");
    await append(b, "INBOX");
    await append(b, "Work");
    // An EXISTS for INBOX would come first: it changed first and is told before other mailboxes.
    assert.deepEqual(await pushed(a, 1), ["* STATUS Work (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1)"]);
    await a.c.line("DONE");
    assert.deepEqual(await a.until("i1"), ["TAG OK IDLE terminated"]);
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
    // RFC 5465 §3.1: NOTIFY NONE asks for nothing at all, the selected mailbox's updates included.
    assert.deepEqual(await a.cmd("NOTIFY NONE"), ["TAG OK NOTIFY completed"]);
    await append(b, "INBOX");
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
    // Once SELECTED asks for them, the client learns of the messages.
    assert.deepEqual(await a.cmd("NOTIFY SET (SELECTED (MessageNew MessageExpunge))"), [
      "* 2 EXISTS",
      "* 2 RECENT",
      "TAG OK NOTIFY completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("NOTIFY SELECTED without FlagChange sends no FETCH for flags changed elsewhere, only EXISTS", async () => {
  const { a, b, close } = await pair();
  try {
    await append(b, "INBOX");
    // IMAP4rev2: no \Recent, whose claim would race with the writer's session.
    assert.match((await a.cmd("ENABLE IMAP4rev2")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await a.cmd("NOTIFY SET (SELECTED (MessageNew MessageExpunge))"), [
      "TAG OK NOTIFY completed",
    ]);
    assert.match((await b.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.match((await b.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)")).at(-1)!, /^TAG OK/);
    await append(b, "INBOX");
    // RFC 5465 §5.1: a FETCH for the flag change would come before the later message's EXISTS.
    assert.deepEqual(await pushed(a, 1), ["* 2 EXISTS"]);
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
    assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Flagged))",
      "TAG OK FETCH completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("NOTIFY refuses bad event groups (BAD) and events it does not send (NO [BADEVENT])", async () => {
  const { a, close } = await pair();
  try {
    assert.deepEqual(
      await a.cmd("NOTIFY SET (INBOXES (MessageNew MessageExpunge AnnotationChange FlagChange))"),
      [
        "TAG NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)] Unsupported NOTIFY events",
      ],
    );
    assert.deepEqual(await a.cmd("NOTIFY SET (INBOXES (MessageNew MessageExpunge Foo))"), [
      "TAG BAD Unknown event Foo",
    ]);
    assert.deepEqual(
      await a.cmd(
        "NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (SELECTED-DELAYED (MessageNew MessageExpunge))",
      ),
      [
        "TAG BAD Duplicate selected filter",
      ],
    );
    assert.deepEqual(await a.cmd("NOTIFY SET (PERSONAL (MessageNew))"), [
      "TAG BAD MessageNew and MessageExpunge go together",
    ]);
    assert.deepEqual(await a.cmd("NOTIFY SET (PERSONAL (FlagChange))"), [
      "TAG BAD FlagChange needs MessageNew and MessageExpunge",
    ]);
    assert.deepEqual(await a.cmd("NOTIFY GET"), ["TAG BAD Expected SET or NONE"]);
  } finally {
    await close();
  }
});

Deno.test("under NOTIFY SELECTED an expunge in the selected mailbox is pushed between commands", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.match(
      (await a.cmd("NOTIFY SET (SELECTED (MessageNew MessageExpunge FlagChange))")).at(-1)!,
      /^TAG OK/,
    );
    await append(b, "INBOX");
    assert.deepEqual(await pushed(a, 2), ["* 1 EXISTS", "* 1 RECENT"]);
    assert.match((await b.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.match((await b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")).at(-1)!, /^TAG OK/);
    assert.match((await b.cmd("EXPUNGE")).at(-1)!, /^TAG OK/);
    // A FETCH for the flag change may come first, depending on how the changes are batched.
    let line = await a.c.read();
    while (line !== null && line.includes(" FETCH ")) line = await a.c.read();
    assert.equal(line, "* 1 EXPUNGE");
    assert.deepEqual(await pushed(a, 1), ["* 0 RECENT"]);
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    await close();
  }
});

Deno.test("NOTIFY SELECTED (MessageNew (fetch-att)) pushes each new message's FETCH with those attributes after EXISTS, and never sets \\Seen", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    // RFC 5465 §8: fetch attributes only for the selected mailbox; none that would set \Seen.
    assert.deepEqual(await a.cmd("NOTIFY SET (PERSONAL (MessageNew (UID) MessageExpunge))"), [
      "TAG BAD MessageNew fetch attributes are for SELECTED or SELECTED-DELAYED only",
    ]);
    assert.deepEqual(await a.cmd("NOTIFY SET (SELECTED (MessageNew (BODY[]) MessageExpunge))"), [
      "TAG BAD MessageNew fetch attributes must not set \\Seen",
    ]);
    assert.deepEqual(
      await a.cmd("NOTIFY SET (SELECTED (MessageNew (UID BOGUS) MessageExpunge))").then((r) => r.length),
      1,
    );
    assert.deepEqual(
      await a.cmd(
        "NOTIFY SET (SELECTED (MessageNew (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge))",
      ),
      ["TAG OK NOTIFY completed"],
    );
    await append(b, "INBOX");
    const subject = `Subject: hi ${appended}\r\n\r\n`;
    assert.deepEqual(await pushed(a, 3), [
      "* 1 EXISTS",
      "* 1 RECENT",
      `* 1 FETCH (UID 1 FLAGS (\\Recent) BODY[HEADER.FIELDS (SUBJECT)] {${subject.length}}`,
    ]);
    assert.deepEqual(await pushed(a, 3), [`Subject: hi ${appended}`, "", ")"]);
    assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Recent))",
      "TAG OK FETCH completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("NOTIFY MailboxMetadataChange and ServerMetadataChange push unsolicited METADATA responses for entries changed elsewhere, only for the mailboxes the group names", async () => {
  const { a, b, close } = await pair();
  try {
    assert.match((await b.cmd("CREATE Work")).at(-1)!, /^TAG OK/);
    assert.deepEqual(
      await a.cmd("NOTIFY SET (MAILBOXES INBOX (MailboxMetadataChange ServerMetadataChange))"),
      ["TAG OK NOTIFY completed"],
    );
    // Work is in no group: its change is not told; INBOX's and the server's are (RFC 5464 §4.4.2).
    assert.match((await b.cmd('SETMETADATA Work (/shared/comment "w")')).at(-1)!, /^TAG OK/);
    assert.match(
      (await b.cmd('SETMETADATA INBOX (/shared/comment "hello" /private/x "y")')).at(-1)!,
      /^TAG OK/,
    );
    assert.deepEqual(await pushed(a, 1), ["* METADATA INBOX /shared/comment /private/x"]);
    assert.match((await b.cmd('SETMETADATA "" (/private/comment "server")')).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(a, 1), ['* METADATA "" /private/comment']);
    assert.deepEqual(await a.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    await close();
  }
});

Deno.test("NOTIFY SUBTREE of another user's namespace covers the mailboxes shared with the user: STATUS and /shared METADATA need r, nothing for mailboxes without rights", async () => {
  const { t, port } = await setupImap();
  await t.addUser("alice@example.org", "s3cret pass");
  await t.addUser("bob@example.org", "s3cret pass");
  const alice = await RawImap.connect(port);
  const bob = await RawImap.connect(port);
  try {
    await alice.login("alice@example.org");
    await bob.login("bob@example.org");
    for (const c of ["CREATE Team", "CREATE Listed", "CREATE Private"]) {
      assert.match((await alice.cmd(c)).at(-1)!, /^TAG OK/);
    }
    assert.match((await alice.cmd("SETACL Team bob@example.org lr")).at(-1)!, /^TAG OK/);
    assert.match((await alice.cmd("SETACL Listed bob@example.org l")).at(-1)!, /^TAG OK/);
    const r = await bob.cmd(
      'NOTIFY SET STATUS (SUBTREE "Other Users/alice@example.org" (MessageNew MessageExpunge MailboxName MailboxMetadataChange))',
    );
    // SET STATUS: only the mailbox Bob may read has its counts told.
    assert.equal(r.length, 2);
    assert.match(
      r[0]!,
      /^\* STATUS "Other Users\/alice@example\.org\/Team" \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)$/,
    );
    // New mail in Private (no right) and Listed (lookup only) is not told; in Team it is.
    await append(alice, "Private");
    await append(alice, "Listed");
    await append(alice, "Team");
    assert.deepEqual(await pushed(bob, 1), [
      '* STATUS "Other Users/alice@example.org/Team" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1)',
    ]);
    // A rename of a watched mailbox is told with its old name.
    assert.match((await alice.cmd("RENAME Team Crew")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await pushed(bob, 1), [
      '* LIST () "/" "Other Users/alice@example.org/Crew" ("OLDNAME" ("Other Users/alice@example.org/Team"))',
    ]);
    // METADATA: Listed's /shared entry needs r (Bob has only l); Alice's /private entry is hers.
    assert.match((await alice.cmd('SETMETADATA Listed (/shared/comment "x")')).at(-1)!, /^TAG OK/);
    assert.match(
      (await alice.cmd('SETMETADATA Crew (/shared/comment "y" /private/z "p")')).at(-1)!,
      /^TAG OK/,
    );
    assert.deepEqual(await pushed(bob, 1), [
      '* METADATA "Other Users/alice@example.org/Crew" /shared/comment',
    ]);
    assert.deepEqual(await bob.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    alice.close();
    bob.close();
    await t.close();
  }
});

Deno.test("NOTIFY SUBSCRIBED covers the shared mailboxes the user subscribed to, and only those", async () => {
  const { t, port } = await setupImap();
  await t.addUser("alice@example.org", "s3cret pass");
  await t.addUser("bob@example.org", "s3cret pass");
  const alice = await RawImap.connect(port);
  const bob = await RawImap.connect(port);
  try {
    await alice.login("alice@example.org");
    await bob.login("bob@example.org");
    for (
      const c of [
        "CREATE Team",
        "CREATE Other",
        "SETACL Team bob@example.org lr",
        "SETACL Other bob@example.org lr",
      ]
    ) {
      assert.match((await alice.cmd(c)).at(-1)!, /^TAG OK/);
    }
    assert.match((await bob.cmd('SUBSCRIBE "Other Users/alice@example.org/Team"')).at(-1)!, /^TAG OK/);
    assert.deepEqual(await bob.cmd("NOTIFY SET (SUBSCRIBED (MessageNew MessageExpunge))"), [
      "TAG OK NOTIFY completed",
    ]);
    await append(alice, "Other");
    await append(alice, "Team");
    assert.deepEqual(await pushed(bob, 1), [
      '* STATUS "Other Users/alice@example.org/Team" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY * UNSEEN 1)',
    ]);
    assert.deepEqual(await bob.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    alice.close();
    bob.close();
    await t.close();
  }
});
