/**
 * Raw IMAP conversations with exact responses: literals and limits, BODYSTRUCTURE, partial fetches,
 * STORE, SEARCH/ESEARCH, COPY/MOVE with COPYUID, APPEND with APPENDUID, mailbox management.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const ALT = [
  "From: Ada <ada@example.org>",
  "To: u@example.org",
  "Subject: report",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "plain text",
  "--inner",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>html</p>",
  "--inner--",
  "",
  "--outer",
  'Content-Type: application/pdf; name="r.pdf"',
  'Content-Disposition: attachment; filename="r.pdf"',
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERi0=",
  "--outer--",
  "",
].join("\r\n");

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const SIMPLE = (n: number, subject: string) =>
  `From: b${n}@example.org\r\nTo: u@example.org\r\nSubject: ${subject}\r\n\r\nmessage ${n} body\r\n`;

Deno.test("imap BODYSTRUCTURE of multipart/alternative with an attachment, sections and partials", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, ALT);
  const c = await RawImap.connect(port);
  try {
    await c.login();
    await c.cmd("EXAMINE INBOX");
    const bs = await c.cmd("FETCH 1 BODYSTRUCTURE");
    // The line counts come from the MIME parser (core/mime); everything else is fixed here.
    assert.match(
      bs[0]!,
      new RegExp(
        "^" + escape('* 1 FETCH (BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 10 ') +
          "\\d+" +
          escape(' NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7BIT" 11 ') + "\\d+" +
          escape(
            ' NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)' +
              '("application" "pdf" ("name" "r.pdf") NIL NIL "BASE64" 8 NIL ("attachment" ("filename" "r.pdf")) NIL NIL) ' +
              '"mixed" ("boundary" "outer") NIL NIL NIL))',
          ) + "$",
      ),
    );
    const parts = await c.cmd(
      "FETCH 1 (BODY.PEEK[1.2] BODY.PEEK[2.MIME] BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[TEXT]<2.5>)",
    );
    assert.deepEqual(parts, [
      "* 1 FETCH (BODY[1.2] {11}",
      "<p>html</p> BODY[2.MIME] {133}",
      'Content-Type: application/pdf; name="r.pdf"',
      'Content-Disposition: attachment; filename="r.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      " BINARY[2] {5}",
      "%PDF- BINARY.SIZE[2] 5 BODY[TEXT]<2> {5}",
      "outer)",
      "TAG OK FETCH completed",
    ]);
    const hf = await c.cmd("FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject from)])");
    assert.deepEqual(hf, [
      "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {48}",
      "From: Ada <ada@example.org>",
      "Subject: report",
      "",
      ")",
      "TAG OK FETCH completed",
    ]);
    // EXAMINE is read-only: no implicit \Seen.
    const flags = await c.cmd("FETCH 1 (BODY[1.1] FLAGS)");
    assert.deepEqual(flags, [
      "* 1 FETCH (BODY[1.1] {10}",
      "plain text FLAGS (\\Recent))",
      "TAG OK FETCH completed",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap literals: synchronising continuation, LITERAL+, and the literal size limit", async () => {
  const { t, port } = await setupImap({ imap: { max_literal_size: 1000 } });
  const c = await RawImap.connect(port);
  try {
    // Before login only small literals are accepted, whatever the configured limit.
    await c.c.line("a0 LOGIN {9000}");
    assert.deepEqual(await c.until("a0"), ["TAG NO [TOOBIG] Literal too large"]);
    await c.c.line("a1 LOGIN {13}");
    assert.equal(await c.c.read(), "+ Ready for literal data");
    await c.c.line('u@example.org "s3cret pass"');
    assert.match((await c.until("a1"))[0]!, /^TAG OK \[CAPABILITY .*APPENDLIMIT=1000.*\] Logged in$/);
    const msg = SIMPLE(1, "lit");
    await c.c.send(`a2 APPEND INBOX (\\Flagged) "05-Jan-2026 10:00:00 +0100" {${msg.length}+}\r\n${msg}\r\n`);
    assert.match((await c.until("a2"))[0]!, /^TAG OK \[APPENDUID \d+ 1\] APPEND completed$/);
    await c.c.line("a3 APPEND INBOX {5000}");
    assert.deepEqual(await c.until("a3"), ["TAG NO [TOOBIG] Literal too large"]);
    await c.c.send(`a4 APPEND INBOX {2000+}\r\n${"x".repeat(2000)}\r\n`);
    assert.deepEqual(await c.until("a4"), ["TAG NO [TOOBIG] Literal too large"]);
    // The session survives both.
    const sel = await c.cmd("SELECT INBOX");
    assert.equal(sel[0], "* 1 EXISTS");
    const f = await c.cmd("FETCH 1 (FLAGS INTERNALDATE)");
    assert.equal(f[0], '* 1 FETCH (FLAGS (\\Flagged \\Recent) INTERNALDATE " 5-Jan-2026 09:00:00 +0000")');
    // A one-digit day without its space is taken, as Dovecot takes it; a day past 31 is BAD.
    await c.c.send(`a5 APPEND INBOX "7-Feb-2026 10:00:00 +0000" {${msg.length}+}\r\n${msg}\r\n`);
    assert.match((await c.until("a5"))[0]!, /^\* 2 EXISTS$/);
    assert.deepEqual(await c.cmd("FETCH 2 (INTERNALDATE)"), [
      '* 2 FETCH (INTERNALDATE " 7-Feb-2026 10:00:00 +0000")',
      "TAG OK FETCH completed",
    ]);
    await c.c.send(`a6 APPEND INBOX "32-Feb-2026 10:00:00 +0000" {${msg.length}+}\r\n${msg}\r\n`);
    assert.deepEqual(await c.until("a6"), ["TAG BAD Invalid date-time"]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap APPEND over quota answers NO [OVERQUOTA]", async () => {
  const { t, user, port } = await setupImap();
  await t.srv.context.store.updateAccount(user.id, { quotaBytes: 100 });
  const c = await RawImap.connect(port);
  try {
    await c.login();
    const msg = SIMPLE(1, "x".repeat(200));
    await c.c.send(`q1 APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
    assert.deepEqual(await c.until("q1"), ["TAG NO [OVERQUOTA] Quota exceeded"]);
    assert.deepEqual(await c.cmd("GETQUOTAROOT INBOX"), [
      '* QUOTAROOT INBOX ""',
      '* QUOTA "" (STORAGE 0 0)',
      "TAG OK GETQUOTAROOT completed",
    ]);
    assert.deepEqual(await c.cmd('SETQUOTA "" (STORAGE 10)'), [
      "TAG NO [NOPERM] Quotas are set by the administrator",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap STORE, SEARCH, ESEARCH and SEARCHRES", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 5; i++) await t.deliver(user, SIMPLE(i, i % 2 ? "odd one" : "even one"));
  const c = await RawImap.connect(port);
  try {
    await c.login();
    await c.cmd("SELECT INBOX");
    // Keywords new to the session are announced first (RFC 9051 §7.3.5); SELECT claimed \Recent.
    assert.deepEqual(await c.cmd("STORE 1:2 +FLAGS (\\Seen $Forwarded custom)"), [
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded custom)",
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded custom \\*)] Flags permitted",
      "* 1 FETCH (FLAGS (\\Seen \\Recent $Forwarded custom))",
      "* 2 FETCH (FLAGS (\\Seen \\Recent $Forwarded custom))",
      "TAG OK STORE completed",
    ]);
    assert.deepEqual(await c.cmd("UID STORE 2 -FLAGS.SILENT (custom)"), ["TAG OK STORE completed"]);
    assert.deepEqual(await c.cmd("SEARCH UNSEEN"), ["* SEARCH 3 4 5", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("SEARCH KEYWORD CUSTOM"), ["* SEARCH 1", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("SEARCH OR 1 NOT SEEN LARGER 10"), [
      "* SEARCH 1 3 4 5",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd('UID SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT "odd"'), [
      '* ESEARCH (TAG "a8") UID MIN 1 MAX 5 ALL 1,3,5 COUNT 3',
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH RETURN (SAVE) 2:4"), ["TAG OK SEARCH completed, result saved"]);
    assert.deepEqual(await c.cmd("FETCH $ (UID)"), [
      "* 2 FETCH (UID 2)",
      "* 3 FETCH (UID 3)",
      "* 4 FETCH (UID 4)",
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await c.cmd('SEARCH CHARSET X-NONESUCH SUBJECT "x"'), [
      "TAG NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap COPY and MOVE with COPYUID, EXPUNGE", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 4; i++) await t.deliver(user, SIMPLE(i, `m${i}`));
  const c = await RawImap.connect(port);
  try {
    await c.login();
    const archive = await c.cmd("STATUS Archive (UIDVALIDITY UIDNEXT MESSAGES)");
    const validity = /UIDVALIDITY (\d+)/.exec(archive[0]!)![1];
    await c.cmd("SELECT INBOX");
    assert.deepEqual(await c.cmd("COPY 1 Archive"), [`TAG OK [COPYUID ${validity} 1 1] COPY completed`]);
    assert.deepEqual(await c.cmd("COPY 1 Nowhere"), ["TAG NO [TRYCREATE] Mailbox does not exist"]);
    assert.deepEqual(await c.cmd("MOVE 2:3 Archive"), [
      `* OK [COPYUID ${validity} 2:3 2:3] Moved`,
      "* 3 EXPUNGE",
      "* 2 EXPUNGE",
      "* 2 RECENT",
      "TAG OK MOVE completed",
    ]);
    await c.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    assert.deepEqual(await c.cmd("EXPUNGE"), ["* 1 EXPUNGE", "* 1 RECENT", "TAG OK EXPUNGE completed"]);
    assert.deepEqual(await c.cmd("FETCH 1 UID"), ["* 1 FETCH (UID 4)", "TAG OK FETCH completed"]);
    const appended = await c.cmd("APPEND INBOX {16+}\r\nSubject: x\r\n\r\nhi");
    // APPEND to the selected mailbox reports the new message (RFC 9051 §6.3.12).
    assert.equal(appended[0], "* 2 EXISTS");
    assert.match(appended.at(-1)!, /^TAG OK \[APPENDUID \d+ 5\]/);
    // UID EXPUNGE removes only the listed \Deleted messages (RFC 4315 §2.1).
    await c.cmd("STORE 1:* +FLAGS.SILENT (\\Deleted)");
    assert.deepEqual(await c.cmd("UID EXPUNGE 5"), [
      "* 2 EXPUNGE",
      "* 1 RECENT",
      "TAG OK UID EXPUNGE completed",
    ]);
    // CLOSE expunges the rest silently.
    assert.deepEqual(await c.cmd("CLOSE"), ["TAG OK CLOSE completed"]);
    // An item asked twice is answered once.
    assert.deepEqual(await c.cmd("STATUS INBOX (MESSAGES messages)"), [
      "* STATUS INBOX (MESSAGES 0)",
      "TAG OK STATUS completed",
    ]);
    await c.cmd("EXAMINE Archive");
    assert.deepEqual(await c.cmd("STORE 1 +FLAGS (\\Seen)"), ["TAG NO [READ-ONLY] Mailbox is read-only"]);
    assert.deepEqual(await c.cmd("EXPUNGE"), ["TAG NO [READ-ONLY] Mailbox is read-only"]);
    assert.deepEqual(await c.cmd("STATUS Archive (MESSAGES UNSEEN DELETED)"), [
      "* STATUS Archive (MESSAGES 3 UNSEEN 3 DELETED 0)",
      "TAG OK STATUS completed",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap CREATE, RENAME, DELETE, SUBSCRIBE and LIST-EXTENDED", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    await c.login();
    assert.match(
      (await c.cmd("CREATE Projects/Tern/Notes"))[0]!,
      /^TAG OK \[MAILBOXID \([\w-]+\)\] CREATE completed$/,
    );
    assert.deepEqual(await c.cmd("CREATE Projects"), ["TAG NO [ALREADYEXISTS] Mailbox already exists"]);
    assert.match(
      (await c.cmd('CREATE "Caf&AOk-"'))[0]!,
      /^TAG OK \[MAILBOXID \([\w-]+\)\] CREATE completed$/,
    );
    assert.deepEqual(await c.cmd('LIST "" "Proj%"'), [
      '* LIST (\\HasChildren) "/" Projects',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd("RENAME Projects/Tern Projects/Mail"), ["TAG OK RENAME completed"]);
    assert.deepEqual(await c.cmd('LIST "Projects/" "*"'), [
      '* LIST (\\HasChildren) "/" Projects/Mail',
      '* LIST (\\HasNoChildren) "/" Projects/Mail/Notes',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd("DELETE Projects"), [
      "TAG NO [HASCHILDREN] Mailbox has children, delete them first",
    ]);
    assert.deepEqual(await c.cmd("DELETE INBOX"), ["TAG NO [CANNOT] INBOX cannot be deleted"]);
    // RFC 9051 §6.3.6: the mailbox's own name exists too; another case is another name.
    assert.deepEqual(await c.cmd("RENAME Projects/Mail Projects/Mail"), [
      "TAG NO [ALREADYEXISTS] Target mailbox already exists",
    ]);
    assert.deepEqual(await c.cmd("RENAME Projects/Mail/Notes Projects/Mail/notes"), [
      "TAG OK RENAME completed",
    ]);
    assert.deepEqual(await c.cmd("DELETE Nope"), ["TAG NO [NONEXISTENT] Mailbox does not exist"]);
    await c.cmd("UNSUBSCRIBE Junk");
    const sub = await c.cmd('LIST (SUBSCRIBED) "" "J*" RETURN (CHILDREN)');
    assert.deepEqual(sub, ["TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES))'), [
      '* LIST (\\HasNoChildren \\Archive) "/" Archive',
      "* STATUS Archive (MESSAGES 0)",
      '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      "* STATUS Drafts (MESSAGES 0)",
      '* LIST (\\HasNoChildren \\Junk) "/" Junk',
      "* STATUS Junk (MESSAGES 0)",
      '* LIST (\\HasNoChildren \\Sent) "/" Sent',
      "* STATUS Sent (MESSAGES 0)",
      '* LIST (\\HasNoChildren \\Trash) "/" Trash',
      "* STATUS Trash (MESSAGES 0)",
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd('LIST "" Caf*'), [
      '* LIST (\\HasNoChildren) "/" Caf&AOk-',
      "TAG OK LIST completed",
    ]);
    await c.cmd("ENABLE UTF8=ACCEPT");
    assert.deepEqual(await c.cmd('LIST "" Caf*'), [
      '* LIST (\\HasNoChildren) "/" "Café"',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd("NAMESPACE"), [
      '* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL',
      "TAG OK NAMESPACE completed",
    ]);
    await c.cmd("UNSUBSCRIBE Projects");
    await c.cmd("UNSUBSCRIBE Projects/Mail");
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "Projects/%"'), [
      '* LIST (\\HasChildren) "/" Projects/Mail ("CHILDINFO" ("SUBSCRIBED"))',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd('LIST "" inbox'), [
      '* LIST (\\HasNoChildren) "/" INBOX',
      "TAG OK LIST completed",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap RENAME INBOX moves its messages and leaves INBOX empty; UTF8 APPEND", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, SIMPLE(1, "keep"));
  const c = await RawImap.connect(port);
  try {
    await c.login();
    assert.deepEqual(await c.cmd("RENAME inbox Old"), ["TAG OK RENAME completed"]);
    assert.deepEqual(await c.cmd("STATUS INBOX (MESSAGES)"), [
      "* STATUS INBOX (MESSAGES 0)",
      "TAG OK STATUS completed",
    ]);
    assert.deepEqual(await c.cmd("STATUS Old (MESSAGES)"), [
      "* STATUS Old (MESSAGES 1)",
      "TAG OK STATUS completed",
    ]);
    const body = "Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0\r\n";
    const bytes = new TextEncoder().encode(body).length;
    await c.c.send(`u1 APPEND INBOX UTF8 (~{${bytes}+}\r\n${body})\r\n`);
    assert.deepEqual(await c.until("u1"), ["TAG BAD UTF8 APPEND requires ENABLE UTF8=ACCEPT"]);
    await c.cmd("ENABLE UTF8=ACCEPT");
    await c.c.send(`u2 APPEND INBOX UTF8 (~{${bytes}+}\r\n${body})\r\n`);
    // UIDs are never reused: INBOX already handed out UID 1 before the rename.
    assert.match((await c.until("u2"))[0]!, /^TAG OK \[APPENDUID \d+ 2\] APPEND completed$/);
  } finally {
    c.close();
    await t.close();
  }
});
