/**
 * CONTEXT=SEARCH differential test against Dovecot 2.3.19 (RFC 5267 §4): the same messages and
 * the same conversation on both servers: PARTIAL results, RETURN (UPDATE) contexts kept current
 * while a second session changes flags, appends and expunges, and CANCELUPDATE. The ESEARCH lines
 * (ADDTO/REMOVEFROM included), the EXPUNGE/EXISTS lines they are ordered against, and the tagged
 * status of every command must be identical. (Dovecot does not advertise CONTEXT=SORT, so SORT
 * updates are tested on Tern alone in tests/imap/context_test.ts.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, type ImapWire } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const enc = new TextEncoder();

/** What is compared: ESEARCH, EXPUNGE, EXISTS and NOUPDATE lines and the tagged status word. */
function essential(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (/^\* (ESEARCH|\d+ EXPUNGE|\d+ EXISTS|NO \[NOUPDATE)/.test(l)) out.push(l);
    else if (l.startsWith("TAG ")) out.push(l.split(" ").slice(0, 2).join(" "));
  }
  return out;
}

/** The conversation: [session, command]; session "a" holds the contexts, "b" changes the mailbox. */
const SCRIPT: ["a" | "b", string][] = [
  ["a", "SELECT INBOX"],
  ["b", "SELECT INBOX"],
  ["a", "SEARCH RETURN (PARTIAL 1:2) ALL"],
  ["a", "UID SEARCH RETURN (PARTIAL 2:4 COUNT) ALL"],
  ["a", "SEARCH RETURN (PARTIAL 10:12) ALL"],
  ["a", "SEARCH RETURN (PARTIAL 4:2) ALL"],
  ["a", "SEARCH RETURN (MIN PARTIAL 2:3) UNSEEN"],
  ["a", "SEARCH RETURN (PARTIAL 1:2 ALL) ALL"],
  ["a", "SEARCH RETURN (PARTIAL 0:2) ALL"],
  ["a", "SEARCH RETURN (PARTIAL 1:2 PARTIAL 2:3) ALL"],
  ["a", "SEARCH RETURN (UPDATE UPDATE) ALL"],
  ["a", "SORT RETURN (PARTIAL 1:3) (REVERSE SUBJECT) UTF-8 ALL"],
  ["a", "SORT RETURN (PARTIAL 2:9 MIN COUNT) (SUBJECT) UTF-8 UNSEEN"],
  ["a", "SEARCH RETURN (CONTEXT) ALL"],
  ["a", "UID SEARCH RETURN (UPDATE) UNSEEN"],
  ["a", "UID SEARCH RETURN (UPDATE COUNT) ALL"],
  ["a", "SEARCH RETURN (UPDATE) ALL"],
  ["a", "SEARCH RETURN (UPDATE MIN MAX) UNSEEN"],
  ["b", "STORE 1 -FLAGS.SILENT (\\Seen)"],
  ["b", "STORE 2 +FLAGS.SILENT (\\Seen)"],
  ["a", "NOOP"],
  ["b", "APPEND"],
  ["b", "STORE 3 +FLAGS.SILENT (\\Deleted)"],
  ["b", "EXPUNGE"],
  ["a", "NOOP"],
  ["a", 'CANCELUPDATE "nosuch"'],
  ["a", "CANCELUPDATE"],
  // "@command": the tag of that earlier command (each connection numbers its own tags).
  ["a", "CANCELUPDATE @UID SEARCH RETURN (UPDATE COUNT) ALL"],
  ["a", "CANCELUPDATE @UID SEARCH RETURN (UPDATE COUNT) ALL"],
  ["b", "STORE 4 -FLAGS.SILENT (\\Seen)"],
  ["b", "APPEND"],
  ["a", "NOOP"],
];

async function run(peer: ImapPeer, tagOf: Map<string, string>): Promise<string[]> {
  const a = await peer.login();
  const b = await peer.login();
  const log: string[] = [];
  try {
    for (let i = 1; i <= 6; i++) {
      const m = enc.encode(`Subject: m${i}\r\nFrom: a@example.org\r\n\r\nbody ${i}\r\n`);
      const r = await a.append("INBOX", m, { flags: i % 2 ? ["\\Seen"] : [] });
      if (!r.startsWith("TAG OK")) throw new Error(`APPEND failed: ${r}`);
    }
    const w: Record<"a" | "b", ImapWire> = { a, b };
    const tags = new Map<string, string>();
    for (const [who, command] of SCRIPT) {
      const sent = command.replace(/@(.*)$/, (_, c: string) => `"${tags.get(c)}"`);
      const rs = command === "APPEND"
        ? [{ text: await w.b.append("INBOX", enc.encode("Subject: new\r\n\r\nnew\r\n"), { flags: [] }) }]
        : await w[who].cmd(sent);
      const tag = rs.map((r) => /^\* ESEARCH \(TAG "([^"]+)"\)/.exec(r.text)?.[1]).find((t) => t);
      if (tag) tags.set(command, tag);
      log.push(`${who}: ${command}`, ...essential(rs.map((r) => r.text)).map((l) => "  " + l));
    }
  } finally {
    a.close();
    b.close();
  }
  // The correlator tags are each connection's own ("wN"): named by the command that set them.
  return log.map((l) =>
    l.replace(/\(TAG "(w\d+)"\)/, (_, t: string) => {
      if (!tagOf.has(t)) tagOf.set(t, `T${tagOf.size}`);
      return `(TAG "${tagOf.get(t)}")`;
    })
  );
}

Deno.test({
  name: "CONTEXT=SEARCH: PARTIAL, UPDATE's ADDTO/REMOVEFROM and CANCELUPDATE answer as Dovecot does",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    try {
      const d = await run(dovecot, new Map());
      const t = await run(tern, new Map());
      if (Deno.env.get("SHOW")) console.log(t.join("\n"));
      assert.deepEqual(t, d);
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
