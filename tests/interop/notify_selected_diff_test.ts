/**
 * NOTIFY and the selected mailbox against Dovecot 2.3.19 (RFC 5465 §6): a client with INBOX selected
 * sets event groups that do not name SELECTED (PERSONAL, INBOXES); another connection appends to
 * INBOX and to a second mailbox, sets a flag and expunges in INBOX. Compared: what the watcher is
 * told up to the end of a NOOP (normalised, tests/interop/_dovecot.ts; responses as a set, since
 * the second mailbox's STATUS may come before or with the NOOP).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, normaliseResponse } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const MSG = "From: u@localhost\r\nTo: u@localhost\r\nSubject: n\r\n\r\nhello\r\n";

/**
 * Tern creates special-use mailboxes (Drafts, Sent…) that Dovecot's test account lacks: only the
 * STATUS of the mailbox the test made is compared.
 */
function keep(line: string): boolean {
  return !line.startsWith("* STATUS ") || line.startsWith("* STATUS Other ");
}

/** UIDVALIDITY and HIGHESTMODSEQ values are each server's own: only their presence is compared. */
function maskStatus(line: string): string {
  return line.replace(/(UIDVALIDITY|HIGHESTMODSEQ) \d+/g, "$1 *");
}

/**
 * The selected mailbox's EXISTS and EXPUNGE lines, replayed in order from `exists` messages, become
 * one summary line: Tern tells them between commands as they happen (EXISTS before a later
 * EXPUNGE), Dovecot at the NOOP (EXPUNGE first), and both leave the client with the same mailbox.
 * RECENT is left out: which session gets a new message's \Recent depends on which one hears of it
 * first (RFC 3501 §2.3.2), a race with the writer that the test does not control.
 */
function summariseSelected(lines: string[], exists: number): string[] {
  const out: string[] = [];
  let expunged = 0;
  let told = false;
  for (const line of lines) {
    const m = /^\* (\d+) (EXISTS|EXPUNGE|RECENT)$/.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    told = true;
    if (m[2] === "EXISTS") exists = Number(m[1]);
    if (m[2] === "EXPUNGE") {
      exists--;
      expunged++;
    }
  }
  if (told) out.push(`selected: ${expunged} expunged, ${exists} exist`);
  return out;
}

async function run(peer: ImapPeer, groups: string): Promise<string[]> {
  const watcher = await peer.login();
  const writer = await peer.login();
  try {
    assert.match((await writer.cmd("CREATE Other")).at(-1)!.text, /^\S+ OK/);
    for (let i = 0; i < 2; i++) {
      assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    }
    assert.match((await watcher.cmd("SELECT INBOX")).at(-1)!.text, /^\S+ OK/);
    const set = await watcher.cmd(`NOTIFY SET STATUS ${groups}`);
    const log = set.map((r) => normaliseResponse(r));
    assert.match((await writer.cmd("SELECT INBOX")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd(`APPEND Other {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd("STORE 2 +FLAGS (\\Flagged)")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd("STORE 1 +FLAGS (\\Deleted)")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd("EXPUNGE")).at(-1)!.text, /^\S+ OK/);
    const noop = await watcher.cmd("NOOP");
    log.push(...summariseSelected(noop.map((r) => normaliseResponse(r)), 2).sort());
    return log.filter(keep).map(maskStatus);
  } finally {
    watcher.close();
    writer.close();
  }
}

/**
 * The same during IDLE (RFC 5465 §4: NOTIFY's rules apply in IDLE too): the watcher idles while the
 * writer changes INBOX and then appends to Other; what it is told up to Other's new STATUS, and
 * then at DONE, is compared (an INBOX update would come first: INBOX changed first).
 */
async function runIdle(peer: ImapPeer, groups: string): Promise<string[]> {
  const watcher = await peer.login();
  const writer = await peer.login();
  try {
    assert.match((await writer.cmd("CREATE Other")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    assert.match((await watcher.cmd("SELECT INBOX")).at(-1)!.text, /^\S+ OK/);
    const log = (await watcher.cmd(`NOTIFY SET ${groups}`)).map((r) => normaliseResponse(r));
    await watcher.write(new TextEncoder().encode("i1 IDLE\r\n"));
    assert.match((await watcher.readResponse())!.text, /^\+ /);
    assert.match((await writer.cmd("SELECT INBOX")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd("STORE 1 +FLAGS (\\Deleted \\Flagged)")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd("EXPUNGE")).at(-1)!.text, /^\S+ OK/);
    assert.match((await writer.cmd(`APPEND Other {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    for (;;) {
      const line = normaliseResponse((await watcher.readResponse())!);
      log.push(line);
      if (line.startsWith("* STATUS Other (MESSAGES 1 ")) break;
    }
    await watcher.write(new TextEncoder().encode("DONE\r\n"));
    for (;;) {
      const line = normaliseResponse((await watcher.readResponse())!);
      log.push(line);
      if (line.startsWith("TAG ") || line.startsWith("i1 ")) break;
    }
    return log.filter(keep).map(maskStatus);
  } finally {
    watcher.close();
    writer.close();
  }
}

for (
  const groups of [
    "(PERSONAL (MessageNew MessageExpunge FlagChange))",
    "(INBOXES (MessageNew MessageExpunge))",
  ]
) {
  Deno.test({
    name: `NOTIFY SET ${groups} in IDLE: nothing of the selected INBOX, Other's STATUS, as Dovecot does`,
    ignore: dovecotMissing !== null,
    async fn() {
      const dovecot = await startDovecot();
      const tern = await startTern();
      try {
        const d = await runIdle(dovecot, groups);
        const t = await runIdle(tern, groups);
        if (Deno.env.get("SHOW")) console.log(d.join("\n") + "\n-----\n" + t.join("\n"));
        assert.deepEqual(t, d);
      } finally {
        await dovecot.stop();
        await tern.stop();
      }
    },
  });
}

for (
  const groups of [
    "(PERSONAL (MessageNew MessageExpunge FlagChange))",
    "(INBOXES (MessageNew MessageExpunge))",
    "(SELECTED (MessageNew MessageExpunge)) (PERSONAL (MessageNew MessageExpunge))",
  ]
) {
  Deno.test({
    name: `NOTIFY SET ${groups}: the selected INBOX and another mailbox are reported as Dovecot does`,
    ignore: dovecotMissing !== null,
    async fn() {
      const dovecot = await startDovecot();
      const tern = await startTern();
      try {
        const d = await run(dovecot, groups);
        const t = await run(tern, groups);
        if (Deno.env.get("SHOW")) console.log(d.join("\n") + "\n-----\n" + t.join("\n"));
        assert.deepEqual(t, d);
      } finally {
        await dovecot.stop();
        await tern.stop();
      }
    },
  });
}

Deno.test({
  name: "NOTIFY NONE with INBOX selected: nothing of a new INBOX message at NOOP, as Dovecot does",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    const run = async (peer: ImapPeer): Promise<string[]> => {
      const watcher = await peer.login();
      const writer = await peer.login();
      try {
        assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
        assert.match((await watcher.cmd("SELECT INBOX")).at(-1)!.text, /^\S+ OK/);
        const log = (await watcher.cmd("NOTIFY NONE")).map((r) => normaliseResponse(r));
        assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
        log.push(...(await watcher.cmd("NOOP")).map((r) => normaliseResponse(r)));
        // Not compared: after NOTIFY SET (SELECTED ...) Tern catches the client up (`* 2 EXISTS`,
        // tests/imap/notify_test.ts), while Dovecot 2.3 tells of the message appended under NONE
        // only with a later change, not even at the next NOOP.
        return log;
      } finally {
        watcher.close();
        writer.close();
      }
    };
    try {
      const d = await run(dovecot);
      const t = await run(tern);
      if (Deno.env.get("SHOW")) console.log(d.join("\n") + "\n-----\n" + t.join("\n"));
      assert.deepEqual(t, d);
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
