/**
 * WITHIN differential test against Dovecot 2.3.19 (RFC 5032): messages with INTERNALDATEs from
 * 2000 to 2024 are APPENDed to both servers, then OLDER/YOUNGER searches (alone, negated,
 * combined, in UID SEARCH and SORT) run on both and the answers must be identical. Dovecot's clock
 * cannot be injected, so each interval is computed from the real clock to put its cutoff months
 * away from every message: the few milliseconds between the two servers never matter.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, octets, startDovecot, startTern } from "./_dovecot.ts";

const enc = new TextEncoder();
const YEARS = [2000, 2003, 2006, 2009, 2012, 2015, 2018, 2021, 2024];
const MESSAGES = YEARS.map((y, i) => ({
  date: `15-Jan-${y} 12:00:00 +0000`,
  bytes: enc.encode(`Subject: m${i}\r\nFrom: a@x.example\r\n\r\nbody ${i}\r\n`),
}));

/** The interval, in seconds, whose cutoff (now minus the interval) is 1 July of `year`. */
function intervalTo(year: number): number {
  return Math.floor((Date.now() - Date.UTC(year, 6, 1)) / 1000);
}

Deno.test({
  name: "OLDER and YOUNGER select the same messages on Tern and Dovecot",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    try {
      const [dw, tw] = [await dovecot.login(), await tern.login()];
      for (const w of [dw, tw]) {
        for (const m of MESSAGES) {
          const r = await w.append("INBOX", m.bytes, { flags: [], date: m.date });
          if (!r.startsWith("TAG OK")) throw new Error(`APPEND failed: ${r}`);
        }
        assert.match((await w.cmd("SELECT INBOX")).at(-1)!.text, /^TAG OK/);
      }
      const commands = [
        `SEARCH OLDER ${intervalTo(2010)}`,
        `SEARCH YOUNGER ${intervalTo(2010)}`,
        `SEARCH NOT OLDER ${intervalTo(2016)}`,
        `SEARCH OLDER ${intervalTo(2004)} YOUNGER ${intervalTo(2019)}`,
        `SEARCH OR YOUNGER ${intervalTo(2022)} OLDER ${intervalTo(2001)}`,
        `UID SEARCH YOUNGER ${intervalTo(2013)}`,
        `SEARCH YOUNGER ${intervalTo(1990)}`,
        `SEARCH OLDER ${intervalTo(2025)}`,
        `SORT (REVERSE ARRIVAL) UTF-8 YOUNGER ${intervalTo(2007)}`,
        "SEARCH OLDER 0",
        "SEARCH YOUNGER x",
      ];
      const diffs: string[] = [];
      for (const c of commands) {
        const answer = async (w: typeof dw) => {
          const rs = await w.cmd(c);
          const tagged = rs.at(-1)!.text;
          if (!tagged.startsWith("TAG OK")) return tagged.replace(/^(TAG \S+).*$/, "$1");
          return rs.filter((r) => r.text.startsWith("* SEARCH") || r.text.startsWith("* SORT"))
            .map((r) => octets(r.bytes)).join("\n");
        };
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
