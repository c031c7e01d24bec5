/**
 * IMAP ACL (RFC 4314), LIST-MYRIGHTS (RFC 8440) and the other-users namespace, on the wire with raw
 * conversations: the ACL commands' exact responses, a matrix of every command against the right
 * it needs (refused without it, allowed with it), and a user without rights unable to tell a
 * mailbox shared with nobody from one that does not exist.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const MSG = "From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nbody\r\n";
const SHARED = "Other Users/alice@example.org";

/** Alice (owner) and Bob (grantee) logged in on one server. */
async function twoUsers(fn: (alice: RawImap, bob: RawImap) => Promise<void>): Promise<void> {
  const { t, port } = await setupImap();
  try {
    await t.addUser("alice@example.org", "s3cret pass");
    await t.addUser("bob@example.org", "s3cret pass");
    const alice = await RawImap.connect(port);
    const bob = await RawImap.connect(port);
    try {
      await alice.login("alice@example.org");
      await bob.login("bob@example.org");
      await fn(alice, bob);
    } finally {
      alice.close();
      bob.close();
    }
  } finally {
    await t.close();
  }
}

async function okCmd(c: RawImap, text: string): Promise<string[]> {
  const r = await c.cmd(text);
  assert.match(r.at(-1)!, /^TAG OK/, `${text}\n${r.join("\n")}`);
  return r;
}

/** Alice creates `name` with one message and grants Bob `rights`. */
async function share(alice: RawImap, name: string, rights: string): Promise<void> {
  await okCmd(alice, `CREATE ${name}`);
  await okCmd(alice, `APPEND ${name} {${MSG.length}+}\r\n${MSG}`);
  if (rights !== "") await okCmd(alice, `SETACL ${name} bob@example.org ${rights}`);
}

Deno.test("imap acl: ACL, RIGHTS=texk and LIST-MYRIGHTS are advertised and NAMESPACE has the other-users namespace", async () => {
  await twoUsers(async (alice) => {
    const caps = (await alice.cmd("CAPABILITY"))[0]!.split(" ");
    for (const c of ["ACL", "RIGHTS=texk", "LIST-MYRIGHTS"]) assert.ok(caps.includes(c), c);
    assert.deepEqual(await alice.cmd("NAMESPACE"), [
      '* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL',
      "TAG OK NAMESPACE completed",
    ]);
  });
});

Deno.test("imap acl: SETACL, GETACL, LISTRIGHTS, MYRIGHTS and DELETEACL answer as RFC 4314 §3 shows", async () => {
  await twoUsers(async (alice, bob) => {
    await okCmd(alice, "CREATE Projects");
    assert.deepEqual(await alice.cmd("GETACL Projects"), [
      "* ACL Projects alice@example.org lrswipkxteacd",
      "TAG OK GETACL completed",
    ]);
    await okCmd(alice, "SETACL Projects bob@example.org lr");
    await okCmd(alice, "SETACL Projects bob@example.org +sd");
    await okCmd(alice, "SETACL Projects anyone l");
    await okCmd(alice, "SETACL Projects anyone -l");
    assert.deepEqual(await alice.cmd("GETACL Projects"), [
      "* ACL Projects alice@example.org lrswipkxteacd bob@example.org lrsted",
      "TAG OK GETACL completed",
    ]);
    assert.deepEqual(await alice.cmd("LISTRIGHTS Projects bob@example.org"), [
      '* LISTRIGHTS Projects bob@example.org "" l r s w i p k x t e a c d',
      "TAG OK LISTRIGHTS completed",
    ]);
    assert.deepEqual(await alice.cmd("LISTRIGHTS Projects alice@example.org"), [
      "* LISTRIGHTS Projects alice@example.org lrswipkxtea",
      "TAG OK LISTRIGHTS completed",
    ]);
    assert.deepEqual(await alice.cmd("MYRIGHTS Projects"), [
      "* MYRIGHTS Projects lrswipkxteacd",
      "TAG OK MYRIGHTS completed",
    ]);
    assert.deepEqual(await bob.cmd(`MYRIGHTS "${SHARED}/Projects"`), [
      `* MYRIGHTS "${SHARED}/Projects" lrsted`,
      "TAG OK MYRIGHTS completed",
    ]);
    // RFC 4314 §3.1: an unknown right is BAD; the owner keeps every right.
    assert.match((await alice.cmd("SETACL Projects bob@example.org lrz")).at(-1)!, /^TAG BAD /);
    assert.match((await alice.cmd("SETACL Projects alice@example.org l")).at(-1)!, /^TAG NO \[CANNOT\]/);
    await okCmd(alice, "DELETEACL Projects bob@example.org");
    assert.deepEqual(await alice.cmd("GETACL Projects"), [
      "* ACL Projects alice@example.org lrswipkxteacd",
      "TAG OK GETACL completed",
    ]);
  });
});

Deno.test("imap acl: a shared mailbox is listed under Other Users with LIST RETURN (MYRIGHTS), a hidden one is not", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Projects", "lr");
    await share(alice, "Secret", "");
    const r = await bob.cmd('LIST "" "Other Users*" RETURN (MYRIGHTS)');
    assert.deepEqual(r, [
      '* LIST (\\Noselect \\HasChildren) "/" "Other Users"',
      `* LIST (\\Noselect \\HasChildren) "/" "${SHARED}"`,
      `* LIST (\\HasNoChildren) "/" "${SHARED}/Projects"`,
      `* MYRIGHTS "${SHARED}/Projects" lr`,
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await bob.cmd('LIST "" "%"'), [
      '* LIST (\\HasNoChildren) "/" INBOX',
      '* LIST (\\HasNoChildren \\Archive) "/" Archive',
      '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      '* LIST (\\HasNoChildren \\Junk) "/" Junk',
      '* LIST (\\Noselect \\HasChildren) "/" "Other Users"',
      '* LIST (\\HasNoChildren \\Sent) "/" Sent',
      '* LIST (\\HasNoChildren \\Trash) "/" Trash',
      "TAG OK LIST completed",
    ]);
  });
});

Deno.test("imap acl: without the lookup right a mailbox answers every command exactly as a missing one", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Secret", "");
    // "r" without "l" still may not be listed; "" hides everything.
    for (
      const cmd of [
        "SELECT",
        "EXAMINE",
        "STATUS",
        "GETACL",
        "MYRIGHTS",
        "DELETE",
        "LISTRIGHTS",
        "APPEND",
        "SETACL",
      ]
    ) {
      const args = cmd === "STATUS"
        ? " (MESSAGES)"
        : cmd === "LISTRIGHTS"
        ? " bob@example.org"
        : cmd === "APPEND"
        ? ` {${MSG.length}+}\r\n${MSG}`
        : cmd === "SETACL"
        ? " bob@example.org lr"
        : "";
      const hidden = await bob.cmd(`${cmd} "${SHARED}/Secret"${args}`);
      const missing = await bob.cmd(`${cmd} "${SHARED}/NoSuchBox"${args}`);
      assert.deepEqual(hidden, missing, cmd);
      assert.match(hidden.at(-1)!, /^TAG NO \[(NONEXISTENT|TRYCREATE)\]/, cmd);
    }
    assert.deepEqual(await bob.cmd('LIST "" "*Secret*"'), ["TAG OK LIST completed"]);
    assert.deepEqual(
      await bob.cmd(`GETQUOTAROOT "${SHARED}/Secret"`),
      await bob.cmd(`GETQUOTAROOT "${SHARED}/NoSuchBox"`),
    );
    assert.deepEqual(
      await bob.cmd(`SUBSCRIBE "${SHARED}/Secret"`),
      await bob.cmd(`SUBSCRIBE "${SHARED}/NoSuchBox"`),
    );
  });
});

/** One row of the rights matrix: the command, the rights that lack what it needs, those that have it. */
interface Case {
  what: string;
  without: string;
  with: string;
  /** Commands Bob sends first (after the shared mailbox "M" is set up). */
  setup?: (m: string) => string[];
  cmd: (m: string) => string;
}

const CASES: Case[] = [
  { what: "STATUS needs r", without: "l", with: "lr", cmd: (m) => `STATUS "${m}" (MESSAGES)` },
  { what: "SELECT needs r", without: "l", with: "lr", cmd: (m) => `SELECT "${m}"` },
  { what: "EXAMINE needs r", without: "l", with: "lr", cmd: (m) => `EXAMINE "${m}"` },
  {
    what: "APPEND needs i",
    without: "lr",
    with: "li",
    cmd: (m) => `APPEND "${m}" {${MSG.length}+}\r\n${MSG}`,
  },
  {
    what: "STORE \\Seen needs s",
    without: "lrw",
    with: "lrs",
    setup: (m) => [`SELECT "${m}"`],
    cmd: () => "STORE 1 +FLAGS (\\Seen)",
  },
  {
    what: "STORE \\Flagged needs w",
    without: "lrs",
    with: "lrw",
    setup: (m) => [`SELECT "${m}"`],
    cmd: () => "STORE 1 +FLAGS (\\Flagged)",
  },
  {
    what: "STORE \\Deleted needs t",
    without: "lrs",
    with: "lrt",
    setup: (m) => [`SELECT "${m}"`],
    cmd: () => "STORE 1 +FLAGS (\\Deleted)",
  },
  {
    what: "EXPUNGE needs e",
    without: "lrt",
    with: "lrte",
    setup: (m) => [`SELECT "${m}"`, "STORE 1 +FLAGS.SILENT (\\Deleted)"],
    cmd: () => "EXPUNGE",
  },
  {
    what: "MOVE out needs t and e",
    without: "lrt",
    with: "lrte",
    setup: (m) => [`SELECT "${m}"`],
    cmd: () => "MOVE 1 INBOX",
  },
  {
    what: "COPY in needs i",
    without: "lr",
    with: "lri",
    setup: () => ["SELECT INBOX"],
    cmd: (m) => `COPY 1 "${m}"`,
  },
  { what: "CREATE below needs k", without: "lr", with: "lrk", cmd: (m) => `CREATE "${m}/Child"` },
  { what: "DELETE needs x", without: "lr", with: "lrx", cmd: (m) => `DELETE "${m}"` },
  { what: "GETACL needs a", without: "lr", with: "lra", cmd: (m) => `GETACL "${m}"` },
  { what: "SETACL needs a", without: "lr", with: "lra", cmd: (m) => `SETACL "${m}" anyone l` },
  { what: "DELETEACL needs a", without: "lr", with: "lra", cmd: (m) => `DELETEACL "${m}" anyone` },
  { what: "LISTRIGHTS needs a", without: "lr", with: "lra", cmd: (m) => `LISTRIGHTS "${m}" anyone` },
];

Deno.test("imap acl: every command refuses with NO [NOPERM] what the rights do not allow, and works with the right", async () => {
  await twoUsers(async (alice, bob) => {
    await bob.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`);
    let n = 0;
    for (const c of CASES) {
      for (const [rights, allowed] of [[c.without, false], [c.with, true]] as const) {
        const name = `M${++n}`;
        await share(alice, name, rights);
        const m = `${SHARED}/${name}`;
        for (const s of c.setup?.(m) ?? []) await okCmd(bob, s);
        const r = await bob.cmd(c.cmd(m));
        const tagged = r.at(-1)!;
        if (allowed) assert.match(tagged, /^TAG OK/, `${c.what} with ${rights}: ${r.join("\n")}`);
        else assert.match(tagged, /^TAG NO \[NOPERM\]/, `${c.what} with ${rights}: ${r.join("\n")}`);
        if (c.setup) await bob.cmd("UNSELECT");
      }
    }
  });
});

Deno.test("imap acl: with read but no write rights SELECT is read-only and FETCH BODY[] sets no \\Seen", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Projects", "lr");
    const r = await bob.cmd(`SELECT "${SHARED}/Projects"`);
    assert.equal(r.at(-1), "TAG OK [READ-ONLY] SELECT completed");
    assert.ok(r.includes("* 1 EXISTS"), r.join("\n"));
    const f = await bob.cmd("FETCH 1 (BODY[] FLAGS)");
    assert.ok(f[0]!.startsWith("* 1 FETCH (BODY[] {"), f.join("\n"));
    assert.ok(!f.join("\n").includes("\\Seen"), f.join("\n"));
    await okCmd(alice, "SELECT Projects");
    const mine = await alice.cmd("FETCH 1 (FLAGS)");
    assert.match(mine[0]!, /^\* 1 FETCH \(FLAGS \((\\Recent)?\)\)$/);
  });
});

Deno.test("imap acl: a grantee's APPEND and STORE reach the owner, and the owner's changes reach a grantee selecting the mailbox", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Team", "lrswi");
    await okCmd(bob, `SELECT "${SHARED}/Team"`);
    await okCmd(bob, "STORE 1 +FLAGS.SILENT (\\Flagged)");
    await okCmd(alice, "SELECT Team");
    assert.equal((await alice.cmd("FETCH 1 (FLAGS)"))[0], "* 1 FETCH (FLAGS (\\Flagged))");
    await okCmd(alice, `APPEND Team {${MSG.length}+}\r\n${MSG}`);
    const noop = await bob.cmd("NOOP");
    assert.ok(noop.includes("* 2 EXISTS"), noop.join("\n"));
  });
});

Deno.test("imap acl: a grantee subscribes to a shared mailbox and LIST (SUBSCRIBED) and LSUB show it", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Projects", "lr");
    await okCmd(bob, `SUBSCRIBE "${SHARED}/Projects"`);
    assert.deepEqual(await bob.cmd('LIST (SUBSCRIBED) "" "Other Users/*"'), [
      `* LIST (\\HasNoChildren \\Subscribed) "/" "${SHARED}/Projects"`,
      "TAG OK LIST completed",
    ]);
    assert.deepEqual(await bob.cmd('LSUB "" "Other Users/*"'), [
      `* LSUB () "/" "${SHARED}/Projects"`,
      "TAG OK LSUB completed",
    ]);
    await okCmd(bob, `UNSUBSCRIBE "${SHARED}/Projects"`);
    assert.deepEqual(await bob.cmd('LIST (SUBSCRIBED) "" "Other Users/*"'), ["TAG OK LIST completed"]);
  });
});

Deno.test("imap acl: CLOSE expunges a shared mailbox only with e", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Keep", "lrt");
    await okCmd(bob, `SELECT "${SHARED}/Keep"`);
    await okCmd(bob, "STORE 1 +FLAGS.SILENT (\\Deleted)");
    await okCmd(bob, "CLOSE");
    assert.equal((await alice.cmd("STATUS Keep (MESSAGES)"))[0], "* STATUS Keep (MESSAGES 1)");
    await okCmd(alice, "SETACL Keep bob@example.org lrte");
    await okCmd(bob, `SELECT "${SHARED}/Keep"`);
    await okCmd(bob, "CLOSE");
    assert.equal((await alice.cmd("STATUS Keep (MESSAGES)"))[0], "* STATUS Keep (MESSAGES 0)");
  });
});

Deno.test("imap acl: RENAME of a shared mailbox needs x on it and k on the new parent, and stays in the owner's namespace", async () => {
  await twoUsers(async (alice, bob) => {
    await share(alice, "Team", "l");
    await share(alice, "Team/Old", "lrx");
    await share(alice, "Other", "lk");
    const rename = async (from: string, to: string) => (await bob.cmd(`RENAME "${from}" "${to}"`)).at(-1)!;
    // No "k" on Team: refused, and nothing moved.
    assert.match(await rename(`${SHARED}/Team/Old`, `${SHARED}/Team/New`), /^TAG NO \[NOPERM\]/);
    await okCmd(alice, "SETACL Team bob@example.org lk");
    assert.equal(await rename(`${SHARED}/Team/Old`, `${SHARED}/Team/New`), "TAG OK RENAME completed");
    assert.deepEqual((await alice.cmd('LIST "" Team/*')).slice(0, -1), [
      '* LIST (\\HasNoChildren) "/" Team/New',
    ]);
    // The mailbox keeps its ACL under the new name.
    assert.match((await alice.cmd("GETACL Team/New"))[0]!, /bob@example\.org lrx/);
    // Into another parent where Bob holds "k".
    assert.equal(await rename(`${SHARED}/Team/New`, `${SHARED}/Other/Moved`), "TAG OK RENAME completed");
    // The top of Alice's tree has no parent to hold "k" on; a name out of her namespace, or into
    // it from Bob's own, is refused.
    assert.match(await rename(`${SHARED}/Other/Moved`, `${SHARED}/Top`), /^TAG NO \[NOPERM\]/);
    assert.match(await rename(`${SHARED}/Other/Moved`, "Mine"), /^TAG NO \[CANNOT\]/);
    assert.match(
      await rename(`${SHARED}/Other/Moved`, "Other Users/carol@example.org/Team/Moved"),
      /^TAG NO \[CANNOT\]/,
    );
    await okCmd(bob, "CREATE Own");
    assert.match(await rename("Own", `${SHARED}/Other/Own`), /^TAG NO \[CANNOT\]/);
    // Without "x" on the mailbox: refused.
    await okCmd(alice, "SETACL Other/Moved bob@example.org lr");
    assert.match(await rename(`${SHARED}/Other/Moved`, `${SHARED}/Other/Again`), /^TAG NO \[NOPERM\]/);
    assert.deepEqual((await alice.cmd('LIST "" Other/*')).slice(0, -1), [
      '* LIST (\\HasNoChildren) "/" Other/Moved',
    ]);
  });
});

Deno.test("imap acl: a grant to anyone reaches the users of the owner's organization, and no grant reaches another tenant's", async () => {
  const { t, port } = await setupImap();
  try {
    const store = t.srv.context.store;
    await store.organizations.create({ id: "acme" });
    await store.organizations.assignDomain("example.org", "acme");
    await t.addUser("alice@example.org", "s3cret pass");
    await t.addUser("bob@example.org", "s3cret pass");
    await t.addUser("carol@localhost", "s3cret pass");
    const alice = await RawImap.connect(port);
    const bob = await RawImap.connect(port);
    const carol = await RawImap.connect(port);
    try {
      await alice.login("alice@example.org");
      await bob.login("bob@example.org");
      await carol.login("carol@localhost");
      await share(alice, "Public", "");
      await okCmd(alice, "SETACL Public anyone lr");
      assert.match((await bob.cmd(`MYRIGHTS "${SHARED}/Public"`))[0]!, /^\* MYRIGHTS .* lr$/);
      assert.deepEqual(await carol.cmd('LIST "" "Other Users*"'), ["TAG OK LIST completed"]);
      assert.deepEqual(
        await carol.cmd(`SELECT "${SHARED}/Public"`),
        await carol.cmd(`SELECT "${SHARED}/Nope"`),
      );
      // Nor can Alice grant to, or learn of, a user of another organization.
      const other = await alice.cmd("SETACL Public carol@localhost lr");
      assert.deepEqual(other, await alice.cmd("SETACL Public nobody@localhost lr"));
      assert.match(other.at(-1)!, /^TAG NO \[CANNOT\]/);
    } finally {
      alice.close();
      bob.close();
      carol.close();
    }
  } finally {
    await t.close();
  }
});
