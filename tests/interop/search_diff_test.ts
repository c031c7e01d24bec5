/**
 * SEARCH differential test against Dovecot: the corpus (`../shared/corpus`) plus a few crafted
 * messages (dates that straddle zones, a missing and a broken Date:, quoted-printable with soft
 * line breaks, base64, ISO-8859-1 and windows-1252 text) are APPENDed to both servers with the same
 * flags, keywords and INTERNALDATE, then a battery of SEARCH keys (RFC 9051 §6.4.4) runs on both and
 * every key must return the same set of messages.
 *
 * Keys whose answers differ on purpose are listed in `DELIBERATE` with the reason (docs/rfc.md
 * repeats them); everything else must agree. The agreement count is printed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, type ImapWire, octets, startDovecot, startTern } from "./_dovecot.ts";
import { CORPUS_DIR, corpusFiles } from "./_corpus.ts";

const enc = new TextEncoder();
const crlf = (s: string) => s.replaceAll("\n", "\r\n");
const b64 = (s: string) => btoa(String.fromCharCode(...enc.encode(s))).replace(/.{1,76}/g, "$&\n");
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => typeof p === "string" ? [...enc.encode(crlf(p))] : p));

/** Crafted messages appended after the corpus. */
const CRAFTED: Uint8Array[] = [
  // 23:30 on the 2nd in its own zone, the 3rd in UTC.
  bytes(
    "From: Ada <ada@zone.example>\nTo: bob@zone.example\nSubject: west of UTC\n" +
      "Date: Mon, 02 Feb 2026 23:30:00 -0800\n\nzonewest text\n",
  ),
  // 00:30 on the 3rd in its own zone, the 2nd in UTC.
  bytes(
    "From: Bob <bob@zone.example>\nTo: ada@zone.example\nSubject: east of UTC\n" +
      "Date: Tue, 03 Feb 2026 00:30:00 +1300\n\nzoneeast text\n",
  ),
  bytes("From: N <n@zone.example>\nSubject: no date at all\n\nundated text\n"),
  bytes("From: N <n@zone.example>\nSubject: broken date\nDate: not a date\n\nbroken date text\n"),
  bytes(
    "From: Q <q@enc.example>\nTo: r@enc.example\nSubject: qp soft breaks\nX-Mailer: Frobnitz 3000\n" +
      "Date: Mon, 02 Feb 2026 10:00:00 +0000\nMIME-Version: 1.0\n" +
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
      "This line is brok=\nen softly and has caf=C3=A9 and na=C3=AFve words.\n",
  ),
  bytes(
    "From: B <b@enc.example>\nTo: r@enc.example\nSubject: base64 part\n" +
      "Date: Mon, 02 Feb 2026 10:00:00 +0000\nMIME-Version: 1.0\n" +
      "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n" +
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
      b64("Zebrafish \u00dcBER stra\u00dfe") + "--XX\n" +
      "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
      b64("hidden binary kumquat") + "--XX--\n",
  ),
  bytes(
    "From: L <l@enc.example>\nTo: r@enc.example\nSubject: latin1\n" +
      "Date: Mon, 02 Feb 2026 10:00:00 +0000\nMIME-Version: 1.0\n" +
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nGr",
    [0xfc, 0xdf, 0x65],
    " aus K",
    [0xf6],
    "ln, ",
    [0xc9, 0x54, 0xc9],
    "\n",
  ),
  bytes(
    "From: W <w@enc.example>\nTo: r@enc.example\nSubject: cp1252\n" +
      "Date: Mon, 02 Feb 2026 10:00:00 +0000\nMIME-Version: 1.0\n" +
      "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n" +
      "=93Smart quotes=94 cost =8050\n",
  ),
];

/** Flags and keywords by message index (cycling). */
const FLAGS: string[][] = [
  [],
  ["\\Seen"],
  ["\\Seen", "\\Answered"],
  ["\\Flagged", "$Label1"],
  ["\\Seen", "\\Deleted"],
  ["\\Draft"],
  ["\\Seen", "\\Flagged", "$Label2"],
];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Noon UTC on one of 28 days in 2024, so the day is the same in any server time zone. */
function internalDate(i: number): string {
  const day = 1 + (i % 28);
  return `${String(day).padStart(2, "0")}-${MONTHS[i % 12]}-2024 12:00:00 +0000`;
}

/** The battery (RFC 9051 §6.4.4 search keys). Literal UTF-8 goes in quoted strings with CHARSET. */
const KEYS: string[] = [
  "ALL",
  // Sequence and UID sets, including numbers above EXISTS.
  "1",
  "1:10",
  "380:*",
  "*",
  "400",
  "390:500",
  "1,500",
  "NOT 500",
  "OR 1 500",
  "UID 1:5",
  "UID 9999",
  "UID 380:*",
  "UID 1000:2000",
  // Flags and keywords.
  "ANSWERED",
  "DELETED",
  "DRAFT",
  "FLAGGED",
  "SEEN",
  "UNANSWERED",
  "UNDELETED",
  "UNDRAFT",
  "UNFLAGGED",
  "UNSEEN",
  "KEYWORD $Label1",
  "UNKEYWORD $Label1",
  "KEYWORD $Label2",
  "KEYWORD nosuchkeyword",
  // Internal dates.
  "BEFORE 5-Jan-2024",
  "ON 3-Mar-2024",
  "SINCE 20-Dec-2024",
  "SINCE 1-Jan-2025",
  // Sent dates, including days that differ between the sender's zone and UTC.
  "SENTON 17-May-2000",
  "SENTON 18-May-2000",
  "SENTBEFORE 18-May-2000",
  "SENTSINCE 18-May-2000",
  "SENTON 15-Feb-2007",
  "SENTON 14-Feb-2007",
  "SENTON 10-Oct-2009",
  "SENTON 21-Mar-1993",
  "SENTON 2-Feb-2026",
  "SENTON 3-Feb-2026",
  "SENTBEFORE 3-Feb-2026",
  "SENTSINCE 3-Feb-2026",
  "SENTBEFORE 1-Jan-1971",
  "SENTON 1-Jan-1970",
  "SENTSINCE 1-Jan-2010",
  "SENTBEFORE 1-Jan-2005",
  // Addresses.
  'FROM "doe"',
  'FROM "example.com"',
  'FROM "zone.example"',
  'FROM "Ada"',
  'TO "example.com"',
  'TO "ada@zone"',
  'CC "example"',
  'BCC "example"',
  'FROM "@"',
  'FROM "mailer-daemon"',
  // Subject.
  'SUBJECT "test"',
  'SUBJECT "Re:"',
  'SUBJECT "delivery"',
  'SUBJECT "UTC"',
  // Body text: decoded transfer encodings and charsets, case-insensitive.
  'BODY "hello"',
  'BODY "attachment"',
  'BODY "thank you"',
  'BODY "unsubscribe"',
  'BODY "Lorem ipsum"',
  'BODY "broken softly"',
  'BODY "zebrafish"',
  'BODY "kumquat"',
  'BODY "qp soft breaks"',
  'BODY "zone.example"',
  'CHARSET UTF-8 BODY "café"',
  'CHARSET UTF-8 BODY "CAFÉ"',
  'CHARSET UTF-8 BODY "naïve"',
  'CHARSET UTF-8 BODY "über"',
  'CHARSET UTF-8 BODY "grüße"',
  'CHARSET UTF-8 BODY "KÖLN"',
  'CHARSET UTF-8 BODY "été"',
  'CHARSET UTF-8 BODY "“smart"',
  'CHARSET UTF-8 BODY "€50"',
  'CHARSET UTF-8 BODY "é"',
  'CHARSET UTF-8 BODY "Привет"',
  // TEXT: header and body.
  'TEXT "frobnitz"',
  'TEXT "x-mailer"',
  'TEXT "qp soft breaks"',
  'TEXT "zonewest"',
  'TEXT "example.com"',
  'TEXT "doe"',
  'TEXT "Received"',
  // HEADER.
  'HEADER X-Mailer ""',
  'HEADER Message-ID "example"',
  'HEADER Subject "test"',
  'HEADER Content-Type "multipart"',
  'HEADER Received ""',
  'HEADER X-Nonexistent ""',
  // Sizes (RFC822.SIZE: the CRLF form of what was APPENDed).
  "LARGER 1000",
  "LARGER 5000",
  "SMALLER 5000",
  "LARGER 100000",
  "SMALLER 300",
  // Combinations.
  "OR SEEN FLAGGED",
  "NOT SEEN",
  "SEEN FLAGGED",
  "(SEEN UNFLAGGED) NOT DELETED",
  'OR (FROM "doe") (SUBJECT "test")',
  'NOT BODY "hello"',
  "OR OR ANSWERED DRAFT KEYWORD $Label2",
];

/**
 * Deliberate differences, per corpus message: for keys matching `keys`, that message may be in one
 * answer and not the other. Each is a choice in how Tern reads text, listed in docs/rfc.md.
 */
const HTML =
  "HTML parts are searched as their text (tags and attributes out, entities decoded), Dovecot's as source";
const NAMES = "attachment file names are part of Tern's body text";
const CTE =
  "an unknown Content-Transfer-Encoding ('7-bit', '8bits', 'text/html') is read as identity; Dovecot skips the part";
const LATIN1 =
  "8-bit text without a declared charset is read as Latin-1 when it is not UTF-8; Dovecot matches no non-ASCII";
const ATTACHED =
  "an attached message's header is body text of the enclosing message: Tern's BODY matches it, Dovecot's skips it";
const NO_DOMAIN =
  "an address without a domain ('Whomever', '<>'): Dovecot matches its own rendering with '@' and a placeholder domain";
const BODY = /^(NOT )?(CHARSET UTF-8 )?(BODY|TEXT) /;
const ADDRESS = /^(FROM|TO|CC|BCC) /;
const KNOWN = new Map<string, { keys: RegExp; reason: string }>([
  ["0025-stalwart.eml", { keys: BODY, reason: HTML }],
  ["0031-stalwart.eml", { keys: BODY, reason: LATIN1 }],
  ["0251-zbateson.eml", { keys: BODY, reason: LATIN1 }],
  ["0133-mikelmail.eml", { keys: BODY, reason: CTE }],
  ["0138-mikelmail.eml", { keys: BODY, reason: CTE }],
  ["0139-mikelmail.eml", { keys: BODY, reason: CTE }],
  ["0374-mailparser.eml", { keys: BODY, reason: HTML }],
  ["0372-mailparser.eml", { keys: BODY, reason: HTML }],
  ["0382-postalmime.eml", { keys: BODY, reason: HTML }],
  ["0384-mailsplit.eml", { keys: BODY, reason: HTML }],
  ["0385-mailsplit.eml", { keys: BODY, reason: HTML }],
  ["0386-mailsplit.eml", { keys: BODY, reason: HTML }],
  ["0212-deltachat.eml", { keys: BODY, reason: NAMES }],
  ["0213-deltachat.eml", { keys: BODY, reason: NAMES }],
  ["0224-james.eml", { keys: BODY, reason: NAMES }],
  ["0313-phpmimemail.eml", { keys: BODY, reason: NAMES }],
  ["0053-stalwart.eml", { keys: BODY, reason: ATTACHED }],
  ["0157-mikelmail.eml", { keys: BODY, reason: ATTACHED }],
  ["0289-flanker.eml", { keys: BODY, reason: ATTACHED }],
  ["0377-wildduck.eml", {
    keys: BODY,
    reason: "the text of its attached messages: Tern searches it, Dovecot does not",
  }],
  ["0232-james.eml", { keys: BODY, reason: NAMES }],
  ["0263-mimekit.eml", { keys: BODY, reason: NAMES }],
  ["0309-phpmimemail.eml", { keys: BODY, reason: NAMES }],
  ["0257-zbateson.eml", { keys: BODY, reason: LATIN1 }],
  ["0364-sisimai.eml", { keys: BODY, reason: CTE }],
  ["0300-flanker.eml", {
    keys: BODY,
    reason: "boundary lines that do not match the declared boundary: Tern reads the text, Dovecot does not",
  }],
  ["0062-stalwart.eml", {
    keys: BODY,
    reason: "a base64 message/rfc822 part (RFC 2046 §5.2.1 allows only 7bit/8bit/binary): Tern decodes it",
  }],
  ["0144-mikelmail.eml", {
    keys: BODY,
    reason:
      "MIME part headers: Dovecot's TEXT searches them, Tern's only the message's and attached messages' headers",
  }],
  ["0055-stalwart.eml", { keys: ADDRESS, reason: NO_DOMAIN }],
  ["0058-stalwart.eml", { keys: ADDRESS, reason: NO_DOMAIN }],
  ["0071-stalwart.eml", { keys: ADDRESS, reason: NO_DOMAIN }],
  ["0261-mimekit.eml", { keys: ADDRESS, reason: NO_DOMAIN }],
  ["0346-sisimai.eml", { keys: ADDRESS, reason: NO_DOMAIN }],
  ["0252-zbateson.eml", {
    keys: ADDRESS,
    reason: "two From: fields: Tern's address index keeps the last (RFC 8621 §4.1.3), Dovecot the first",
  }],
  ["0132-mikelmail.eml", {
    keys: /SUBJECT|^HEADER Subject|^OR /,
    reason: "an encoded word in the unknown charset 'NONE' stays as written (core/mime/encoded_words.ts)",
  }],
  ["0369-mailparser.eml", {
    keys: BODY,
    reason:
      "1.1 MB of text: Tern indexes the first 64 KiB of a message's text (core/store/sqlite/message_index.ts)",
  }],
]);

/**
 * Corpus messages left out of the battery: their differences are in how the message is read,
 * not in SEARCH, and are listed in docs/rfc.md.
 */
const EXCLUDED = new Map<string, string>([
  ["0050-stalwart.eml", "Date: '7 Apr 2026 10:00:t …': Tern's lenient parser reads 10:00, Dovecot none"],
  ["0160-mikelmail.eml", "Date: in the year 3609: Tern reads it, Dovecot does not"],
  ["0323-horde.eml", "no header at all: Tern reads a body, Dovecot a header line"],
  ["0273-mimekit.eml", "starts with a UTF-8 BOM: Tern skips it, Dovecot reads a header named '\uFEFFFrom'"],
]);

/** Bare-CR line ends (old Mac): Tern stores them as CRLF (docs/rfc.md), Dovecot reads one header line. */
function bareCr(m: Uint8Array): boolean {
  return m.includes(0x0d) && !m.includes(0x0a);
}

async function appendAll(w: ImapWire, messages: Uint8Array[]): Promise<void> {
  for (let i = 0; i < messages.length; i++) {
    const r = await w.append("INBOX", messages[i]!, {
      flags: FLAGS[i % FLAGS.length]!,
      date: internalDate(i),
    });
    if (!r.startsWith("TAG OK")) throw new Error(`APPEND ${i} failed: ${r}`);
  }
}

async function searchLine(w: ImapWire, key: string): Promise<string> {
  const rs = await w.cmd(`SEARCH ${key}`);
  const tagged = rs.at(-1)!.text;
  if (!tagged.startsWith("TAG OK")) return tagged.replace(/^(TAG \S+).*$/, "$1");
  const line = rs.find((r) => r.text.startsWith("* SEARCH"));
  return line ? octets(line.bytes) : "(no SEARCH response)";
}

/**
 * The difference of two `* SEARCH` lines as "only dovecot […] only tern […]", leaving out the
 * sequence numbers `tolerated` accepts; null when nothing else differs.
 */
function setDiff(d: string, t: string, tolerated: (seq: number) => boolean): string | null {
  const nums = (l: string) =>
    l.startsWith("* SEARCH") ? new Set(l.slice(8).trim().split(" ").filter(Boolean)) : null;
  const [a, b] = [nums(d), nums(t)];
  if (!a || !b) return `dovecot ${JSON.stringify(d)}, tern ${JSON.stringify(t)}`;
  const onlyA = [...a].filter((x) => !b.has(x) && !tolerated(Number(x)));
  const onlyB = [...b].filter((x) => !a.has(x) && !tolerated(Number(x)));
  if (onlyA.length === 0 && onlyB.length === 0) return null;
  return `only dovecot [${onlyA.join(" ")}] only tern [${onlyB.join(" ")}]`;
}

const files = await corpusFiles();

Deno.test({
  name: "SEARCH keys over the corpus return the same messages on Tern and Dovecot",
  ignore: dovecotMissing !== null || files.length === 0,
  async fn() {
    // Messages with NUL octets need literal8 (RFC 3516), which plain APPEND refuses: left out.
    const names: string[] = [];
    const messages: Uint8Array[] = [];
    for (const f of files.filter((f) => !EXCLUDED.has(f))) {
      const m = await Deno.readFile(new URL(f, CORPUS_DIR));
      if (m.includes(0) || bareCr(m)) continue;
      names.push(f);
      messages.push(m);
    }
    messages.push(...CRAFTED);
    const dovecot = await startDovecot();
    let tern: ImapPeer | null = null;
    try {
      tern = await startTern();
      const [dw, tw] = [await dovecot.login(), await tern.login()];
      try {
        await Promise.all([appendAll(dw, messages), appendAll(tw, messages)]);
        await dw.ok("SELECT INBOX");
        await tw.ok("SELECT INBOX");
        const differ: string[] = [];
        let agreed = 0;
        let known = 0;
        for (const key of KEYS) {
          const [d, t] = [await searchLine(dw, key), await searchLine(tw, key)];
          if (d === t) {
            agreed++;
            continue;
          }
          const diff = setDiff(d, t, (seq) => KNOWN.get(names[seq - 1] ?? "")?.keys.test(key) ?? false);
          if (diff === null) known++;
          else differ.push(`${key}: ${diff}`);
        }
        console.log(
          `SEARCH battery: ${agreed}/${KEYS.length} keys agree with Dovecot exactly, ` +
            `${known} more differ only on messages listed in KNOWN`,
        );
        assert.deepEqual(differ, [], `${differ.length} keys differ:\n${differ.join("\n")}`);
      } finally {
        dw.close();
        tw.close();
      }
    } finally {
      await tern?.stop();
      await dovecot.stop();
    }
  },
});
