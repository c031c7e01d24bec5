/**
 * Crash consistency of the whole server: `tern serve` (main.ts, the start task's permissions) runs
 * as a child process; concurrent SMTP sessions (MX listener) and IMAP APPEND sessions record every
 * message the server acknowledged (SMTP 250 after the data, APPEND OK with APPENDUID); after N
 * acknowledgements the child is killed with SIGKILL mid-stream. The server restarts on the same
 * data directory, twice over, and every acknowledged Message-ID is then found over IMAP: 0 lost.
 * The SQLite database passes `PRAGMA integrity_check` (opened read-only) as each kill left it and
 * after the final clean stop.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { LineClient } from "../support/line_client.ts";
import { readTagged, smtpCmd, smtpReply } from "./_env.ts";
import { prepareDataDir, serve } from "./_serve.ts";

const PASSWORD = "crash-test-pw";
const SMTP_SESSIONS = 4;
const IMAP_SESSIONS = 4;
/** Acknowledgements after which the server is killed, per round. */
const KILL_AFTER = 150;
const ROUNDS = 2;

/** Shared between the ingest sessions of one round: the acknowledged ids and the kill trigger. */
class Round {
  readonly acked: string[] = [];
  #trigger!: () => void;
  readonly killNow = new Promise<void>((r) => (this.#trigger = r));
  #n = 0;
  constructor(readonly name: string, readonly killAfter: number) {}
  nextId(kind: string): string {
    return `<${this.name}.${kind}.${++this.#n}.${crypto.randomUUID()}@crash.test>`;
  }
  ack(id: string): void {
    this.acked.push(id);
    if (this.acked.length >= this.killAfter) this.#trigger();
  }
}

function message(id: string, kind: string): string {
  return `From: crash@example.net\r\nTo: ada@example.com\r\nSubject: ${kind} ${id}\r\nMessage-ID: ${id}\r\n` +
    `Date: Sun, 06 Dec 2026 20:00:00 +0000\r\n\r\n${"crash consistency body line\r\n".repeat(20)}`;
}

/** Sends messages over one SMTP session until the connection dies; records each 250 after DATA. */
async function smtpIngest(port: number, round: Round): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    if (!/^220 /.test((await smtpReply(c)).at(-1)!)) return;
    await smtpCmd(c, "EHLO ingest.example.net");
    for (;;) {
      const id = round.nextId("smtp");
      if (!/^250 /.test(await smtpCmd(c, "MAIL FROM:<crash@example.net>"))) return;
      if (!/^250 /.test(await smtpCmd(c, "RCPT TO:<ada@example.com>"))) return;
      if (!/^354 /.test(await smtpCmd(c, "DATA"))) return;
      const reply = await smtpCmd(c, message(id, "smtp") + ".");
      if (!/^250 /.test(reply)) return;
      round.ack(id);
    }
  } catch {
    // The server was killed: the session ends here.
  } finally {
    c.close();
  }
}

/** APPENDs messages over one IMAP session until the connection dies; records each APPENDUID OK. */
async function imapIngest(port: number, round: Round): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    await c.read();
    await c.line(`l LOGIN ada@example.com ${PASSWORD}`);
    if (!/^l OK /.test((await readTagged(c, "l")).at(-1)!)) return;
    for (let n = 0;; n++) {
      const id = round.nextId("imap");
      const body = new TextEncoder().encode(message(id, "imap"));
      await c.send(`a${n} APPEND INBOX {${body.length}+}\r\n`);
      await c.send(new TextDecoder().decode(body) + "\r\n");
      const reply = (await readTagged(c, `a${n}`)).at(-1)!;
      if (!/^a\d+ OK \[APPENDUID \d+ \d+\] /.test(reply)) return;
      round.ack(id);
    }
  } catch {
    // killed
  } finally {
    c.close();
  }
}

/** `PRAGMA integrity_check` of the data directory's database, opened read-only. */
function integrityCheck(dir: string): unknown[] {
  const db = new DatabaseSync(join(dir, "data", "tern.db"), { readOnly: true });
  try {
    return db.prepare("PRAGMA integrity_check").all().map((row) => row.integrity_check);
  } finally {
    db.close();
  }
}

/** Message-IDs in ada's Inbox, fetched over IMAP. */
async function messageIds(port: number): Promise<Set<string>> {
  const c = await LineClient.connect(port);
  try {
    await c.read();
    await c.line(`l LOGIN ada@example.com ${PASSWORD}`);
    assert.match((await readTagged(c, "l")).at(-1)!, /^l OK /);
    await c.line("s EXAMINE INBOX");
    assert.match((await readTagged(c, "s")).at(-1)!, /^s OK /);
    await c.line("f FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    const lines = await readTagged(c, "f");
    assert.match(lines.at(-1)!, /^f OK /);
    const ids = new Set<string>();
    for (const l of lines) {
      const m = /^Message-ID: (<[^>]+>)/i.exec(l);
      if (m) ids.add(m[1]!);
    }
    return ids;
  } finally {
    c.close();
  }
}

Deno.test("kill -9 during concurrent SMTP ingest and IMAP APPEND loses no acknowledged message; the database checks ok", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-crash-consistency-" });
  try {
    await prepareDataDir(dir, "ada@example.com", PASSWORD);

    const acked: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const server = await serve(dir);
      const round = new Round(`r${r}`, KILL_AFTER);
      const sessions = [
        ...Array.from({ length: SMTP_SESSIONS }, () => smtpIngest(server.ports.smtp!, round)),
        ...Array.from({ length: IMAP_SESSIONS }, () => imapIngest(server.ports.imap!, round)),
      ];
      // Killed while the sessions are mid-stream (they only stop when the server goes away).
      let killed = false;
      const ended = Promise.all(sessions).then(() => {
        if (!killed) throw new Error(`ingest stopped before the kill: ${round.acked.length} acknowledged`);
      });
      await Promise.race([round.killNow, ended]);
      killed = true;
      server.child.kill("SIGKILL");
      assert.equal((await server.child.status).signal, "SIGKILL");
      await server.drained;
      await ended;
      assert.ok(round.acked.length >= KILL_AFTER);
      acked.push(...round.acked);
      // The database as the kill left it (WAL not yet checkpointed) is already consistent.
      assert.deepEqual(integrityCheck(dir), ["ok"], `after kill ${r + 1}`);
    }

    // Restart on the same data directory: every acknowledged message is there.
    const server = await serve(dir);
    const found = await messageIds(server.ports.imap!);
    const lost = acked.filter((id) => !found.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged messages lost`);
    assert.ok(acked.some((id) => id.includes(".smtp.")) && acked.some((id) => id.includes(".imap.")));
    server.child.kill("SIGTERM");
    assert.equal((await server.child.status).code, 0);
    await server.drained;

    assert.deepEqual(integrityCheck(dir), ["ok"], "after the clean stop");
    console.log(
      `crash consistency: ${acked.length} acknowledged over ${ROUNDS} kills, 0 lost, integrity_check ok after each kill and at the end`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
