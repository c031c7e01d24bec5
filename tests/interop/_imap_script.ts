/**
 * Random IMAP scripts for the differential test against Dovecot (`random_diff_test.ts`): fast-check
 * arbitraries that build a short script of commands by three sessions on one mailbox, from the
 * commands of IMAP4rev1 with UIDPLUS, MOVE, UNSELECT, IDLE and CONDSTORE that both servers answer
 * (RFC 3501 §6, RFC 4315, RFC 6851, RFC 3691, RFC 2177, RFC 7162). Sessions `a` and `b` have the mailbox
 * selected (`b` sometimes read-only); `c` has nothing selected and APPENDs, asks STATUS and deletes,
 * creates and renames the COPY/MOVE target, as a second client would; `d`, with QRESYNC on,
 * resynchronises read-only (RFC 7162 §3.2.5) as a client coming back would.
 *
 * Message numbers and UIDs are drawn a little beyond the mailbox's size on purpose, so that
 * commands on numbers that do not exist (or no longer do) are part of what is compared.
 *
 * @module
 */
import fc from "fast-check";

/** The session that sends a step. */
export type Who = "a" | "b" | "c" | "d";

/** One command of a script: its text after the tag, or pieces with a literal (`ImapWire.cmd`). */
export interface ScriptStep {
  who: Who;
  cmd: string | (string | Uint8Array)[];
}

/** A script: the messages the mailbox starts with, whether `b` uses EXAMINE, then the steps. */
export interface Script {
  /** Flags of each initial message (message n has the subject `sN` and a body of n words). */
  initial: string[][];
  /** `b` opens the mailbox with EXAMINE (read-only) instead of SELECT. */
  bReadOnly: boolean;
  steps: ScriptStep[];
}

const enc = new TextEncoder();

/** Message `n` of a script: subject `sN`, a body of N+1 lines (sizes differ for LARGER/SMALLER). */
export function scriptMessage(n: number): Uint8Array {
  return enc.encode(
    `From: Sender ${n} <s${n}@example.org>\r\nTo: r@example.org\r\nSubject: s${n}\r\n` +
      `Message-ID: <m${n}@example.org>\r\nDate: Mon, 02 Feb 2026 10:00:0${n % 10} +0000\r\n\r\n` +
      "word\r\n".repeat(n + 1),
  );
}

const FLAGS = ["\\Seen", "\\Flagged", "\\Deleted", "\\Answered", "\\Draft", "kw1", "kw2"] as const;

const flag = fc.constantFrom(...FLAGS);
const flagList = fc.uniqueArray(flag, { maxLength: 3 }).map((xs) => `(${xs.join(" ")})`);

/**
 * A message-number or UID set over 1..max, including `*`, ranges both ways and lists; `n:*` only
 * with `openRanges` (SEARCH leaves it out: on fewer than n messages Dovecot matches none, where
 * RFC 9051 §9 makes `n:*` the range from the last message to n, which names the last message).
 */
function numberSet(max: number, openRanges = true): fc.Arbitrary<string> {
  const n = fc.integer({ min: 1, max });
  const forms: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: n.map(String) },
    { weight: 2, arbitrary: fc.tuple(n, n).map(([x, y]) => `${x}:${y}`) },
    { weight: 1, arbitrary: fc.constant("*") },
    { weight: 2, arbitrary: fc.constant("1:*") },
    { weight: 1, arbitrary: fc.uniqueArray(n, { minLength: 2, maxLength: 3 }).map((xs) => xs.join(",")) },
  ];
  if (openRanges) forms.push({ weight: 1, arbitrary: n.map((x) => `${x}:*`) });
  return fc.oneof(...forms);
}

const seqSet = numberSet(8);
const uidSet = numberSet(14);
const searchSeqSet = numberSet(8, false);

const fetchAtt = fc.uniqueArray(
  fc.constantFrom(
    "FLAGS",
    "UID",
    "RFC822.SIZE",
    "INTERNALDATE",
    "ENVELOPE",
    "BODY.PEEK[HEADER.FIELDS (SUBJECT)]",
    "BODY.PEEK[TEXT]<0.10>",
    "BODY.PEEK[]<5.30>",
    "BODY.PEEK[1]",
    "RFC822.HEADER",
    "BODYSTRUCTURE",
    // Not PEEK: these set \Seen (RFC 9051 §6.4.5), except in a read-only session.
    "BODY[TEXT]",
    "RFC822.TEXT",
    "BODY[]<0.12>",
    "BODY[HEADER.FIELDS (FROM)]",
  ),
  { minLength: 1, maxLength: 3 },
).map((xs) => (xs.length === 1 ? xs[0]! : `(${xs.join(" ")})`));

/**
 * The MODSEQ placeholder: the mailbox's HIGHESTMODSEQ when the script's steps begin, as each
 * server reports it (`STATUS … (HIGHESTMODSEQ)`, RFC 7162 §3.1.2), since each counts its own (and
 * numbers the first messages differently: Dovecot gives them one MODSEQ, Tern one each). Against
 * it, CHANGEDSINCE and UNCHANGEDSINCE ask what the steps changed, which both must agree on.
 */
export const MODSEQ_MARK = "@MARK";

/** The UIDVALIDITY placeholder of a QRESYNC parameter (each server's own, read with the mark). */
export const UIDVALIDITY_MARK = "@UV";

/** A search key that is (or holds) a system flag's absence. */
const NEGATED_FLAG =
  /\b(UN(SEEN|FLAGGED|DELETED|ANSWERED|DRAFT)|NOT (SEEN|FLAGGED|DELETED|ANSWERED|DRAFT))\b/;

/** RFC 3501 §6.4.4 search keys over what the scripts vary: flags, numbers, sizes, subjects. */
const searchKey: fc.Arbitrary<string> = fc.letrec<{ key: string }>((tie) => ({
  key: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(
      "ALL",
      "SEEN",
      "UNSEEN",
      "FLAGGED",
      "UNFLAGGED",
      "DELETED",
      "UNDELETED",
      "ANSWERED",
      "DRAFT",
      "KEYWORD kw1",
      "UNKEYWORD kw2",
      "SUBJECT s2",
      "BODY word",
      "FROM s3",
      "FROM sender",
      "TO r@example.org",
      "CC r",
      "TEXT s4",
      "TEXT word",
      "HEADER Message-ID m5",
      'HEADER Subject ""',
      'HEADER X-Missing ""',
      "SENTON 2-Feb-2026",
      "SENTBEFORE 3-Feb-2026",
      "SENTSINCE 3-Feb-2026",
      // Not RECENT, NEW, OLD: Dovecot 2.3 gives \Recent of a message a SEARCH announced to the next
      // session that runs NOOP, not to the one told first (RFC 3501 §2.3.2; docs/rfc.md).
    ),
    fc.integer({ min: 200, max: 260 }).map((n) => `LARGER ${n}`),
    fc.integer({ min: 200, max: 260 }).map((n) => `SMALLER ${n}`),
    searchSeqSet,
    uidSet.map((s) => `UID ${s}`),
    // Not NOT of a parenthesised list: Dovecot 2.3 answers `OR NOT (ANSWERED) ANSWERED`, which
    // every message matches, with none (docs/rfc.md); Tern with every message.
    tie("key").filter((k) => !k.startsWith("(")).map((k) => `NOT ${k}`),
    // Not OR of two keys that each hold a negated system flag: Dovecot 2.3 answers `OR UNDELETED
    // UNFLAGGED` as if it were AND, also with one inside a list, `OR (UNSEEN ALL) UNDELETED`
    // (docs/rfc.md).
    fc.tuple(tie("key"), tie("key")).filter(([x, y]) => !(NEGATED_FLAG.test(x) && NEGATED_FLAG.test(y)))
      .map(([x, y]) => `OR ${x} ${y}`),
    fc.tuple(tie("key"), tie("key")).map(([x, y]) => `(${x} ${y})`),
  ),
})).key;

/**
 * A command of a session that has the mailbox selected (or had: after CLOSE, UNSELECT, or SELECT of
 * the other mailbox, which its commands then act on); with
 * `readOnly` (EXAMINE) only the commands that change nothing in it: Dovecot answers OK to a STORE
 * there and lets MOVE and EXPUNGE through, where Tern answers NO [READ-ONLY] (docs/rfc.md).
 */
function selectedCommand(box: string, readOnly: boolean): fc.Arbitrary<ScriptStep["cmd"]> {
  const store = fc.tuple(
    fc.constantFrom("+FLAGS", "-FLAGS", "FLAGS", "+FLAGS.SILENT", "-FLAGS.SILENT", "FLAGS.SILENT"),
    flagList,
  );
  // RFC 7162 CONDSTORE, against the MODSEQ the script's steps began at (`MODSEQ_MARK`).
  const ref = fc.constant(MODSEQ_MARK);
  const reads: fc.WeightedArbitrary<ScriptStep["cmd"]>[] = [
    {
      weight: 1,
      arbitrary: fc.tuple(seqSet, ref).map(([s, r]) => `FETCH ${s} (FLAGS) (CHANGEDSINCE ${r})`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(uidSet, ref).map(([s, r]) => `UID FETCH ${s} (FLAGS) (CHANGEDSINCE ${r})`),
    },
    // SEARCH MODSEQ n is "n or more": the messages changed after the mark.
    { weight: 1, arbitrary: fc.constant(`SEARCH MODSEQ ${MODSEQ_MARK}+1`) },
    { weight: 4, arbitrary: fc.tuple(seqSet, fetchAtt).map(([s, a]) => `FETCH ${s} ${a}`) },
    { weight: 2, arbitrary: fc.tuple(uidSet, fetchAtt).map(([s, a]) => `UID FETCH ${s} ${a}`) },
    { weight: 3, arbitrary: searchKey.map((k) => `SEARCH ${k}`) },
    // A search string sent as a literal (RFC 9051 §4.3).
    {
      weight: 1,
      arbitrary: fc.constantFrom("s1", "word", "Sender 2").map((v): (string | Uint8Array)[] => [
        "SEARCH SUBJECT ",
        enc.encode(v),
        " NOT DELETED",
      ]),
    },
    { weight: 1, arbitrary: searchKey.map((k) => `UID SEARCH ${k}`) },
    // RFC 4731 ESEARCH.
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom("", "UID "),
        fc.constantFrom("(MIN MAX COUNT)", "(ALL)", "()"),
        searchKey,
      )
        .map(([u, r, k]) => `${u}SEARCH RETURN ${r} ${k}`),
    },
    { weight: 1, arbitrary: uidSet.map((s) => `UID COPY ${s} ${box}x`) },
    { weight: 2, arbitrary: fc.constant("NOOP") },
    // RFC 2177: the updates other sessions made are told in IDLE or before its tagged OK (the
    // test ends it with DONE at its continuation).
    { weight: 1, arbitrary: fc.constant("IDLE") },
    { weight: 1, arbitrary: fc.constant("CHECK") },
    { weight: 1, arbitrary: seqSet.map((s) => `COPY ${s} ${box}x`) },
  ];
  const writes: fc.WeightedArbitrary<ScriptStep["cmd"]>[] = [
    // An APPEND to the selected mailbox (RFC 4315 APPENDUID; the session learns of it).
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 9 }), flagList).map((
        [n, f],
      ): (string | Uint8Array)[] => [`APPEND ${box} ${f} `, scriptMessage(n)]),
    },
    { weight: 4, arbitrary: fc.tuple(seqSet, store).map(([s, [op, f]]) => `STORE ${s} ${op} ${f}`) },
    { weight: 2, arbitrary: fc.tuple(uidSet, store).map(([s, [op, f]]) => `UID STORE ${s} ${op} ${f}`) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom("", "UID "), seqSet, ref, store).map(([u, s, r, [op, f]]) =>
        `${u}STORE ${s} (UNCHANGEDSINCE ${r}) ${op} ${f}`
      ),
    },
    { weight: 2, arbitrary: fc.constant("EXPUNGE") },
    { weight: 1, arbitrary: uidSet.map((s) => `UID EXPUNGE ${s}`) },
    { weight: 1, arbitrary: seqSet.map((s) => `MOVE ${s} ${box}x`) },
    { weight: 1, arbitrary: uidSet.map((s) => `UID MOVE ${s} ${box}x`) },
    { weight: 1, arbitrary: fc.constantFrom(`SELECT ${box}`, "CLOSE", "UNSELECT", `SELECT ${box}x`) },
  ];
  return fc.oneof(...reads, ...(readOnly ? [] : writes));
}

/** A command of the session with nothing selected. */
function otherCommand(box: string): fc.Arbitrary<ScriptStep["cmd"]> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 9 }), flagList).map((
        [n, f],
      ): (string | Uint8Array)[] => [`APPEND ${box} ${f} `, scriptMessage(n)]),
    },
    { weight: 1, arbitrary: fc.constant(`STATUS ${box} (MESSAGES RECENT UIDNEXT UNSEEN)`) },
    { weight: 1, arbitrary: fc.constant(`STATUS ${box}x (MESSAGES UIDNEXT UNSEEN)`) },
    // The COPY/MOVE target deleted, made again, renamed away and back (a session that selected it
    // then has it taken away: RFC 9051 §6.3.9).
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `DELETE ${box}x`,
        `CREATE ${box}x`,
        `RENAME ${box}x ${box}y`,
        `RENAME ${box}y ${box}x`,
      ),
    },
  );
}

/**
 * A command of session `d` (QRESYNC on): a read-only resynchronisation with the mark, with a set of
 * the UIDs the client knows (RFC 7162 §3.2.5: VANISHED (EARLIER) then names only those) and with
 * sequence-match data (message numbers and the UIDs the client had at them), a UID FETCH with
 * VANISHED, and NOOP and FETCH, at which VANISHED stands in for EXPUNGE (RFC 7162 §3.2.10).
 */
function resyncCommand(box: string): fc.Arbitrary<string> {
  const qresync = (rest: string) => `EXAMINE ${box} (QRESYNC (${UIDVALIDITY_MARK} ${MODSEQ_MARK}${rest}))`;
  const uids = numberSet(14).filter((x) => x !== "*");
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(qresync("")) },
    // Read-write: expunges by others then come as VANISHED at NOOP, IDLE and FETCH (§3.2.10).
    { weight: 1, arbitrary: fc.constant(`SELECT ${box} (QRESYNC (${UIDVALIDITY_MARK} ${MODSEQ_MARK}))`) },
    { weight: 1, arbitrary: uids.map((k) => qresync(` ${k}`)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 })).map(
        ([n, shift]) => {
          const seqs = Array.from({ length: n }, (_, i) => i + 1);
          return qresync(` 1:14 (${seqs.join(",")} ${seqs.map((x) => x + shift).join(",")})`);
        },
      ),
    },
    // Malformed sequence-match data (RFC 7162 §3.2.5: no `*`, exactly two sets).
    {
      weight: 1,
      arbitrary: fc.constantFrom(" 1:14 (1:* 1:3)", " 1:14 (1:2)", " 1:14 (1:2 1:2 3)", " 1:* (1 1)").map(
        qresync,
      ),
    },
    { weight: 2, arbitrary: fc.constant(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${MODSEQ_MARK} VANISHED)`) },
    {
      weight: 1,
      arbitrary: uidSet.map((k) => `UID FETCH ${k} (FLAGS) (CHANGEDSINCE ${MODSEQ_MARK} VANISHED)`),
    },
    { weight: 2, arbitrary: fc.constantFrom("NOOP", "IDLE") },
    { weight: 1, arbitrary: fc.constant("FETCH 1:* (FLAGS)") },
    { weight: 1, arbitrary: fc.constant("UNSELECT") },
  );
}

/**
 * A script on mailbox `box` (its COPY/MOVE target is `${box}x`): 1 to 6 initial messages, then
 * up to `maxSteps` steps.
 */
export function scriptArbitrary(box: string, maxSteps = 14): fc.Arbitrary<Script> {
  const steps = (bReadOnly: boolean) =>
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: selectedCommand(box, false).map((cmd): ScriptStep => ({ who: "a", cmd })) },
        {
          weight: 3,
          arbitrary: selectedCommand(box, bReadOnly).map((cmd): ScriptStep => ({ who: "b", cmd })),
        },
        { weight: 1, arbitrary: otherCommand(box).map((cmd): ScriptStep => ({ who: "c", cmd })) },
        // Session `d` (QRESYNC on) resynchronises: what changed and vanished since the mark
        // (RFC 7162 §3.2.5), read-only so it claims no \Recent and sets no \Seen.
        { weight: 1, arbitrary: resyncCommand(box).map((cmd): ScriptStep => ({ who: "d", cmd })) },
      ),
      { minLength: 1, maxLength: maxSteps, size: "max" },
    );
  // Not both a session selecting the target and the target deleted or renamed: Dovecot then ends
  // that session (BYE, "Mailbox was deleted under us"), which the scripts' sessions do not survive.
  // Nor a session selecting the target and a MODSEQ_MARK, taken in the script's mailbox: Dovecot
  // counts MODSEQs per mailbox, Tern per account.
  const selectsTarget = (st: ScriptStep) => st.cmd === `SELECT ${box}x`;
  const takesTarget = (st: ScriptStep) =>
    typeof st.cmd === "string" && (/^(DELETE|RENAME) /.test(st.cmd) || st.cmd.includes(MODSEQ_MARK));
  return fc.boolean().chain((bReadOnly) =>
    fc.record({
      initial: fc.array(fc.uniqueArray(flag, { maxLength: 2 }), { minLength: 1, maxLength: 6 }),
      bReadOnly: fc.constant(bReadOnly),
      steps: steps(bReadOnly).filter((xs) => !(xs.some(selectsTarget) && xs.some(takesTarget))),
    })
  );
}

/** The script as readable lines (for a failure message). */
export function describeScript(s: Script): string {
  const lines = [
    `initial flags: ${JSON.stringify(s.initial)}; b ${s.bReadOnly ? "EXAMINE" : "SELECT"}`,
  ];
  for (const st of s.steps) lines.push(`${st.who}: ${typeof st.cmd === "string" ? st.cmd : st.cmd[0]}`);
  return lines.join("\n");
}
