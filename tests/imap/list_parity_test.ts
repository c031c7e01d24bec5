/**
 * LIST and LSUB as Dovecot answers them (issue 11), byte-exact on the wire: a subscribed name under
 * an unsubscribed parent makes LSUB with "%" return the parent \Noselect (RFC 3501 §6.3.9);
 * RECURSIVEMATCH reports CHILDINFO for every matching parent of a subscribed mailbox and is BAD
 * without a selection option it could modify (RFC 5258 §3); LIST patterns may hold any atom
 * characters, "&" included, and are answered rather than refused as bad modified UTF-7.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

/** A session with a/b/c, x, y/z, q/r created; subscribed: a/b/c, x, y/z, q, q/r (and the defaults). */
async function tree() {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  await c.login();
  for (const m of ["a/b/c", "x", "y/z", "q/r"]) {
    assert.equal((await c.cmd(`CREATE ${m}`)).at(-1)!.split(" ").slice(0, 2).join(" "), "TAG OK");
  }
  for (const m of ["a", "a/b", "y"]) {
    assert.deepEqual(await c.cmd(`UNSUBSCRIBE ${m}`), ["TAG OK UNSUBSCRIBE completed"]);
  }
  for (const m of ["Archive", "Drafts", "Junk", "Sent", "Trash"]) await c.cmd(`UNSUBSCRIBE ${m}`);
  return {
    c,
    async close() {
      c.close();
      await t.close();
    },
  };
}

Deno.test("imap LSUB with % returns an unsubscribed parent of a subscribed mailbox as \\Noselect", async () => {
  const { c, close } = await tree();
  try {
    assert.deepEqual(await c.cmd('LSUB "" %'), [
      '* LSUB () "/" INBOX',
      '* LSUB (\\Noselect) "/" a',
      '* LSUB () "/" q',
      '* LSUB () "/" x',
      '* LSUB (\\Noselect) "/" y',
      "TAG OK LSUB completed",
    ]);
    assert.deepEqual(await c.cmd('LSUB "" a/%'), ['* LSUB (\\Noselect) "/" a/b', "TAG OK LSUB completed"]);
    assert.deepEqual(await c.cmd('LSUB "" *'), [
      '* LSUB () "/" INBOX',
      '* LSUB () "/" a/b/c',
      '* LSUB () "/" q',
      '* LSUB () "/" q/r',
      '* LSUB () "/" x',
      '* LSUB () "/" y/z',
      "TAG OK LSUB completed",
    ]);
    assert.deepEqual(await c.cmd('LSUB "a/" %'), ['* LSUB (\\Noselect) "/" a/b', "TAG OK LSUB completed"]);
  } finally {
    await close();
  }
});

Deno.test("imap LIST (SUBSCRIBED RECURSIVEMATCH) gives CHILDINFO to subscribed and unsubscribed parents", async () => {
  const { c, close } = await tree();
  try {
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" %'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" INBOX',
      '* LIST (\\HasChildren) "/" a ("CHILDINFO" ("SUBSCRIBED"))',
      '* LIST (\\HasChildren \\Subscribed) "/" q ("CHILDINFO" ("SUBSCRIBED"))',
      '* LIST (\\HasNoChildren \\Subscribed) "/" x',
      '* LIST (\\HasChildren) "/" y ("CHILDINFO" ("SUBSCRIBED"))',
      "TAG OK LIST completed",
    ]);
    // Without RECURSIVEMATCH only subscribed names are listed, and no CHILDINFO.
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED) "" %'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" INBOX',
      '* LIST (\\HasChildren \\Subscribed) "/" q',
      '* LIST (\\HasNoChildren \\Subscribed) "/" x',
      "TAG OK LIST completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("imap LIST RECURSIVEMATCH without SUBSCRIBED or SPECIAL-USE is BAD and the session goes on", async () => {
  const { c, close } = await tree();
  try {
    const bad = ["TAG BAD [CLIENTBUG] RECURSIVEMATCH must not be the only selection option"];
    assert.deepEqual(await c.cmd('LIST (RECURSIVEMATCH) "" %'), bad);
    assert.deepEqual(await c.cmd('LIST (RECURSIVEMATCH REMOTE) "" %'), bad);
    assert.deepEqual(await c.cmd('LIST (REMOTE RECURSIVEMATCH) "" %'), bad);
    assert.deepEqual(await c.cmd('LIST (RECURSIVEMATCH SPECIAL-USE) "" Sent'), [
      '* LIST (\\HasNoChildren \\Sent) "/" Sent',
      "TAG OK LIST completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("imap LIST patterns with & that are not modified UTF-7 are answered, not refused", async () => {
  const { c, close } = await tree();
  try {
    assert.deepEqual(await c.cmd('LIST "" &'), ["TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST "" "a&b"'), ["TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST "&" %'), ["TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LSUB "" "&*"'), ["TAG OK LSUB completed"]);
    // "&-" is "&" in modified UTF-7: a mailbox named "R&D" is found by its encoded pattern.
    assert.equal((await c.cmd("CREATE R&-D")).at(-1)!.slice(0, 6), "TAG OK");
    assert.deepEqual(await c.cmd('LIST "" R&-*'), [
      '* LIST (\\HasNoChildren) "/" R&-D',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd('LIST "" "R&D"'), ["TAG OK LIST completed"]);
  } finally {
    await close();
  }
});

Deno.test("imap a deleted subscribed mailbox stays subscribed: LIST (SUBSCRIBED) shows it \\NonExistent", async () => {
  const { c, close } = await tree();
  try {
    assert.deepEqual(await c.cmd("DELETE x"), ["TAG OK DELETE completed"]);
    assert.deepEqual(await c.cmd("DELETE q/r"), ["TAG OK DELETE completed"]);
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED) "" *'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" INBOX',
      '* LIST (\\HasNoChildren \\Subscribed) "/" a/b/c',
      '* LIST (\\HasNoChildren \\Subscribed) "/" q',
      '* LIST (\\Subscribed \\NonExistent) "/" q/r',
      '* LIST (\\Subscribed \\NonExistent) "/" x',
      '* LIST (\\HasNoChildren \\Subscribed) "/" y/z',
      "TAG OK LIST completed",
    ]);
    // No STATUS for a name without a mailbox; CHILDREN adds \HasNoChildren.
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED) "" x RETURN (CHILDREN STATUS (MESSAGES))'), [
      '* LIST (\\Subscribed \\NonExistent \\HasNoChildren) "/" x',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" q'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" q ("CHILDINFO" ("SUBSCRIBED"))',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd('LSUB "" x'), ['* LSUB () "/" x', "TAG OK LSUB completed"]);
    // Not in a plain LIST: the mailbox does not exist.
    assert.deepEqual(await c.cmd('LIST "" x'), ["TAG OK LIST completed"]);
    // A parent that is neither a mailbox nor subscribed is reported \NonExistent with CHILDINFO.
    await c.cmd("CREATE g/h");
    await c.cmd("UNSUBSCRIBE g");
    await c.cmd("DELETE g/h");
    await c.cmd("DELETE g");
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" g'), [
      '* LIST (\\NonExistent) "/" g ("CHILDINFO" ("SUBSCRIBED"))',
      "TAG OK LIST completed",
    ]);
    // UNSUBSCRIBE removes the name; CREATE brings the mailbox back, subscribed.
    assert.deepEqual(await c.cmd("UNSUBSCRIBE x"), ["TAG OK UNSUBSCRIBE completed"]);
    assert.deepEqual(await c.cmd('LSUB "" x'), ["TAG OK LSUB completed"]);
    await c.cmd("CREATE q/r");
    assert.deepEqual(await c.cmd('LIST (SUBSCRIBED) "" q/r'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" q/r',
      "TAG OK LIST completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("imap LIST joins reference and pattern as written; an empty pattern gives the reference's root", async () => {
  const { c, close } = await tree();
  try {
    assert.deepEqual(await c.cmd('LIST "a/b" ""'), ['* LIST (\\Noselect) "/" a/', "TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST "a" ""'), ['* LIST (\\Noselect) "/" ""', "TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST "a" %'), ['* LIST (\\HasChildren) "/" a', "TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST "a/" %'), ['* LIST (\\HasChildren) "/" a/b', "TAG OK LIST completed"]);
    assert.deepEqual(await c.cmd('LIST "a/" "/%"'), ["TAG OK LIST completed"]);
    // INBOX is case-insensitive wherever the pattern matches it.
    assert.deepEqual(await c.cmd('LIST "" "*X*"'), [
      '* LIST (\\HasNoChildren) "/" INBOX',
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await c.cmd('LIST "" inb%'), [
      '* LIST (\\HasNoChildren) "/" INBOX',
      "TAG OK LIST completed",
    ]);
    // LSUB has no empty-pattern special case.
    assert.deepEqual(await c.cmd('LSUB "a/b" ""'), ["TAG OK LSUB completed"]);
  } finally {
    await close();
  }
});
