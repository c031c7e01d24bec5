/**
 * NOTIFY `MessageNew (fetch-att)` against Dovecot 2.3.19 (RFC 5465 §5.2): one connection selects
 * INBOX, asks for new messages' UID, FLAGS and Subject header under SELECTED and IDLEs (Dovecot tells
 * NOTIFY events in IDLE); another connection appends.
 * Compared: the responses pushed to the first connection up to the FETCH (normalised,
 * tests/interop/_dovecot.ts; FETCH items as a set, since RFC 9051 §7.5.2 gives them no order).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, normaliseResponse } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const MSG = "From: u@localhost\r\nTo: u@localhost\r\nSubject: pushed\r\n\r\nhello\r\n";

async function run(peer: ImapPeer): Promise<string[]> {
  const watcher = await peer.login();
  const writer = await peer.login();
  try {
    assert.match((await watcher.cmd("SELECT INBOX")).at(-1)!.text, /^\S+ OK/);
    const set = await watcher.cmd(
      "NOTIFY SET (SELECTED (MessageNew (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge))",
    );
    const log = [normaliseResponse(set.at(-1)!)];
    // Dovecot tells NOTIFY events during IDLE (Tern between commands too).
    await watcher.write(new TextEncoder().encode("I1 IDLE\r\n"));
    assert.match((await watcher.readResponse())!.text, /^\+/);
    assert.match((await writer.cmd(`APPEND INBOX {${MSG.length}+}\r\n${MSG}`)).at(-1)!.text, /^\S+ OK/);
    for (;;) {
      const r = await watcher.readResponse();
      if (!r) break;
      const line = normaliseResponse(r);
      log.push(
        line.replace(
          /FETCH \((.*)\)$/,
          (_, items: string) => `FETCH {${splitItems(items).sort().join(" ")}}`,
        ),
      );
      if (/ FETCH /.test(line)) break;
    }
    await watcher.write(new TextEncoder().encode("DONE\r\n"));
    for (;;) {
      const r = await watcher.readResponse();
      if (!r || r.text.startsWith("I1 ")) break;
    }
    // The message is still unseen: the notification set no \Seen.
    const flags = await watcher.cmd("FETCH 1 (FLAGS)");
    log.push(...flags.map((r) => normaliseResponse(r)));
    return log;
  } finally {
    watcher.close();
    writer.close();
  }
}

/** FETCH items at top level (a parenthesised value stays with its item). */
function splitItems(items: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  const words = items.split(" ");
  for (const w of words) {
    cur = cur === "" ? w : `${cur} ${w}`;
    depth += (w.match(/[(\[]/g)?.length ?? 0) - (w.match(/[)\]]/g)?.length ?? 0);
    if (depth === 0 && !/^(UID|FLAGS|BODY\[.*\])$/.test(w)) {
      out.push(cur);
      cur = "";
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

Deno.test({
  name: "NOTIFY: MessageNew (fetch-att) under SELECTED pushes the same EXISTS and FETCH as Dovecot",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
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
