/**
 * LIST/LSUB/LIST-EXTENDED/STATUS differential test against Dovecot: the same mailbox tree and
 * subscriptions on both servers (a subscribed child under an unsubscribed parent, subscribed
 * mailboxes that were then deleted, messages for STATUS), then a script of LIST, LSUB, LIST with
 * selection and return options (RFC 5258, RFC 5819) and STATUS, compared after normalisation.
 *
 * Normalisation (what legitimately differs): the order of untagged responses and of attributes;
 * the human text and response codes of tagged replies; `CHILDINFO` as atom or string;
 * \HasChildren/\HasNoChildren where the client did not ask for them (RFC 5258 §4 lets a server
 * send them anyway, Tern always does); Tern's default special-use mailboxes, which this Dovecot
 * does not have.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  dovecotMissing,
  type ImapPeer,
  type ImapWire,
  normaliseResponse,
  startDovecot,
  startTern,
} from "./_dovecot.ts";
import { normaliseAttrs } from "./_list_view.ts";

/** Mailboxes created (parents first, on both servers explicitly). */
const CREATE = ["a", "a/b", "a/b/c", "x", "y", "y/z", "q", "q/r", "d", "d/e", "R&-D"];
const SUBSCRIBE = ["INBOX", "a/b/c", "x", "y/z", "q", "q/r", "d/e"];
const UNSUBSCRIBE = ["a", "a/b", "y", "d", "R&-D"];
/** Deleted after subscribing: their names stay subscribed. */
const DELETE = ["x", "q/r", "d/e"];
/** Tern's default mailboxes, absent on this Dovecot: left out of the comparison. */
const TERN_DEFAULTS = /^\* (LIST|LSUB|STATUS) .*"?\b(Archive|Drafts|Junk|Sent|Trash)"?( |$)/;

const SCRIPT = [
  'LIST "" ""',
  'LIST "" %',
  'LIST "" *',
  'LIST "" a/%',
  'LIST "" %/%',
  'LIST "a/" %',
  'LIST "" */%',
  'LIST "" a*',
  'LIST "" inbox',
  'LIST "" R&-*',
  'LIST "" &',
  'LIST "" "a&b"',
  'LIST "a/b" ""',
  'LIST "/a" ""',
  'LIST "a" %',
  'LIST "a/" "/%"',
  'LIST "" "/%"',
  'LIST "" "*X*"',
  'LIST "" inb%',
  'LSUB "a/b" ""',
  'LSUB "" %',
  'LSUB "" *',
  'LSUB "" a/%',
  'LSUB "" %/%',
  'LSUB "a/" %',
  'LSUB "" &',
  'LIST (SUBSCRIBED) "" *',
  'LIST (SUBSCRIBED) "" %',
  'LIST (SUBSCRIBED) "" x',
  'LIST (SUBSCRIBED RECURSIVEMATCH) "" %',
  'LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (CHILDREN)',
  'LIST (SUBSCRIBED RECURSIVEMATCH) "" */%',
  'LIST (SUBSCRIBED) "" * RETURN (CHILDREN)',
  'LIST (SUBSCRIBED) "" * RETURN (STATUS (MESSAGES))',
  'LIST (REMOTE) "" %',
  'LIST (RECURSIVEMATCH) "" %',
  'LIST (RECURSIVEMATCH REMOTE) "" %',
  'LIST "" * RETURN (SUBSCRIBED)',
  'LIST "" * RETURN (CHILDREN)',
  'LIST "" % RETURN (SUBSCRIBED CHILDREN)',
  'LIST "" (a y) RETURN (CHILDREN STATUS (MESSAGES UIDNEXT UNSEEN))',
  'LIST "" %/% RETURN (STATUS (MESSAGES SIZE))',
  "STATUS a/b (MESSAGES UIDNEXT UNSEEN)",
  "STATUS y/z (MESSAGES UNSEEN SIZE)",
  "STATUS a (MESSAGES)",
  "STATUS x (MESSAGES)",
];

/** Commands whose answers differ on purpose, with the reason (docs/rfc.md lists them too). */
const DELIBERATE = new Map<string, string>([
  [
    'LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (CHILDREN)',
    "q and d lost their only children (deleted, still subscribed): Tern answers \\HasNoChildren from the " +
    "mailbox tree (RFC 5258 §4: children that are mailboxes), Dovecot \\HasChildren from the subscriptions",
  ],
]);

/** The normalised answer to one command. */
function normalise(command: string, lines: string[]): string[] {
  const extended = /^LIST \(/.test(command) || command.includes("RETURN");
  const keepChildren = !extended || command.includes("CHILDREN");
  const untagged = lines.slice(0, -1)
    .filter((l) => !TERN_DEFAULTS.test(l))
    .map((l) => normaliseAttrs(l.replace(/"CHILDINFO"/g, "CHILDINFO"), keepChildren))
    .sort();
  const tagged = normaliseResponse(lines.at(-1)!).replace(/^(TAG (?:OK|NO|BAD)).*$/, "$1");
  return [...untagged, tagged];
}

async function setUp(w: ImapWire): Promise<void> {
  for (const m of CREATE) await w.ok(`CREATE ${m}`);
  for (const m of SUBSCRIBE) await w.ok(`SUBSCRIBE ${m}`);
  for (const m of UNSUBSCRIBE) await w.ok(`UNSUBSCRIBE ${m}`);
  // Tern subscribes its default mailboxes; they are left out of the comparison anyway.
  const msg = new TextEncoder().encode("From: a@example.org\r\nSubject: s\r\n\r\nbody\r\n");
  for (const [m, flags] of [["a/b", []], ["a/b", ["\\Seen"]], ["y/z", ["\\Deleted"]]] as const) {
    const r = await w.append(m, msg, { flags: [...flags], date: "01-Jan-2024 12:00:00 +0000" });
    assert.ok(r.startsWith("TAG OK"), r);
  }
  for (const m of DELETE) await w.ok(`DELETE ${m}`);
}

Deno.test({
  name: "LIST, LSUB, LIST-EXTENDED and STATUS over a mailbox tree answer as Dovecot does",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    let tern: ImapPeer | null = null;
    try {
      tern = await startTern();
      const [dw, tw] = [await dovecot.login(), await tern.login()];
      try {
        await setUp(dw);
        await setUp(tw);
        const differ: string[] = [];
        let agreed = 0;
        for (const command of SCRIPT) {
          const d = normalise(command, (await dw.cmd(command)).map((r) => r.text));
          const t = normalise(command, (await tw.cmd(command)).map((r) => r.text));
          if (JSON.stringify(t) === JSON.stringify(d)) agreed++;
          else if (!DELIBERATE.has(command)) {
            differ.push(`${command}\n  dovecot: ${d.join(" | ")}\n  tern:    ${t.join(" | ")}`);
          }
        }
        console.log(
          `LIST script: ${agreed}/${SCRIPT.length} commands agree with Dovecot, ` +
            `${SCRIPT.length - agreed - differ.length} differ deliberately`,
        );
        assert.deepEqual(differ, [], `${differ.length} commands differ:\n${differ.join("\n")}`);
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
