/**
 * ESORT (RFC 5267 §3) on the wire: SORT and UID SORT with RETURN options answer with an ESEARCH
 * response whose MIN/MAX are the first/last in sort order and whose ALL keeps the sort order
 * (only ascending runs become ranges). The expected lines are Dovecot 2.3.19's answers to the same
 * commands over the same messages. Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

/** Body lengths by sequence number 1..7 (UID = sequence number): SIZE order is 7,2,3,1,4,5,6. */
const SIZES = [300, 100, 200, 400, 500, 600, 50];

async function mailbox(): Promise<{ c: RawImap; close: () => Promise<void> }> {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  await c.login();
  for (const [i, n] of SIZES.entries()) {
    const m = `Subject: m${i}\r\n\r\n${"x".repeat(n)}\r\n`;
    const r = await c.cmd(`APPEND INBOX "01-Jan-2024 12:00:00 +0000" {${enc.encode(m).length}+}\r\n${m}`);
    assert.match(r.at(-1)!, /^TAG OK/);
  }
  assert.match((await c.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
  return {
    c,
    close: async () => {
      c.close();
      await t.close();
    },
  };
}

/** The reply with the ESEARCH correlator's tag replaced by "T" (tags count up per command). */
async function esort(c: RawImap, command: string): Promise<string[]> {
  return (await c.cmd(command)).map((l) => l.replace(/^\* ESEARCH \(TAG "a\d+"\)/, '* ESEARCH (TAG "T")'));
}

Deno.test("ESORT is advertised and its ESEARCH response carries the command's tag", async () => {
  const { c, close } = await mailbox();
  try {
    // login a1, 7 APPENDs a2..a8, SELECT a9: this is a10.
    assert.deepEqual(await c.cmd("SORT RETURN (ALL) (SIZE) UTF-8 ALL"), [
      '* ESEARCH (TAG "a10") ALL 7,2:3,1,4:6',
      "TAG OK SORT completed",
    ]);
    assert.ok((await c.cmd("CAPABILITY"))[0]!.split(" ").includes("ESORT"));
  } finally {
    await close();
  }
});

Deno.test("ESORT ALL keeps the sort order: descending runs are listed one by one", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await esort(c, "SORT RETURN (ALL) (REVERSE SIZE) UTF-8 ALL"), [
      '* ESEARCH (TAG "T") ALL 6,5,4,1,3,2,7',
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await esort(c, "SORT RETURN () (REVERSE SIZE) UTF-8 1:6"), [
      '* ESEARCH (TAG "T") ALL 6,5,4,1,3,2',
      "TAG OK SORT completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("ESORT MIN and MAX are the first and last in sort order, COUNT the matches", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await esort(c, "SORT RETURN (MIN MAX COUNT ALL) (SIZE) UTF-8 ALL"), [
      '* ESEARCH (TAG "T") MIN 7 MAX 6 ALL 7,2:3,1,4:6 COUNT 7',
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await esort(c, "UID SORT RETURN (MIN MAX) (REVERSE ARRIVAL) UTF-8 ALL"), [
      // Equal INTERNALDATEs: ties stay in ascending sequence order even reversed (RFC 5256 §3).
      '* ESEARCH (TAG "T") UID MIN 1 MAX 7',
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await esort(c, "SORT RETURN (COUNT MIN) (SIZE) UTF-8 LARGER 100000"), [
      '* ESEARCH (TAG "T") COUNT 0',
      "TAG OK SORT completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("ESORT with SAVE saves the matches for $, and a MODSEQ key adds MODSEQ", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await esort(c, "SORT RETURN (SAVE) (SIZE) UTF-8 ALL"), [
      "TAG OK SORT completed, result saved",
    ]);
    assert.deepEqual(await esort(c, "SORT RETURN (ALL SAVE) (REVERSE SIZE) UTF-8 2:4"), [
      '* ESEARCH (TAG "T") ALL 4,3,2',
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH $"), ["* SEARCH 2 3 4", "TAG OK SEARCH completed"]);
    const r = await esort(c, "SORT RETURN (COUNT) (SIZE) UTF-8 MODSEQ 1");
    assert.equal(r.length, 3);
    assert.match(r[0]!, /^\* OK \[HIGHESTMODSEQ (\d+)\] /);
    // RFC 7162 §3.1.5: the highest MODSEQ of the matching messages (not the mailbox's).
    const modseqs = (await c.cmd("FETCH 1:* (MODSEQ)")).slice(0, -1).map((l) =>
      Number(/MODSEQ \((\d+)\)/.exec(l)![1])
    );
    assert.equal(r[1], `* ESEARCH (TAG "T") COUNT 7 MODSEQ ${Math.max(...modseqs)}`);
  } finally {
    await close();
  }
});

Deno.test("ESORT refuses unknown RETURN options and a missing option list with BAD", async () => {
  const { c, close } = await mailbox();
  try {
    for (
      const bad of ["SORT RETURN (FOO) (SIZE) UTF-8 ALL", "SORT RETURN SIZE UTF-8 ALL", "SORT RETURN (ALL)"]
    ) {
      const r = await c.cmd(bad);
      assert.equal(r.length, 1, bad);
      assert.match(r[0]!, /^TAG BAD /, bad);
    }
    assert.deepEqual(await c.cmd("SORT (SIZE) UTF-8 ALL"), ["* SORT 7 2 3 1 4 5 6", "TAG OK SORT completed"]);
  } finally {
    await close();
  }
});
