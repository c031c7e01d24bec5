/**
 * CATENATE differential test against Dovecot 2.3.19 (RFC 4469): the same multipart message is
 * APPENDed to both servers, then APPEND CATENATE builds messages from TEXT literals and relative
 * IMAP URLs (whole message, sections, a partial range); the stored messages (BODY[]) must be
 * byte-identical on both, and URLs naming no message must be refused with NO [BADURL] on both.
 * Known difference, not compared: a URL naming a part the message does not have (`;SECTION=7`)
 * is NO [BADURL] on Tern, while Dovecot appends it as empty text.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, octets, startDovecot, startTern } from "./_dovecot.ts";

const enc = new TextEncoder();

const SOURCE = enc.encode(
  [
    "Subject: source",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "first part",
    "--b",
    "Content-Type: text/plain",
    "",
    "second part",
    "--b--",
    "",
  ].join("\r\n"),
);

/** CATENATE commands: pieces as `ImapWire.cmd` takes them (Uint8Array pieces are literals). */
const BUILDS: (string | Uint8Array)[][] = [
  ["APPEND Kept CATENATE (TEXT ", enc.encode("Subject: built\r\n\r\n"), ' URL "/INBOX/;UID=1/;SECTION=2")'],
  ['APPEND Kept CATENATE (URL "/INBOX/;UID=1/;SECTION=HEADER" TEXT ', enc.encode("new body\r\n"), ")"],
  ['APPEND Kept CATENATE (URL "/INBOX/;UID=1/;PARTIAL=0.17" URL "/INBOX/;UID=1/;SECTION=1.MIME")'],
  ['APPEND Kept (\\Seen) CATENATE (URL "/INBOX/;UID=1" TEXT ', enc.encode("trailer\r\n"), ")"],
];

const BAD = [
  'APPEND Kept CATENATE (URL "/INBOX/;UID=9")',
  'APPEND Kept CATENATE (URL "/Nowhere/;UID=1")',
];

Deno.test({
  name: "APPEND CATENATE stores the same bytes on Tern and Dovecot, and both refuse bad URLs",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    try {
      const [dw, tw] = [await dovecot.login(), await tern.login()];
      for (const w of [dw, tw]) {
        const r = await w.append("INBOX", SOURCE, { flags: [] });
        if (!r.startsWith("TAG OK")) throw new Error(`APPEND failed: ${r}`);
        assert.match((await w.cmd("CREATE Kept")).at(-1)!.text, /^TAG OK/);
      }
      const diffs: string[] = [];
      for (const [i, b] of BUILDS.entries()) {
        const answer = async (w: typeof dw) => {
          const tagged = (await w.cmd(b)).at(-1)!.text;
          if (!tagged.startsWith("TAG OK")) return tagged;
          assert.match((await w.cmd("EXAMINE Kept")).at(-1)!.text, /^TAG OK/);
          const rs = await w.cmd(`FETCH ${i + 1} (FLAGS BODY.PEEK[])`);
          return rs.filter((r) => / FETCH \(/.test(r.text)).map((r) => octets(r.bytes)).join("\n");
        };
        const [d, t] = [await answer(dw), await answer(tw)];
        if (d !== t) diffs.push(`${octets(enc.encode(String(b[0])))}\n  dovecot: ${d}\n  tern:    ${t}`);
      }
      for (const c of BAD) {
        const answer = async (w: typeof dw) =>
          (await w.cmd(c)).at(-1)!.text.replace(/^(TAG NO \[BADURL)[^\]]*\].*$/, "$1]");
        const [d, t] = [await answer(dw), await answer(tw)];
        if (d !== t) diffs.push(`${c}\n  dovecot: ${d}\n  tern:    ${t}`);
      }
      assert.deepEqual(diffs, [], diffs.join("\n"));
      dw.close();
      tw.close();
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
