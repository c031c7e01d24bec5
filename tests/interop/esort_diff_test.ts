/**
 * ESORT differential test against Dovecot 2.3.19 (RFC 5267 §3): the corpus (`../shared/corpus`)
 * is APPENDed to both servers with the same INTERNALDATEs, then SORT and UID SORT with RETURN
 * options run on both and every `* ESEARCH` line (the tag correlator aside) must be identical.
 * Only ARRIVAL and SIZE criteria are used: the header-derived keys have their own differential
 * test (sort_diff_test.ts) with its known differences, while the ESEARCH form is what this tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapWire, octets, startDovecot, startTern } from "./_dovecot.ts";
import { CORPUS_DIR, corpusFiles } from "./_corpus.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** INTERNALDATEs with repeats (so ARRIVAL has ties broken by sequence number). */
function internalDate(i: number): string {
  return `${String(1 + (i % 9)).padStart(2, "0")}-${MONTHS[i % 5]}-2024 12:00:00 +0000`;
}

const COMMANDS: string[] = [
  ...["SIZE", "REVERSE SIZE", "ARRIVAL", "REVERSE ARRIVAL", "ARRIVAL REVERSE SIZE"].flatMap((k) => [
    `SORT RETURN (ALL) (${k}) UTF-8 ALL`,
    `SORT RETURN (MIN MAX COUNT) (${k}) UTF-8 ALL`,
    `UID SORT RETURN (MIN MAX ALL COUNT) (${k}) UTF-8 ALL`,
  ]),
  "SORT RETURN () (SIZE) UTF-8 1:40",
  "SORT RETURN (ALL) (REVERSE SIZE) UTF-8 LARGER 5000",
  "UID SORT RETURN (ALL COUNT) (ARRIVAL) UTF-8 NOT 1:10",
  "SORT RETURN (MIN MAX ALL COUNT) (SIZE) UTF-8 LARGER 100000000",
];

async function esearchLine(w: ImapWire, command: string): Promise<string> {
  const rs = await w.cmd(command);
  const tagged = rs.at(-1)!.text;
  if (!tagged.startsWith("TAG OK")) return tagged.replace(/^(TAG \S+).*$/, "$1");
  const line = rs.find((r) => r.text.startsWith("* ESEARCH"));
  return line ? octets(line.bytes).replace(/^\* ESEARCH \(TAG "[^"]*"\)/, '* ESEARCH (TAG "T")') : "(none)";
}

const files = await corpusFiles();

Deno.test({
  name: "SORT RETURN answers the same ESEARCH lines on Tern and Dovecot over the corpus",
  ignore: dovecotMissing !== null || files.length === 0,
  async fn() {
    const messages: Uint8Array[] = [];
    for (const f of files) {
      const m = await Deno.readFile(new URL(f, CORPUS_DIR));
      // NUL octets need literal8; bare-CR line ends are stored as CRLF by Tern (docs/rfc.md).
      if (m.includes(0) || (m.includes(0x0d) && !m.includes(0x0a))) continue;
      messages.push(m);
    }
    const dovecot = await startDovecot();
    const tern = await startTern();
    try {
      const [dw, tw] = [await dovecot.login(), await tern.login()];
      for (const w of [dw, tw]) {
        for (let i = 0; i < messages.length; i++) {
          const r = await w.append("INBOX", messages[i]!, { flags: [], date: internalDate(i) });
          if (!r.startsWith("TAG OK")) throw new Error(`APPEND ${i} failed: ${r}`);
        }
        assert.match((await w.cmd("SELECT INBOX")).at(-1)!.text, /^TAG OK/);
      }
      const diffs: string[] = [];
      for (const c of COMMANDS) {
        const [d, t] = [await esearchLine(dw, c), await esearchLine(tw, c)];
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
