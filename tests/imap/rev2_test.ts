/**
 * ENABLE IMAP4rev2 (RFC 9051 §6.3.1) switches the rev1/rev2 differences: no RECENT, a LIST
 * response in SELECT, ESEARCH for SEARCH, UTF-8 mailbox names.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

Deno.test("imap ENABLE IMAP4rev2 switches SELECT, SEARCH and mailbox name encoding", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, "Subject: a\r\n\r\nx\r\n");
  const c = await RawImap.connect(port);
  try {
    await c.login();
    const rev1 = await c.cmd("EXAMINE INBOX");
    // EXAMINE shows the unclaimed message as recent without claiming it (RFC 3501 §6.3.2).
    assert.ok(rev1.includes("* 1 RECENT"));
    assert.ok(rev1.includes("* OK [UNSEEN 1] First unseen"));
    assert.deepEqual(await c.cmd("SEARCH ALL"), ["* SEARCH 1", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("UNSELECT"), ["TAG OK UNSELECT completed"]);
    assert.deepEqual(await c.cmd("ENABLE IMAP4rev2 X-UNKNOWN"), [
      "* ENABLED IMAP4rev2",
      "TAG OK ENABLE completed",
    ]);
    const sel = await c.cmd("SELECT inbox");
    // RFC 9051 §2.3.2: no RECENT response and no \Recent claim in rev2.
    assert.ok(!sel.some((l) => l.endsWith(" RECENT")));
    assert.ok(sel.includes('* LIST () "/" INBOX'));
    assert.deepEqual(await c.cmd("SEARCH ALL"), ['* ESEARCH (TAG "a7") ALL 1', "TAG OK SEARCH completed"]);
    assert.match(
      (await c.cmd("CREATE Überweisungen"))[0]!,
      /^TAG OK \[MAILBOXID \([\w-]+\)\] CREATE completed$/,
    );
    assert.deepEqual(await c.cmd('LIST "" "Ü*"'), [
      '* LIST (\\HasNoChildren) "/" "Überweisungen"',
      "TAG OK LIST completed",
    ]);
    const sel2 = await c.cmd("SELECT Archive");
    assert.equal(sel2[0], "* OK [CLOSED] Previous mailbox closed");
  } finally {
    c.close();
    await t.close();
  }
});
