/**
 * Session-view parity with Dovecot: the same multi-session scripts run against a throwaway Dovecot
 * and against Tern, and every step must give the same tagged status and the same untagged
 * responses after normalisation. The scripts cover what RFC 9051 §7.5.1 / RFC 2180 §4.1 leave to
 * the server when sessions share a mailbox: a message expunged by one session while another
 * fetches, stores on, searches or deletes it; a keyword created by another session (FLAGS and
 * PERMANENTFLAGS announced before use, RFC 9051 §7.3.5); \Recent across sessions (RFC 3501
 * §2.3.2); the selected mailbox deleted by another session.
 *
 * Normalisation: `viewOf` (`_session_view.ts`, shared with `random_diff_test.ts`) after
 * `normaliseResponse` (tags, human text, UIDVALIDITY/APPENDUID values).
 *
 * Steps marked `deliberate` differ on purpose and only have to succeed on both servers:
 * - the content of a message expunged elsewhere: Tern keeps serving it (RFC 2180 §4.1.1, the
 *   preferred practice), Dovecot's maildir answers NIL with OK [EXPUNGEISSUED] (§4.1.3).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  dovecotMissing,
  type ImapPeer,
  type ImapWire,
  type Response,
  startDovecot,
  startTern,
} from "./_dovecot.ts";
import { tagged, viewOf } from "./_session_view.ts";

if (dovecotMissing) console.log(`concurrency_diff_test skipped: ${dovecotMissing}`);

const enc = new TextEncoder();
const MSG = (n: number) => enc.encode(`From: x@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`);

/** One command of a script, by session `a`, `b` or `c`. */
interface Step {
  who: "a" | "b" | "c";
  /** Command text after the tag, or pieces with literals (ImapWire.cmd). */
  cmd: string | (string | Uint8Array)[];
  /** Why the untagged responses may differ; then only "both succeed" is checked. */
  deliberate?: string;
  /** The session is expected to be ended by the server (BYE): only that is compared. */
  bye?: boolean;
}

const append = (box: string, n: number): (string | Uint8Array)[] => [`APPEND ${box} `, MSG(n)];

/** The scripts: setup steps first (their responses are compared too). */
const SCRIPTS: Record<string, Step[]> = {
  "a message expunged by one session while the other fetches, stores on and searches it": [
    { who: "c", cmd: "CREATE Exp" },
    { who: "c", cmd: append("Exp", 1) },
    { who: "c", cmd: append("Exp", 2) },
    { who: "c", cmd: append("Exp", 3) },
    { who: "a", cmd: "SELECT Exp" },
    { who: "b", cmd: "SELECT Exp" },
    { who: "a", cmd: "STORE 2 +FLAGS.SILENT (\\Deleted)" },
    { who: "a", cmd: "EXPUNGE" },
    { who: "b", cmd: "FETCH 1:3 (UID FLAGS)" },
    {
      who: "b",
      cmd: "FETCH 1:3 (BODY.PEEK[TEXT])",
      deliberate: "Tern serves the expunged message's content (RFC 2180 §4.1.1); Dovecot sends NIL",
    },
    { who: "b", cmd: "FETCH 1 (BODY.PEEK[TEXT] RFC822.SIZE)" },
    { who: "b", cmd: "STORE 2 +FLAGS (\\Flagged)" },
    { who: "b", cmd: "STORE 1:3 +FLAGS (\\Answered)" },
    { who: "b", cmd: "SEARCH ALL" },
    { who: "b", cmd: "SEARCH FLAGGED" },
    { who: "b", cmd: "NOOP" },
    { who: "b", cmd: "FETCH 1:* (UID FLAGS)" },
    { who: "a", cmd: "FETCH 1:* (UID FLAGS)" },
  ],
  "a keyword created by another session is announced before it is used": [
    { who: "c", cmd: "CREATE Kw" },
    { who: "c", cmd: append("Kw", 1) },
    { who: "c", cmd: append("Kw", 2) },
    { who: "a", cmd: "SELECT Kw" },
    { who: "b", cmd: "SELECT Kw" },
    { who: "b", cmd: "STORE 1 +FLAGS (foo)" },
    { who: "a", cmd: "NOOP" },
    { who: "a", cmd: "STORE 2 +FLAGS (bar)" },
    { who: "b", cmd: "FETCH 2 (FLAGS)" },
    { who: "b", cmd: "STORE 1 +FLAGS.SILENT (baz)" },
    { who: "a", cmd: "FETCH 1 (FLAGS)" },
    { who: "b", cmd: "NOOP" },
  ],
  "\\Recent is claimed by exactly one IMAP4rev1 session": [
    { who: "c", cmd: "CREATE Rc" },
    { who: "c", cmd: append("Rc", 1) },
    { who: "c", cmd: append("Rc", 2) },
    { who: "b", cmd: "STATUS Rc (MESSAGES RECENT UNSEEN)" },
    { who: "b", cmd: "EXAMINE Rc" },
    { who: "b", cmd: "FETCH 1:* (FLAGS)" },
    { who: "b", cmd: "SEARCH RECENT" },
    { who: "a", cmd: "SELECT Rc" },
    { who: "a", cmd: "FETCH 1:* (FLAGS)" },
    { who: "a", cmd: "SEARCH NEW" },
    { who: "b", cmd: "SELECT Rc" },
    { who: "c", cmd: "STATUS Rc (RECENT)" },
    { who: "c", cmd: append("Rc", 3) },
    { who: "c", cmd: "STATUS Rc (MESSAGES RECENT)" },
    { who: "b", cmd: "NOOP" },
    { who: "a", cmd: "NOOP" },
    { who: "a", cmd: "FETCH 1:* (FLAGS)" },
    { who: "b", cmd: "FETCH 1:* (FLAGS)" },
    { who: "b", cmd: "SEARCH OLD" },
    { who: "a", cmd: "SEARCH RECENT UNSEEN" },
    { who: "a", cmd: "STORE 1 +FLAGS (\\Seen)" },
    { who: "a", cmd: "SEARCH NEW" },
  ],
  "a mailbox deleted while selected elsewhere, with an expunge pending": [
    { who: "c", cmd: "CREATE Del" },
    { who: "c", cmd: append("Del", 1) },
    { who: "c", cmd: append("Del", 2) },
    { who: "a", cmd: "SELECT Del" },
    { who: "b", cmd: "SELECT Del" },
    { who: "b", cmd: "STORE 1 +FLAGS.SILENT (\\Deleted)" },
    { who: "b", cmd: "EXPUNGE" },
    { who: "a", cmd: "FETCH 1:2 (FLAGS)" },
    { who: "a", cmd: "DELETE Del" },
    { who: "b", cmd: "NOOP", bye: true },
  ],
};

/** Sends a command and reads until its tagged reply or the end of the connection. */
async function untilEnd(w: ImapWire, cmd: string): Promise<Response[]> {
  await w.write(enc.encode(`z1 ${cmd}\r\n`));
  const rs: Response[] = [];
  for (;;) {
    const r = await w.readResponse();
    if (!r) return rs;
    rs.push(r);
    if (r.text.startsWith("z1 ")) return rs;
  }
}

/** One step's outcome on one server. */
interface Outcome {
  tagged: string;
  view: string[];
}

async function run(peer: ImapPeer, steps: Step[]): Promise<Outcome[]> {
  const s = { a: await peer.login(), b: await peer.login(), c: await peer.login() };
  const out: Outcome[] = [];
  try {
    for (const step of steps) {
      const text = typeof step.cmd === "string" ? step.cmd : String(step.cmd[0]);
      if (step.bye) {
        const rs = await untilEnd(s[step.who], text);
        out.push({ tagged: "", view: rs.some((r) => r.text.startsWith("* BYE")) ? ["* BYE"] : [] });
        continue;
      }
      const rs = await s[step.who].cmd(step.cmd);
      out.push({ tagged: tagged(rs.at(-1)!), view: viewOf(text, rs) });
    }
  } finally {
    for (const w of Object.values(s)) w.close();
  }
  return out;
}

for (const [title, steps] of Object.entries(SCRIPTS)) {
  Deno.test({
    name: `session views agree with Dovecot: ${title}`,
    ignore: dovecotMissing !== null,
    async fn() {
      const dovecot = await startDovecot();
      const tern = await startTern();
      try {
        const want = await run(dovecot, steps);
        const got = await run(tern, steps);
        const diffs: string[] = [];
        for (let i = 0; i < steps.length; i++) {
          const step = steps[i]!;
          const label = `${step.who}: ${typeof step.cmd === "string" ? step.cmd : step.cmd[0]}`;
          // Never a NO or BAD where Dovecot has none.
          if (!/^TAG (NO|BAD)/.test(want[i]!.tagged)) {
            assert.doesNotMatch(got[i]!.tagged, /^TAG (NO|BAD)/, `${label}: ${got[i]!.tagged}`);
          }
          if (step.deliberate) {
            assert.match(got[i]!.tagged, /^TAG OK/, `${label} (${step.deliberate})`);
            assert.match(want[i]!.tagged, /^TAG OK/, `${label} (${step.deliberate})`);
            continue;
          }
          if (JSON.stringify(got[i]!.view) !== JSON.stringify(want[i]!.view)) {
            diffs.push(
              `${label}\n  dovecot: ${want[i]!.view.join(" | ")}\n  tern:    ${got[i]!.view.join(" | ")}`,
            );
          }
        }
        assert.deepEqual(diffs, [], diffs.join("\n"));
      } finally {
        await tern.stop();
        await dovecot.stop();
      }
    },
  });
}
