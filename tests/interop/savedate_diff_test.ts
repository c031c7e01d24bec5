/**
 * SAVEDATE differential test against Dovecot 2.3.19 (RFC 8514): messages with INTERNALDATEs from
 * 2000 to 2012 are APPENDed to both servers and some COPYed, then SAVED* searches (alone, negated,
 * combined with internal-date keys, in UID SEARCH, in the COPY's target) run on both and the answers
 * must be identical; FETCH SAVEDATE must have the same shape (a quoted date-time) on both. Dovecot's
 * clock cannot be injected, so the search dates are a day or more from now: the moments between
 * the two servers' saves never matter.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, octets, startDovecot, startTern } from "./_dovecot.ts";

const enc = new TextEncoder();
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MESSAGES = [2000, 2004, 2008, 2012].map((y, i) => ({
  date: `15-Jan-${y} 12:00:00 +0000`,
  bytes: enc.encode(`Subject: m${i}\r\nFrom: a@x.example\r\n\r\nbody ${i}\r\n`),
}));

/** An IMAP search date `days` days from now (UTC). */
function day(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

/** A FETCH SAVEDATE value with the date-time replaced, so that only its shape is compared. */
const DATE_TIME = /"[ 0-9]\d-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"/g;

Deno.test({
  name: "SAVED* searches and FETCH SAVEDATE answer alike on Tern and Dovecot",
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
        assert.match((await w.cmd("CREATE Kept")).at(-1)!.text, /^TAG OK/);
        assert.match((await w.cmd("SELECT INBOX")).at(-1)!.text, /^TAG OK/);
        assert.match((await w.cmd("COPY 2:3 Kept")).at(-1)!.text, /^TAG OK/);
      }
      const commands = [
        "SEARCH SAVEDATESUPPORTED",
        "SEARCH NOT SAVEDATESUPPORTED",
        `SEARCH SAVEDSINCE ${day(-1)}`,
        `SEARCH SAVEDBEFORE ${day(2)}`,
        "SEARCH SAVEDBEFORE 1-Jan-2025",
        "SEARCH SAVEDON 15-Jan-2000",
        "SEARCH SAVEDSINCE 1-Jan-2099",
        "SEARCH OR SAVEDBEFORE 1-Jan-2025 BEFORE 1-Jan-2005",
        `SEARCH SAVEDSINCE ${day(-1)} SINCE 1-Jan-2006`,
        `UID SEARCH NOT SAVEDSINCE ${day(-1)}`,
        "SEARCH SAVEDSINCE 31-Foo-2026",
        "FETCH 1:* (SAVEDATE)",
        "UID FETCH 4 (UID SAVEDATE)",
        "SELECT Kept",
        `SEARCH SAVEDSINCE ${day(-1)}`,
        "SEARCH BEFORE 1-Jan-2005",
        "FETCH 2 SAVEDATE",
      ];
      const diffs: string[] = [];
      for (const c of commands) {
        const answer = async (w: typeof dw) => {
          const rs = await w.cmd(c);
          const tagged = rs.at(-1)!.text;
          if (!tagged.startsWith("TAG OK")) return tagged.replace(/^(TAG \S+).*$/, "$1");
          return rs.filter((r) => r.text.startsWith("* SEARCH") || / FETCH \(/.test(r.text))
            .map((r) => octets(r.bytes).replace(DATE_TIME, "<date-time>")).join("\n");
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
