/**
 * CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4) on the wire, where Dovecot has nothing to compare
 * with (it does not advertise CONTEXT=SORT): a sorted result kept current with ADDTO/REMOVEFROM
 * positions, updates caused by the session's own STORE, updates during IDLE, PARTIAL with UPDATE
 * refused with NOUPDATE, and contexts ended by a new SELECT. The CONTEXT=SEARCH conversation
 * itself is compared with Dovecot in tests/interop/context_diff_test.ts.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

/** Body lengths by UID 1..5: SIZE order is 2,4,1,3,5. */
const SIZES = [300, 100, 400, 200, 500];

async function append(c: RawImap, n: number, flags = ""): Promise<void> {
  const m = `Subject: s${n}\r\n\r\n${"x".repeat(n)}\r\n`;
  const r = await c.cmd(`APPEND INBOX (${flags}) {${enc.encode(m).length}+}\r\n${m}`);
  assert.match(r.at(-1)!, /^TAG OK/);
}

async function mailbox(): Promise<{ a: RawImap; b: RawImap; close: () => Promise<void> }> {
  const { t, port } = await setupImap();
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  await a.login();
  await b.login();
  for (const n of SIZES) await append(a, n);
  assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
  assert.match((await b.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
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

/** Lines of a reply that are ESEARCH, EXPUNGE or EXISTS responses, and the tagged status. */
function essential(lines: string[]): string[] {
  return lines.filter((l) =>
    /^\* (ESEARCH|\d+ EXPUNGE|\d+ EXISTS|NO \[NOUPDATE)/.test(l) || l.startsWith("TAG")
  );
}

Deno.test("CONTEXT=SEARCH and CONTEXT=SORT are advertised once logged in", async () => {
  const { a, close } = await mailbox();
  try {
    const caps = (await a.cmd("CAPABILITY"))[0]!.split(" ");
    assert.ok(caps.includes("CONTEXT=SEARCH") && caps.includes("CONTEXT=SORT"));
  } finally {
    await close();
  }
});

Deno.test("a live SORT result gets REMOVEFROM and ADDTO with positions in sort order", async () => {
  const { a, b, close } = await mailbox();
  try {
    // login a1, 5 APPENDs a2..a6, SELECT a7: this is a8. Unseen by SIZE: 2,4,1,3,5.
    assert.deepEqual(await a.cmd("UID SORT RETURN (UPDATE ALL) (SIZE) UTF-8 UNSEEN"), [
      '* ESEARCH (TAG "a8") UID ALL 2,4,1,3,5',
      "TAG OK SORT completed",
    ]);
    // UID 1 (position 3) and UID 5 (position 5) become seen: removed, highest position first.
    assert.match((await b.cmd("STORE 1,5 +FLAGS.SILENT (\\Seen)")).at(-1)!, /^TAG OK/);
    assert.deepEqual(essential(await a.cmd("NOOP")), [
      '* ESEARCH (TAG "a8") UID REMOVEFROM (5 5 3 1)',
      "TAG OK NOOP completed",
    ]);
    // UID 4 expunged (position 2 of 2,4,3) is removed before its EXPUNGE; new UIDs 6 (size 250)
    // and 7 (size 50) join at positions 1 and 3 of 7,2,6,3, after the EXISTS.
    assert.match((await b.cmd("STORE 4 +FLAGS.SILENT (\\Deleted)")).at(-1)!, /^TAG OK/);
    assert.match((await b.cmd("EXPUNGE")).at(-1)!, /^TAG OK/);
    await append(b, 250);
    await append(b, 50);
    assert.deepEqual(essential(await a.cmd("NOOP")), [
      '* ESEARCH (TAG "a8") UID REMOVEFROM (2 4)',
      "* 4 EXPUNGE",
      "* 6 EXISTS",
      '* ESEARCH (TAG "a8") UID ADDTO (1 7 3 6)',
      "TAG OK NOOP completed",
    ]);
    // The client's copy is now what a fresh SORT answers.
    assert.deepEqual(essential(await a.cmd("UID SORT RETURN (ALL) (SIZE) UTF-8 UNSEEN")), [
      '* ESEARCH (TAG "a11") UID ALL 7,2,6,3',
      "TAG OK SORT completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("a live result follows the session's own STORE, with sequence numbers", async () => {
  const { a, close } = await mailbox();
  try {
    assert.deepEqual(await a.cmd("SEARCH RETURN (UPDATE) FLAGGED"), [
      '* ESEARCH (TAG "a8")',
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(essential(await a.cmd("STORE 2:3 +FLAGS.SILENT (\\Flagged)")), [
      '* ESEARCH (TAG "a8") ADDTO (0 2:3)',
      "TAG OK STORE completed",
    ]);
    assert.deepEqual(essential(await a.cmd("STORE 2 -FLAGS.SILENT (\\Flagged)")), [
      '* ESEARCH (TAG "a8") REMOVEFROM (0 2)',
      "TAG OK STORE completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("a live result is updated while the client IDLEs", async () => {
  const { a, b, close } = await mailbox();
  try {
    assert.deepEqual(essential(await a.cmd("UID SEARCH RETURN (UPDATE) FLAGGED")), [
      '* ESEARCH (TAG "a8") UID',
      "TAG OK SEARCH completed",
    ]);
    await a.c.line("a9 IDLE");
    assert.equal(await a.c.read(), "+ idling");
    assert.match((await b.cmd("UID STORE 4 +FLAGS.SILENT (\\Flagged)")).at(-1)!, /^TAG OK/);
    let line = await a.c.read();
    while (line !== null && !line.startsWith("* ESEARCH")) line = await a.c.read();
    assert.equal(line, '* ESEARCH (TAG "a8") UID ADDTO (0 4)');
    await a.c.line("DONE");
    assert.deepEqual((await a.until("a9")).at(-1), "TAG OK IDLE terminated");
  } finally {
    await close();
  }
});

Deno.test("UPDATE with PARTIAL answers the part and refuses updates with NOUPDATE", async () => {
  const { a, close } = await mailbox();
  try {
    assert.deepEqual(await a.cmd("SORT RETURN (UPDATE PARTIAL 2:3) (SIZE) UTF-8 ALL"), [
      '* ESEARCH (TAG "a8") PARTIAL (2:3 4,1)',
      '* NO [NOUPDATE "a8"] PARTIAL results are not updated',
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await a.cmd('CANCELUPDATE "a8"'), ["TAG NO Unknown tag"]);
  } finally {
    await close();
  }
});

Deno.test("SELECT ends the update contexts of the mailbox left", async () => {
  const { a, close } = await mailbox();
  try {
    assert.match((await a.cmd("SEARCH RETURN (UPDATE) FLAGGED")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await a.cmd('CANCELUPDATE "a8"'), ["TAG OK CANCELUPDATE completed"]);
    assert.match((await a.cmd("SEARCH RETURN (UPDATE) FLAGGED")).at(-1)!, /^TAG OK/);
    assert.match((await a.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
    assert.deepEqual(essential(await a.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)")), ["TAG OK STORE completed"]);
    assert.deepEqual(await a.cmd('CANCELUPDATE "a10"'), ["TAG NO Unknown tag"]);
  } finally {
    await close();
  }
});
