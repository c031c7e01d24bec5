/**
 * SEARCH as Dovecot answers it (issue 11), byte-exact on the wire: sent dates compare the Date:
 * day in the sender's own zone (RFC 9051 §6.4.4), sequence numbers above EXISTS match nothing
 * rather than being BAD, a BAD never ends the session, BODY finds text in quoted-printable, base64
 * and non-UTF-8 parts case-insensitively, BODY is the body alone while TEXT adds every header
 * field, and HEADER matches decoded encoded words.
 */
import assert from "node:assert/strict";
import { python } from "../support/line_client.ts";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p.replaceAll("\n", "\r\n"))] : p),
  );

/** 1: 23:30 on 2 Feb in its zone (3 Feb UTC); 2: 00:30 on 3 Feb in its zone (2 Feb UTC); 3: no Date:. */
const DATED = [
  "From: Ada <ada@example.org>\nSubject: west\nDate: Mon, 02 Feb 2026 23:30:00 -0800\n\nwest\n",
  "From: Bob <bob@example.org>\nSubject: east\nDate: Tue, 03 Feb 2026 00:30:00 +1300\n\neast\n",
  "From: Nil <nil@example.org>\nSubject: undated\n\nundated\n",
];

/** Text in transfer encodings and charsets (1-4), and header-only words (5). */
const ENCODED: Uint8Array[] = [
  bytes(
    "From: q@example.org\nSubject: qp soft breaks\nMIME-Version: 1.0\n" +
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
      "This line is brok=\nen softly and has caf=C3=A9 in it.\n",
  ),
  bytes(
    "From: b@example.org\nSubject: base64\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n" +
      "--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
      btoa(String.fromCharCode(...enc.encode("Zebrafish \u00dcBER"))) + "\n--XX--\n",
  ),
  bytes(
    "From: l@example.org\nSubject: latin1\nMIME-Version: 1.0\n" +
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nGr",
    [0xfc, 0xdf, 0x65],
    " aus K",
    [0xf6],
    "ln, ",
    [0xc9, 0x54, 0xc9],
    "\n",
  ),
  bytes(
    "From: w@example.org\nSubject: cp1252\nMIME-Version: 1.0\n" +
      "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n" +
      "=93Smart quotes=94 cost =8050\n",
  ),
  bytes(
    "From: h@example.org\nSubject: =?utf-8?q?caf=C3=A9_headers?=\nX-Mailer: Frobnitz 3000\n\nplain body\n",
  ),
];

async function session(messages: (string | Uint8Array)[]) {
  const { t, user, port } = await setupImap();
  for (const m of messages) await t.deliver(user, typeof m === "string" ? m.replaceAll("\n", "\r\n") : m);
  const c = await RawImap.connect(port);
  await c.login();
  await c.cmd("SELECT INBOX");
  return {
    t,
    c,
    port,
    async close() {
      c.close();
      await t.close();
    },
  };
}

Deno.test("imap SENTON/SENTBEFORE/SENTSINCE compare the Date: day in the sender's zone; no Date: is 1-Jan-1970", async () => {
  const s = await session(DATED);
  try {
    const ok = ["TAG OK SEARCH completed"];
    assert.deepEqual(await s.c.cmd("SEARCH SENTON 2-Feb-2026"), ["* SEARCH 1", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH SENTON 3-Feb-2026"), ["* SEARCH 2", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH SENTBEFORE 3-Feb-2026"), ["* SEARCH 1 3", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH SENTSINCE 3-Feb-2026"), ["* SEARCH 2", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH SENTON 1-Jan-1970"), ["* SEARCH 3", ...ok]);
  } finally {
    await s.close();
  }
});

Deno.test("imap SEARCH with sequence numbers above EXISTS answers OK with the messages that exist", async () => {
  const s = await session(DATED.slice(0, 2));
  try {
    const ok = ["TAG OK SEARCH completed"];
    assert.deepEqual(await s.c.cmd("SEARCH 3"), ["* SEARCH", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH 5:7"), ["* SEARCH", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH 2:7"), ["* SEARCH 2", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH 1,9"), ["* SEARCH 1", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH NOT 9"), ["* SEARCH 1 2", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH OR 9 1"), ["* SEARCH 1", ...ok]);
    assert.deepEqual(await s.c.cmd("UID SEARCH 5"), ["* SEARCH", ...ok]);
    assert.deepEqual(await s.c.cmd("UID SEARCH UID 99:100"), ["* SEARCH", ...ok]);
    assert.deepEqual(await s.c.cmd("UID SEARCH UID 1:99"), ["* SEARCH 1 2", ...ok]);
    // An empty mailbox: "*" and any number name no message.
    assert.deepEqual(await s.c.cmd("CREATE Empty"), ["TAG OK [MAILBOXID (m7)] CREATE completed"]);
    await s.c.cmd("SELECT Empty");
    assert.deepEqual(await s.c.cmd("SEARCH *"), ["* SEARCH", ...ok]);
    assert.deepEqual(await s.c.cmd("SEARCH 1"), ["* SEARCH", ...ok]);
    assert.deepEqual(await s.c.cmd("UID SEARCH *"), ["* SEARCH", ...ok]);
    // 0 is not a sequence number at all (RFC 9051 §9 nz-number): BAD, as Dovecot.
    assert.deepEqual(await s.c.cmd("SEARCH 0"), ["TAG BAD Unknown search key 0"]);
  } finally {
    await s.close();
  }
});

Deno.test("imap a BAD SEARCH never ends the session", async () => {
  const s = await session(DATED.slice(0, 1));
  try {
    for (let i = 0; i < 25; i++) {
      assert.deepEqual(await s.c.cmd("SEARCH FROBNICATE"), ["TAG BAD Unknown search key FROBNICATE"]);
    }
    assert.deepEqual(await s.c.cmd("SEARCH ALL"), ["* SEARCH 1", "TAG OK SEARCH completed"]);
    assert.deepEqual(await s.c.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    await s.close();
  }
});

Deno.test("imap BODY finds text in quoted-printable, base64, ISO-8859-1 and windows-1252 parts, ignoring case", async () => {
  const s = await session(ENCODED);
  const search = async (q: string) => {
    const r = await s.c.cmd(`SEARCH ${q}`);
    assert.equal(r.at(-1), "TAG OK SEARCH completed", `${q}: ${r.join("\n")}`);
    return r[0]!;
  };
  try {
    assert.equal(await search('BODY "broken softly"'), "* SEARCH 1");
    assert.equal(await search('CHARSET UTF-8 BODY "CAFÉ"'), "* SEARCH 1");
    assert.equal(await search('BODY "zebrafish"'), "* SEARCH 2");
    assert.equal(await search('CHARSET UTF-8 BODY "über"'), "* SEARCH 2");
    assert.equal(await search('CHARSET UTF-8 BODY "grüße aus köln"'), "* SEARCH 3");
    assert.equal(await search('CHARSET UTF-8 BODY "été"'), "* SEARCH 3");
    assert.equal(await search('CHARSET UTF-8 BODY "“smart quotes”"'), "* SEARCH 4");
    assert.equal(await search('CHARSET UTF-8 BODY "€50"'), "* SEARCH 4");
    // One- and two-character needles (below the trigram index) fold non-ASCII case too.
    assert.equal(await search('CHARSET UTF-8 BODY "É"'), "* SEARCH 1 3");
    assert.equal(await search('CHARSET UTF-8 BODY "Ü"'), "* SEARCH 2 3");
  } finally {
    await s.close();
  }
});

Deno.test("imap BODY searches the body alone; TEXT adds every header field; HEADER decodes encoded words", async () => {
  const s = await session(ENCODED);
  const search = async (q: string) => (await s.c.cmd(`SEARCH ${q}`))[0]!;
  try {
    assert.equal(await search('BODY "qp soft breaks"'), "* SEARCH");
    assert.equal(await search('TEXT "qp soft breaks"'), "* SEARCH 1");
    assert.equal(await search('BODY "frobnitz"'), "* SEARCH");
    assert.equal(await search('TEXT "frobnitz"'), "* SEARCH 5");
    assert.equal(await search('TEXT "x-mailer: frob"'), "* SEARCH 5");
    assert.equal(await search('BODY "example.org"'), "* SEARCH");
    assert.equal(await search('CHARSET UTF-8 HEADER Subject "café head"'), "* SEARCH 5");
    assert.equal(await search('CHARSET UTF-8 SUBJECT "café head"'), "* SEARCH 5");
  } finally {
    await s.close();
  }
});

Deno.test("imaplib SEARCH SENTON and an out-of-range sequence set", async () => {
  const s = await session(DATED);
  try {
    const out = JSON.parse(
      await python(
        `
import imaplib, json, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
M.login("u@example.org", "s3cret pass")
M.select("INBOX")
out = {
  "senton": M.search(None, "SENTON", "3-Feb-2026")[1][0].decode(),
  "range": list(M.search(None, "2:9")),
}
out["range"] = [out["range"][0], out["range"][1][0].decode()]
M.logout()
print(json.dumps(out))
`,
        [String(s.port)],
      ),
    );
    assert.equal(out.senton, "2");
    assert.deepEqual(out.range, ["OK", "2 3"]);
  } finally {
    await s.close();
  }
});

Deno.test("imap SEARCH HEADER with an impossible field name matches nothing; the first MODSEQ search reports HIGHESTMODSEQ", async () => {
  const s = await session(DATED);
  try {
    assert.deepEqual(await s.c.cmd('SEARCH HEADER "" ""'), ["* SEARCH", "TAG OK SEARCH completed"]);
    assert.deepEqual(await s.c.cmd('SEARCH HEADER "a b" ""'), ["* SEARCH", "TAG OK SEARCH completed"]);
    // RFC 7162 §3.1: SEARCH MODSEQ enables CONDSTORE; the first such command reports HIGHESTMODSEQ.
    const first = await s.c.cmd("SEARCH MODSEQ 1");
    assert.equal(first.length, 3, first.join("\n"));
    const highest = /^\* OK \[HIGHESTMODSEQ (\d+)\] Highest$/.exec(first[0]!)?.[1];
    assert.ok(highest, first.join("\n"));
    const modseq = /^\* SEARCH 1 2 3 \(MODSEQ (\d+)\)$/.exec(first[1]!)?.[1];
    assert.ok(modseq && Number(modseq) <= Number(highest), first.join("\n"));
    assert.equal(first[2], "TAG OK SEARCH completed");
    // Only the first: CONDSTORE is on now.
    assert.deepEqual(await s.c.cmd("SEARCH MODSEQ 1"), [first[1], "TAG OK SEARCH completed"]);
  } finally {
    await s.close();
  }
});

Deno.test("imap SEARCH CHARSET ISO-8859-1 decodes the search strings; an unknown charset is NO [BADCHARSET]", async () => {
  const s = await session(ENCODED);
  try {
    // "köl" in ISO-8859-1, as a literal: message 3 has "Köln" (sent in ISO-8859-1 too).
    await s.c.c.sendBytes(bytes("s1 SEARCH CHARSET ISO-8859-1 BODY {3+}\n", [0x6b, 0xf6, 0x6c], "\n"));
    assert.deepEqual(await s.c.until("s1"), ["* SEARCH 3", "TAG OK SEARCH completed"]);
    await s.c.c.sendBytes(bytes("s2 SEARCH CHARSET WINDOWS-1252 BODY {1+}\n", [0x80], "\n"));
    assert.deepEqual(await s.c.until("s2"), ["* SEARCH 4", "TAG OK SEARCH completed"]);
    assert.deepEqual(await s.c.cmd('SEARCH CHARSET X-NONESUCH BODY "a"'), [
      "TAG NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset",
    ]);
  } finally {
    await s.close();
  }
});
