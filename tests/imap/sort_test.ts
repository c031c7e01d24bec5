/**
 * SORT and UID SORT on the wire (RFC 5256 §3, §4) with SORT=DISPLAY (RFC 5957): every sort key,
 * REVERSE, ties in sequence order, search keys and charsets, the empty result and errors. Replies
 * are compared byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

/** A message of exactly `size` octets (the body padded with "x"), CRLF line ends. */
function message(headers: string[], size: number): string {
  const head = headers.join("\r\n") + "\r\n\r\n";
  const pad = size - enc.encode(head).length - 2;
  if (pad < 0) throw new Error("message larger than its size");
  return head + "x".repeat(pad) + "\r\n";
}

/**
 * Five messages after a throwaway (expunged, so UID = sequence number + 1). Keys by sequence:
 *
 * | seq | INTERNALDATE | Date: (UTC)       | FROM  | TO    | CC   | display from/to   | base subject | size |
 * | 1   | 05-Feb-2026  | 02-Feb 19:00      | alice | carol | bob  | Zoe / carol@…     | beta         | 600  |
 * | 2   | 01-Jan-2024  | 02-Feb 10:00      | bob   | zed   | —    | Bob / Al          | alpha        | 400  |
 * | 3   | 02-Feb-2026  | — (15:00 INTERNAL)| alice.b | alice | ann | alice.b@… / alice@… | beta         | 500  |
 * | 4   | 01-Jan-2024  | 02-Feb 10:00      | Emile | bob   | —    | Émile / bob@…     | éclair       | 400  |
 * | 5   | 02-Jan-2024  | 02-Feb 20:00      | —     | —     | —    | — / —             | (empty)      | 2000 |
 */
const MESSAGES: [string, string][] = [
  ["01-Jan-2020 00:00:00 +0000", message(["Subject: throwaway"], 100)],
  [
    "05-Feb-2026 12:00:00 +0000",
    message([
      "From: Zoe <alice@x.example>",
      "To: carol@x.example",
      "Cc: bob@x.example, ann@x.example",
      "Subject: Re: beta",
      // 08:00 on the 3rd in its zone, 19:00 on the 2nd in UTC: before message 5 only in UTC.
      "Date: Tue, 03 Feb 2026 08:00:00 +1300",
    ], 600),
  ],
  [
    "01-Jan-2024 12:00:00 +0000",
    message([
      "From: Bob <bob@x.example>",
      "To: Al <zed@x.example>",
      "Subject: Alpha",
      "Date: Mon, 02 Feb 2026 10:00:00 +0000",
    ], 400),
  ],
  [
    "02-Feb-2026 15:00:00 +0000",
    message([
      // The local part sorts after "alice", the whole address ("alice.b@" < "alice@") before.
      "From: alice.b@a.example",
      "To: alice@x.example",
      "Cc: Ann <ann@x.example>",
      "Subject: [list] Fwd: beta (fwd)",
    ], 500),
  ],
  [
    "01-Jan-2024 12:00:00 +0000",
    message([
      "From: =?utf-8?q?=C3=89mile?= <Emile@x.example>",
      "To: bob@x.example",
      "Subject: =?utf-8?q?=C3=A9clair?=",
      "Date: Mon, 02 Feb 2026 10:00:00 +0000",
    ], 400),
  ],
  ["02-Jan-2024 12:00:00 +0000", message(["Date: Mon, 02 Feb 2026 12:00:00 -0800"], 2000)],
];

async function mailbox(): Promise<{ c: RawImap; port: number; close: () => Promise<void> }> {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  await c.login();
  for (const [date, m] of MESSAGES) {
    const r = await c.cmd(`APPEND INBOX "${date}" {${enc.encode(m).length}+}\r\n${m}`);
    assert.match(r.at(-1)!, /^TAG OK/);
  }
  await c.cmd("SELECT INBOX");
  await c.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
  assert.deepEqual((await c.cmd("EXPUNGE")).at(-1), "TAG OK EXPUNGE completed");
  return {
    c,
    port,
    close: async () => {
      c.close();
      await t.close();
    },
  };
}

Deno.test("imap SORT orders by every RFC 5256 and RFC 5957 key, REVERSE, ties in sequence order", async () => {
  const { c, close } = await mailbox();
  const sort = async (q: string) => {
    const r = await c.cmd(q);
    assert.equal(r.length, 2, `${q}: ${r.join("\n")}`);
    assert.equal(r[1], "TAG OK SORT completed", q);
    return r[0];
  };
  try {
    assert.equal(await sort("SORT (ARRIVAL) UTF-8 ALL"), "* SORT 2 4 5 3 1");
    // REVERSE reverses the key only: 2 and 4 arrived together and stay in sequence order.
    assert.equal(await sort("SORT (REVERSE ARRIVAL) UTF-8 ALL"), "* SORT 1 3 5 2 4");
    // RFC 5256 §3 DATE: Date: in UTC (1 before 5); message 3 has none and sorts by its INTERNALDATE.
    assert.equal(await sort("SORT (DATE) UTF-8 ALL"), "* SORT 2 4 3 1 5");
    assert.equal(await sort("SORT (REVERSE DATE) UTF-8 ALL"), "* SORT 5 1 3 2 4");
    // FROM/TO/CC: the mailbox (local part) of the first address, case-folded; none sorts first.
    assert.equal(await sort("SORT (FROM) UTF-8 ALL"), "* SORT 5 1 3 2 4");
    assert.equal(await sort("SORT (TO) UTF-8 ALL"), "* SORT 5 3 4 1 2");
    assert.equal(await sort("SORT (CC) UTF-8 ALL"), "* SORT 2 4 5 3 1");
    assert.equal(await sort("SORT (REVERSE CC) UTF-8 ALL"), "* SORT 1 3 2 4 5");
    assert.equal(await sort("SORT (SIZE) UTF-8 ALL"), "* SORT 2 4 3 1 5");
    // SUBJECT: the base subject (RFC 5256 §2.1): "Re: beta" = "[list] Fwd: beta (fwd)".
    assert.equal(await sort("SORT (SUBJECT) UTF-8 ALL"), "* SORT 5 2 1 3 4");
    assert.equal(await sort("SORT (REVERSE SUBJECT ARRIVAL) UTF-8 ALL"), "* SORT 4 3 1 2 5");
    // RFC 5957: the display name, else the address.
    assert.equal(await sort("SORT (DISPLAYFROM) UTF-8 ALL"), "* SORT 5 3 2 4 1");
    assert.equal(await sort("SORT (DISPLAYTO) UTF-8 ALL"), "* SORT 5 2 3 4 1");
    assert.equal(await sort("SORT (REVERSE DISPLAYTO) UTF-8 ALL"), "* SORT 1 4 3 2 5");
    assert.equal(await sort("sort (reverse size date) us-ascii all"), "* SORT 5 1 3 2 4");
  } finally {
    await close();
  }
});

Deno.test("imap SORT takes SEARCH keys and charsets; UID SORT answers UIDs; no match is a bare * SORT", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await c.cmd("SORT (SIZE) UTF-8 LARGER 450"), ["* SORT 3 1 5", "TAG OK SORT completed"]);
    assert.deepEqual(await c.cmd("SORT (DATE) US-ASCII UID 3:5"), ["* SORT 2 4 3", "TAG OK SORT completed"]);
    assert.deepEqual(await c.cmd("UID SORT (DATE) UTF-8 ALL"), ["* SORT 3 5 4 2 6", "TAG OK SORT completed"]);
    assert.deepEqual(await c.cmd("UID SORT (REVERSE SIZE) UTF-8 NOT 5"), [
      "* SORT 2 4 3 5",
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await c.cmd("SORT (SUBJECT) UTF-8 SUBJECT {7+}\r\néclair"), [
      "* SORT 4",
      "TAG OK SORT completed",
    ]);
    assert.deepEqual(await c.cmd("SORT (SUBJECT) ISO-8859-1 SUBJECT beta"), [
      "* SORT 1 3",
      "TAG OK SORT completed",
    ]);
    // RFC 5256 §4: sort-data = "SORT" *(SP nz-number).
    assert.deepEqual(await c.cmd("SORT (DATE) UTF-8 SEEN"), ["* SORT", "TAG OK SORT completed"]);
    assert.deepEqual(await c.cmd("UID SORT (DATE) UTF-8 UID 100:200"), ["* SORT", "TAG OK SORT completed"]);
    // RFC 5256 §3: an unknown charset is NO [BADCHARSET].
    assert.deepEqual(await c.cmd("SORT (DATE) X-NO-SUCH-CHARSET ALL"), [
      "TAG NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset",
    ]);
  } finally {
    await close();
  }
});

Deno.test("imap SORT refuses malformed criteria with BAD and is advertised with SORT=DISPLAY", async () => {
  const { c, close } = await mailbox();
  try {
    const caps = (await c.cmd("CAPABILITY"))[0]!.split(" ");
    assert.ok(caps.includes("SORT") && caps.includes("SORT=DISPLAY"), caps.join(" "));
    assert.deepEqual(await c.cmd("SORT DATE UTF-8 ALL"), ["TAG BAD Expected sort criteria list"]);
    assert.deepEqual(await c.cmd("SORT () UTF-8 ALL"), ["TAG BAD Empty sort criteria list"]);
    assert.deepEqual(await c.cmd("SORT (FLAVOUR) UTF-8 ALL"), ["TAG BAD Unknown sort criterion FLAVOUR"]);
    assert.deepEqual(await c.cmd("SORT (REVERSE) UTF-8 ALL"), ["TAG BAD REVERSE without a sort key"]);
    assert.deepEqual(await c.cmd("SORT (REVERSE REVERSE DATE) UTF-8 ALL"), [
      "TAG BAD Unknown sort criterion REVERSE",
    ]);
    assert.deepEqual(await c.cmd("SORT (DATE) UTF-8"), ["TAG BAD Missing search key"]);
    assert.deepEqual(await c.cmd("SORT (DATE)"), ["TAG BAD Expected charset"]);
    assert.deepEqual(await c.cmd("SORT (DATE) UTF-8 FROB"), ["TAG BAD Unknown search key FROB"]);
    await c.cmd("UNSELECT");
    const r = await c.cmd("SORT (DATE) UTF-8 ALL");
    assert.equal(r.length, 1);
    assert.match(r[0]!, /^TAG BAD /);
  } finally {
    await close();
  }
});

Deno.test("imap SORT and THREAD hold back an EXPUNGE from elsewhere (RFC 9051 §7.5.1); UID SORT sends it", async () => {
  const { c, port, close } = await mailbox();
  const b = await RawImap.connect(port);
  try {
    await b.login();
    await b.cmd("SELECT INBOX");
    // MOVE (RFC 6851) keeps the message (same id, now in Archive) while it leaves INBOX.
    assert.match((await b.cmd("MOVE 5 Archive")).at(-1)!, /^TAG OK /);
    const sorted = await c.cmd("SORT (ARRIVAL) UTF-8 ALL");
    assert.ok(!sorted.some((l) => l.includes("EXPUNGE")), sorted.join("\n"));
    assert.deepEqual(sorted.slice(-2), ["* SORT 2 4 5 3 1", "TAG OK SORT completed"]);
    // The message expunged elsewhere keeps its Date: (not its 2024 INTERNALDATE) while it is shown
    // (the store's sent dates list the mailbox as it is now: its date comes from its summary).
    assert.deepEqual(await c.cmd("SORT (DATE) UTF-8 ALL"), ["* SORT 2 4 3 1 5", "TAG OK SORT completed"]);
    const threads = await c.cmd("THREAD ORDEREDSUBJECT UTF-8 ALL");
    assert.ok(!threads.some((l) => l.includes("EXPUNGE")), threads.join("\n"));
    assert.deepEqual(await c.cmd("UID SORT (ARRIVAL) UTF-8 ALL"), [
      "* 5 EXPUNGE",
      "* 4 RECENT",
      "* SORT 3 5 4 2",
      "TAG OK SORT completed",
    ]);
  } finally {
    b.close();
    await close();
  }
});

Deno.test("imap SORT with a MODSEQ key enables CONDSTORE and ends with (MODSEQ n) (RFC 7162 §3.1.5)", async () => {
  const { c, close } = await mailbox();
  try {
    const r = await c.cmd("SORT (ARRIVAL) UTF-8 MODSEQ 1");
    assert.equal(r.length, 3, r.join("\n"));
    assert.match(r[0]!, /^\* OK \[HIGHESTMODSEQ \d+\] /);
    assert.match(r[1]!, /^\* SORT 2 4 5 3 1 \(MODSEQ \d+\)$/);
    assert.equal(r[2], "TAG OK SORT completed");
    // Nothing matched: no MODSEQ part (sort-data is "SORT" alone).
    assert.deepEqual(await c.cmd("SORT (ARRIVAL) UTF-8 MODSEQ 1 SEEN"), ["* SORT", "TAG OK SORT completed"]);
  } finally {
    await close();
  }
});
