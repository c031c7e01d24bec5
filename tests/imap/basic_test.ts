/**
 * Raw IMAP conversations: greeting, capabilities, login, mailbox listing, select, fetch.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const MSG = "From: Ada <ada@example.org>\r\nTo: u@example.org\r\nSubject: hello\r\n" +
  "Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\nBody line\r\n";

Deno.test("imap greeting, CAPABILITY and LOGIN", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    assert.match(c.greeting, /^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*STARTTLS.*AUTH=PLAIN.*\] /);
    const caps = await c.cmd("CAPABILITY");
    assert.match(caps[0]!, /^\* CAPABILITY IMAP4rev1 IMAP4rev2 /);
    assert.equal(caps[1], "TAG OK CAPABILITY completed");
    assert.deepEqual(await c.cmd('LOGIN u@example.org "wrong"'), [
      "TAG NO [AUTHENTICATIONFAILED] Authentication failed",
    ]);
    const ok = await c.cmd('LOGIN u@example.org "s3cret pass"');
    assert.match(ok[0]!, /^TAG OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*UIDPLUS.*\] Logged in$/);
    assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
    assert.deepEqual(await c.cmd("LOGOUT"), ["* BYE Tern IMAP logging out", "TAG OK LOGOUT completed"]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap LIST, SELECT and FETCH", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG);
  const c = await RawImap.connect(port);
  try {
    await c.login();
    const list = await c.cmd('LIST "" "*"');
    assert.deepEqual(list, [
      '* LIST (\\HasNoChildren) "/" INBOX',
      '* LIST (\\HasNoChildren \\Archive) "/" Archive',
      '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      '* LIST (\\HasNoChildren \\Junk) "/" Junk',
      '* LIST (\\HasNoChildren \\Sent) "/" Sent',
      '* LIST (\\HasNoChildren \\Trash) "/" Trash',
      "TAG OK LIST completed",
    ]);
    const sel = await c.cmd("SELECT inbox");
    assert.equal(sel[0], "* 1 EXISTS");
    assert.equal(sel.at(-1), "TAG OK [READ-WRITE] SELECT completed");
    const f = await c.cmd("FETCH 1 (UID FLAGS RFC822.SIZE ENVELOPE)");
    assert.equal(
      f[0],
      `* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE ${MSG.length} ENVELOPE ("Sat, 21 Nov 2026 10:00:00 +0000" "hello" ` +
        `(("Ada" NIL "ada" "example.org")) (("Ada" NIL "ada" "example.org")) (("Ada" NIL "ada" "example.org")) ` +
        `((NIL NIL "u" "example.org")) NIL NIL NIL "<m1@example.org>"))`,
    );
    const body = await c.cmd("FETCH 1 BODY[TEXT]");
    assert.deepEqual(body, [
      "* 1 FETCH (BODY[TEXT] {11}",
      "Body line",
      " FLAGS (\\Seen \\Recent))",
      "TAG OK FETCH completed",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});
