/**
 * Random scripts against Dovecot: fast-check builds short scripts of IMAP commands by three
 * sessions on one mailbox (`_imap_script.ts`: FETCH, STORE, SEARCH, EXPUNGE, COPY, MOVE, their UID
 * forms, SELECT, CLOSE, UNSELECT, NOOP, IDLE (ended at its continuation), CONDSTORE's CHANGEDSINCE, UNCHANGEDSINCE and SEARCH MODSEQ,
 * APPEND, STATUS, DELETE, CREATE and RENAME of the COPY/MOVE target from a session elsewhere, and
 * QRESYNC's EXAMINE (QRESYNC (…)) and UID FETCH … (CHANGEDSINCE … VANISHED) from a fourth), runs each
 * on a throwaway Dovecot and on Tern, and every step must answer the same (`viewDifference` in
 * `_session_view.ts` says what is compared and which differences are on purpose). Each script
 * ends with NOOP and a UID FETCH of every message's flags in both selecting sessions and STATUS of
 * both mailboxes, so the state the scripts leave is compared too. On Tern alone, every keyword in
 * a FETCH response must have been offered in a FLAGS response first (RFC 9051 §7.3.5).
 *
 * The scripts come from a fixed seed, so a run is repeatable; `TERN_RANDOM_DIFF_SEED`,
 * `TERN_RANDOM_DIFF_RUNS` and `TERN_RANDOM_DIFF_STEPS` (most steps a script has, default 14) explore
 * further (a failure prints its seed and the shrunk script).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  dovecotMissing,
  type ImapPeer,
  type ImapWire,
  type Response,
  startDovecot,
  startTern,
} from "./_dovecot.ts";
import { announcedBeforeUse, divergesOnPurpose, viewDifference, viewOf } from "./_session_view.ts";
import {
  describeScript,
  MODSEQ_MARK,
  type Script,
  scriptArbitrary,
  scriptMessage,
  type ScriptStep,
  UIDVALIDITY_MARK,
} from "./_imap_script.ts";

if (dovecotMissing) console.log(`random_diff_test skipped: ${dovecotMissing}`);

/** What one step answered on one server. */
interface Outcome {
  label: string;
  cmd: string;
  who: ScriptStep["who"];
  rs: Response[];
  view: string[];
}

type Sessions = Record<ScriptStep["who"], ImapWire>;

/** Steps every script starts and ends with (`BOX` is the script's mailbox). */
function framed(s: Script): ScriptStep[] {
  return [
    // CONDSTORE on from the start in both selecting sessions (RFC 7162 §3.1: once on, it stays on
    // for the connection, which the scripts share): every flag response then carries MODSEQ.
    { who: "a", cmd: "ENABLE CONDSTORE" },
    { who: "b", cmd: "ENABLE CONDSTORE" },
    { who: "a", cmd: "SELECT BOX" },
    { who: "b", cmd: `${s.bReadOnly ? "EXAMINE" : "SELECT"} BOX` },
    ...s.steps,
    { who: "a", cmd: "NOOP" },
    { who: "a", cmd: "UID FETCH 1:* (FLAGS)" },
    { who: "b", cmd: "NOOP" },
    { who: "b", cmd: "UID FETCH 1:* (FLAGS)" },
    { who: "c", cmd: "STATUS BOX (MESSAGES UIDNEXT UNSEEN)" },
    { who: "c", cmd: "STATUS BOXx (MESSAGES UIDNEXT UNSEEN)" },
    // `d` leaves the mailbox (BAD when it has none selected, on both servers).
    { who: "d", cmd: "UNSELECT" },
  ];
}

/** Runs a script on one server, on mailbox `box` (and `${box}x`), with its three sessions. */
async function run(w: Sessions, s: Script, box: string): Promise<Outcome[]> {
  const named = (x: string) => x.replaceAll("BOX", box);
  await w.c.ok(`CREATE ${box}`);
  await w.c.ok(`CREATE ${box}x`);
  // MODSEQs tracked from the start (Dovecot 2.3 turns them on for a mailbox at its first
  // CONDSTORE use and then numbers the messages it had alike): each APPEND gets its own.
  await w.c.ok(`STATUS ${box} (HIGHESTMODSEQ)`);
  for (const [i, flags] of s.initial.entries()) {
    await w.c.ok([`APPEND ${box} (${flags.join(" ")}) `, scriptMessage(i + 1)]);
  }
  // The MODSEQ the steps begin at, as this server counts (`MODSEQ_MARK`).
  const status = (await w.c.cmd(`STATUS ${box} (HIGHESTMODSEQ UIDVALIDITY)`)).map((r) => r.text).join(" ");
  const mark = /HIGHESTMODSEQ (\d+)/.exec(status)?.[1] ?? "1";
  const uidValidity = /UIDVALIDITY (\d+)/.exec(status)?.[1] ?? "1";
  const out: Outcome[] = [];
  for (const step of framed(s)) {
    const cmd = typeof step.cmd === "string"
      ? named(step.cmd)
      : step.cmd.map((p) => typeof p === "string" ? named(p) : p);
    const text = typeof cmd === "string"
      ? cmd.replaceAll(`${MODSEQ_MARK}+1`, String(Number(mark) + 1)).replaceAll(MODSEQ_MARK, mark)
        .replaceAll(UIDVALIDITY_MARK, uidValidity)
      : String(cmd[0]);
    const rs = text === "IDLE"
      ? await w[step.who].idle()
      : await w[step.who].cmd(typeof cmd === "string" ? text : cmd);
    const label = `${step.who}: ${typeof step.cmd === "string" ? step.cmd : step.cmd[0]}`;
    out.push({ label, cmd: text, who: step.who, rs, view: viewOf(text, rs) });
  }
  return out;
}

/** A command that may expunge messages other sessions still show. */
const EXPUNGING = /^(UID )?(EXPUNGE|MOVE)\b|^CLOSE$/i;

/** Steps compared, and scripts whose comparison stopped where the servers part ways on purpose. */
const tally = { steps: 0, parted: 0 };

/** The first step where Tern (`got`) and Dovecot (`want`) part ways, or null. */
function firstDifference(want: Outcome[], got: Outcome[]): string | null {
  const offered: Record<ScriptStep["who"], Set<string>> = {
    a: new Set(),
    b: new Set(),
    c: new Set(),
    d: new Set(),
  };
  // Whether a session may still show a message another session expunged: a STORE on such a
  // message is answered differently on purpose (`viewDifference`'s `pendingExpunge`).
  const pending: Record<ScriptStep["who"], boolean> = { a: false, b: false, c: false, d: false };
  // A STORE on a message another session expunged, by a session still showing it: Dovecot changes
  // the expunged message's record, which other sessions still showing it then report; Tern changes
  // only that session's view (RFC 2180 §4.2 allows both). Those sessions' flags part ways there.
  let ghostStore = false;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    tally.steps++;
    if (divergesOnPurpose(w.cmd, w.view, g.view)) return parted();
    // A message added and expunged by others before this session looked: Dovecot announces it
    // (EXISTS, then EXPUNGE later), Tern never shows it; the session's numbers differ from there on.
    const exists = (v: string[]) => v.filter((l) => /^\* \d+ EXISTS$/.test(l)).join();
    if (pending[g.who] && exists(w.view) !== exists(g.view)) return parted();
    if (/^(SELECT|EXAMINE) /i.test(g.cmd)) offered[g.who].clear();
    const late = announcedBeforeUse(g.rs, offered[g.who]);
    if (late.length > 0) return `${g.label}: Tern used keywords before offering them: ${late.join(" ")}`;
    const d = viewDifference(w.cmd, w.view, g.view, { pendingExpunge: pending[g.who] });
    if (d && ghostStore && pending[g.who]) return parted();
    if (d) return `${g.label}\n${d}`;
    if (pending[g.who] && /^(UID )?STORE /i.test(g.cmd)) ghostStore = true;
    if (/^(NOOP|IDLE|SELECT |EXAMINE )/i.test(g.cmd)) pending[g.who] = false;
    if (EXPUNGING.test(g.cmd)) {
      for (const who of ["a", "b", "d"] as const) if (who !== g.who) pending[who] = true;
    }
  }
  return null;
}

function parted(): null {
  tally.parted++;
  return null;
}

async function sessions(peer: ImapPeer): Promise<Sessions> {
  const d = await peer.login();
  // RFC 7162 §3.2.3: QRESYNC on for the connection (it implies CONDSTORE).
  await d.ok("ENABLE QRESYNC");
  return { a: await peer.login(), b: await peer.login(), c: await peer.login(), d };
}

Deno.test({
  name: "random IMAP scripts of three sessions answer as Dovecot answers",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    const onDovecot = await sessions(dovecot);
    const onTern = await sessions(tern);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          scriptArbitrary("BOX", Number(Deno.env.get("TERN_RANDOM_DIFF_STEPS") ?? 14)),
          async (script) => {
            // A new mailbox per run (shrinking runs included), the same name on both servers.
            const box = `r${++n}`;
            const want = await run(onDovecot, script, box);
            const got = await run(onTern, script, box);
            const d = firstDifference(want, got);
            assert.equal(d, null, `${describeScript(script)}\n>>> ${d}`);
          },
        ),
        {
          seed: Number(Deno.env.get("TERN_RANDOM_DIFF_SEED") ?? 20261207),
          numRuns: Number(Deno.env.get("TERN_RANDOM_DIFF_RUNS") ?? 150),
        },
      );
      console.log(
        `random_diff_test: ${n} scripts, ${tally.steps} steps compared, ${tally.parted} scripts stopped early`,
      );
    } finally {
      for (const w of [...Object.values(onDovecot), ...Object.values(onTern)]) w.close();
      await tern.stop();
      await dovecot.stop();
    }
  },
});
