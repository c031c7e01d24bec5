/**
 * CONDSTORE (RFC 7162 §3.1): HIGHESTMODSEQ, MODSEQ fetch item, CHANGEDSINCE, conditional STORE
 * with MODIFIED, SEARCH MODSEQ and MODSEQ in unsolicited flag updates.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap, withSelected } from "./_imap_client.ts";

const MSG = (n: number) => `Subject: c${n}\r\n\r\nbody ${n}\r\n`;

function modseqOf(line: string): number {
  const m = /MODSEQ \((\d+)\)/.exec(line);
  assert.ok(m, line);
  return Number(m[1]);
}

Deno.test("imap CONDSTORE: HIGHESTMODSEQ, CHANGEDSINCE, UNCHANGEDSINCE and SEARCH MODSEQ", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    const sel = await a.cmd("SELECT INBOX (CONDSTORE)");
    const hm = sel.find((l) => l.startsWith("* OK [HIGHESTMODSEQ "));
    assert.ok(hm, sel.join("\n"));
    const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(hm)![1]);
    const all = await a.cmd("FETCH 1:* (UID) (CHANGEDSINCE 0)");
    assert.equal(all.length, 4);
    const m1 = modseqOf(all[0]!);
    const m2 = modseqOf(all[1]!);
    assert.ok(Math.max(m1, m2, modseqOf(all[2]!)) <= highest);
    assert.deepEqual(await a.cmd(`FETCH 1:* (UID) (CHANGEDSINCE ${highest})`), ["TAG OK FETCH completed"]);

    const st = await a.cmd(`STORE 1 (UNCHANGEDSINCE ${m1}) +FLAGS.SILENT (\\Seen)`);
    assert.equal(st.length, 2);
    assert.match(st[0]!, /^\* 1 FETCH \(MODSEQ \(\d+\)\)$/);
    assert.ok(modseqOf(st[0]!) > m1);
    assert.equal(st[1], "TAG OK STORE completed");

    await b.cmd("SELECT INBOX");
    await b.cmd("STORE 2 +FLAGS.SILENT (\\Answered)");
    const conflict = await a.cmd(`UID STORE 2 (UNCHANGEDSINCE ${m2}) +FLAGS (\\Flagged)`);
    // The other session's change arrives first (with its MODSEQ), then the conflict is reported.
    assert.equal(conflict.length, 2, conflict.join("\n"));
    // A's SELECT claimed the three messages as \Recent (RFC 3501 §2.3.2).
    assert.match(conflict[0]!, /^\* 2 FETCH \(UID 2 FLAGS \(\\Answered \\Recent\) MODSEQ \(\d+\)\)$/);
    assert.equal(conflict[1], "TAG OK [MODIFIED 2] Conditional STORE failed for some messages");
    const since = modseqOf(conflict[0]!);
    const search = await a.cmd(`SEARCH MODSEQ ${since}`);
    assert.deepEqual(search, [`* SEARCH 2 (MODSEQ ${since})`, "TAG OK SEARCH completed"]);
    const status = await b.cmd("STATUS INBOX (HIGHESTMODSEQ)");
    assert.match(status[0]!, /^\* STATUS INBOX \(HIGHESTMODSEQ \d+\)$/);
    assert.ok(Number(/(\d+)\)$/.exec(status[0]!)![1]) >= since);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap QRESYNC: VANISHED instead of EXPUNGE, SELECT (QRESYNC ...) and UID FETCH VANISHED", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  const c = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await c.login();
    assert.deepEqual(await a.cmd("SELECT INBOX (QRESYNC (1 1))"), [
      "TAG BAD [CLIENTBUG] QRESYNC must be enabled first",
    ]);
    assert.deepEqual(await a.cmd("ENABLE QRESYNC"), ["* ENABLED QRESYNC", "TAG OK ENABLE completed"]);
    const sel = await a.cmd("SELECT INBOX");
    const validity = Number(/UIDVALIDITY (\d+)/.exec(sel.join("\n"))![1]);
    const old = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.join("\n"))![1]);
    await b.cmd("SELECT INBOX");
    await b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
    await b.cmd("EXPUNGE");
    await b.cmd("STORE 2 +FLAGS.SILENT (\\Flagged)"); // UID 3 is now sequence number 2
    const noop = await a.cmd("NOOP");
    assert.equal(noop[0], "* VANISHED 2");
    // One of A's three \Recent messages went: the count is reported again (RFC 3501 §7.3.2).
    assert.equal(noop[1], "* 2 RECENT");
    assert.match(noop[2]!, /^\* 2 FETCH \(UID 3 FLAGS \(\\Flagged \\Recent\) MODSEQ \(\d+\)\)$/);

    await c.cmd("ENABLE QRESYNC");
    const resync = await c.cmd(`EXAMINE INBOX (QRESYNC (${validity} ${old} 1:3))`);
    assert.ok(resync.includes("* VANISHED (EARLIER) 2"), resync.join("\n"));
    assert.ok(
      resync.some((l) => /^\* 2 FETCH \(UID 3 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/.test(l)),
      resync.join("\n"),
    );
    const fetch = await c.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${old} VANISHED)`);
    assert.equal(fetch[0], "* VANISHED (EARLIER) 2");
    assert.match(fetch[1]!, /^\* 2 FETCH \(UID 3 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/);
    assert.equal(fetch.at(-1), "TAG OK FETCH completed");
    // Every message gone: "*" still reaches the highest UID the mailbox gave (RFC 7162 §3.2.6).
    await b.cmd("STORE 1:* +FLAGS.SILENT (\\Deleted)");
    await b.cmd("EXPUNGE");
    await c.cmd("UNSELECT");
    await c.cmd(`EXAMINE INBOX (QRESYNC (${validity} ${old}))`);
    assert.deepEqual(await c.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${old} VANISHED)`), [
      "* VANISHED (EARLIER) 1:3",
      "TAG OK FETCH completed",
    ]);
  } finally {
    a.close();
    b.close();
    c.close();
    await t.close();
  }
});

Deno.test("imap QRESYNC: known UIDs and sequence-match sets without *, and a SELECT that fails leaves no mailbox selected", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG(1));
  const a = await RawImap.connect(port);
  try {
    await a.login();
    await a.cmd("ENABLE QRESYNC");
    const sel = await a.cmd("EXAMINE INBOX");
    const validity = Number(/UIDVALIDITY (\d+)/.exec(sel.join("\n"))![1]);
    const closed = "* OK [CLOSED] Previous mailbox closed";
    // RFC 7162 §3.2.5: no "*" in known-uids, known-sequence-set or known-uid-set; the match data is
    // exactly two sets. Each is BAD, and the mailbox selected before is closed (RFC 9051 §6.3.2).
    for (
      const params of [
        `${validity} 1 1:*`,
        `${validity} 1 1:3 (1:* 1:3)`,
        `${validity} 1 1:3 (1 1 1)`,
        `${validity} 1 1:3 (1)`,
        `${validity} 1 $`,
      ]
    ) {
      const r = await a.cmd(`EXAMINE INBOX (QRESYNC (${params}))`);
      assert.equal(r[0], closed, params);
      assert.match(r[1]!, /^TAG BAD /, params);
      assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), ["TAG BAD FETCH not allowed now"], params);
      await a.cmd("EXAMINE INBOX");
    }
    // BAD arguments of another kind, and a mailbox that does not exist, leave none selected too.
    for (const cmd of ["EXAMINE", "EXAMINE INBOX (FOO)", "SELECT nosuch"]) {
      const r = await a.cmd(cmd);
      assert.equal(r[0], closed, cmd);
      assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), ["TAG BAD FETCH not allowed now"], cmd);
      await a.cmd("EXAMINE INBOX");
    }
    // Well-formed sets are taken.
    const ok = await a.cmd(`EXAMINE INBOX (QRESYNC (${validity} 1 1:3 (1 1)))`);
    assert.equal(ok.at(-1), "TAG OK [READ-ONLY] EXAMINE completed");
  } finally {
    a.close();
    await t.close();
  }
});

Deno.test("imap CONDSTORE: the first enabling FETCH or STORE reports HIGHESTMODSEQ, and a \\Seen set by FETCH comes with its MODSEQ", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
  try {
    await withSelected(port, ["a", "b"], async ({ a, b }) => {
      // Before CONDSTORE: FLAGS alone.
      assert.deepEqual(await a.cmd("FETCH 1 (BODY[TEXT])"), [
        "* 1 FETCH (BODY[TEXT] {8}",
        "body 1",
        " FLAGS (\\Seen \\Recent))",
        "TAG OK FETCH completed",
      ]);
      // CHANGEDSINCE enables it: HIGHESTMODSEQ first, counting this session's own \Seen.
      const r = await a.cmd("FETCH 1:* (FLAGS) (CHANGEDSINCE 1)");
      const seenModseq = Number(/MODSEQ \((\d+)\)/.exec(r[1]!)![1]);
      assert.equal(r[0], `* OK [HIGHESTMODSEQ ${seenModseq}] Highest`);
      assert.match(r[1]!, /^\* 1 FETCH \(FLAGS \(\\Seen \\Recent\) MODSEQ \(\d+\)\)$/);
      // From now on a \Seen set by FETCH carries the new MODSEQ (RFC 7162 §3.1).
      const f = await a.cmd("FETCH 2 (BODY[TEXT])");
      assert.match(f[2]!, /^ FLAGS \(\\Seen \\Recent\) MODSEQ \((\d+)\)\)$/);
      assert.ok(Number(/MODSEQ \((\d+)\)/.exec(f[2]!)![1]) > seenModseq);
      // STORE with UNCHANGEDSINCE enables it in the other session, HIGHESTMODSEQ first.
      const s = await b.cmd("STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Flagged)");
      assert.match(s[0]!, /^\* OK \[HIGHESTMODSEQ \d+\] Highest$/);
      assert.equal(s.at(-1), "TAG OK [MODIFIED 1] Conditional STORE failed for some messages");
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap CONDSTORE: a flag changed and changed back elsewhere is told with its new MODSEQ, without CONDSTORE not at all", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, "Subject: m1\r\n\r\nbody\r\n");
  const [a, b, c] = [await RawImap.connect(port), await RawImap.connect(port), await RawImap.connect(port)];
  try {
    for (const s of [a, b, c]) await s.login();
    await b.cmd("ENABLE CONDSTORE");
    for (const s of [a, b, c]) await s.cmd("SELECT INBOX");
    await a.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)");
    await a.cmd("STORE 1 -FLAGS.SILENT (\\Flagged)");
    const modseq = /MODSEQ \((\d+)\)/.exec((await a.cmd("FETCH 1 (MODSEQ)")).join("\n"))![1];
    assert.deepEqual(await b.cmd("NOOP"), [
      `* 1 FETCH (UID 1 FLAGS () MODSEQ (${modseq}))`,
      "TAG OK NOOP completed",
    ]);
    assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    for (const s of [a, b, c]) s.close();
    await t.close();
  }
});
