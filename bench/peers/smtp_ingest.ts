/**
 * Durable SMTP ingest: S sessions (default 50) send M messages in all (default 5,000) of 4 KB,
 * one recipient each rotated over 20 accounts, one command at a time as smtplib does (no
 * PIPELINING). Against Tern (durable at the 250), the Node `smtp-server` floor (one fsynced file
 * per message, no parsing) and Postfix delivering to Dovecot over LMTP (timed until the last message
 * is in a maildir: end to end). Reports messages/s and server CPU per message (all the server's
 * processes; for Postfix, Postfix's and Dovecot's).
 *
 * @module
 */
import { connectSmtp } from "../_smtp_session.ts";
import {
  alternate,
  benchMessage,
  deadline,
  type Gate,
  type Row,
  rowsOf,
  settleCpu,
  treeCpuMs,
} from "./lib.ts";
import { type BenchServer, startNodeFloor, startPostfixDovecot, startTernServer, users } from "./servers.ts";
import { postfixMissing } from "./postfix.ts";

/** Options of the SMTP ingest workload. */
export interface IngestOptions {
  sessions: number;
  messages: number;
  size: number;
  rounds: number;
  gate: Gate;
  /** Also run Postfix + Dovecot (end to end). */
  postfix: boolean;
}

const ACCOUNTS = 20;
const enc = new TextEncoder();

/** One SMTP session sending `count` messages, each command awaited before the next. */
async function session(port: number, count: number, first: number, payload: Uint8Array): Promise<void> {
  const c = await connectSmtp(port);
  const list = users(ACCOUNTS);
  try {
    const greeting = await c.reply();
    if (!greeting.startsWith("220")) throw new Error(`greeting: ${greeting}`);
    await c.send("EHLO bench.client\r\n", "250");
    for (let m = 0; m < count; m++) {
      await c.send("MAIL FROM:<bench@remote.test>\r\n", "250");
      await c.send(`RCPT TO:<${list[(first + m) % ACCOUNTS]}>\r\n`, "250");
      await c.send("DATA\r\n", "354");
      await c.send(payload, "250");
    }
    await c.send("QUIT\r\n", "221");
  } finally {
    c.close();
  }
}

interface IngestResult {
  msgsPerSecond: number;
  cpuMsPerMessage: number;
  /** CPU per message counting the work the server finished after the last reply (search indexing). */
  settledCpuMsPerMessage: number;
}

async function round(srv: BenchServer, o: IngestOptions, r: number): Promise<IngestResult> {
  const payload = new Uint8Array([...benchMessage(o.size, `ingest${r}`, 0), ...enc.encode(".\r\n")]);
  const cpu0 = treeCpuMs(srv.pids());
  const before = srv.delivered ? await srv.delivered() : 0;
  const started = performance.now();
  const per = Math.floor(o.messages / o.sessions);
  const extra = o.messages - per * o.sessions;
  await Promise.all(
    Array.from(
      { length: o.sessions },
      (_, i) => session(srv.smtp, per + (i < extra ? 1 : 0), i * 7, payload),
    ),
  );
  if (srv.delivered) {
    // End to end: until every message is in a maildir (bounded).
    const limit = performance.now() + 600_000;
    while ((await srv.delivered()) - before < o.messages) {
      if (performance.now() > limit) throw new Error(`${srv.name}: messages not delivered after 600 s`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = treeCpuMs(srv.pids()) - cpu0;
  // The work left for after the replies (Tern's search indexing) is finished before the next round,
  // and counted in a figure of its own.
  const settled = (await settleCpu(() => treeCpuMs(srv.pids()))) - cpu0;
  const perMessage = (ms: number) => Math.round((ms / o.messages) * 1000) / 1000;
  return {
    msgsPerSecond: Math.round(o.messages / seconds),
    cpuMsPerMessage: perMessage(cpu),
    settledCpuMsPerMessage: perMessage(settled),
  };
}

/** Runs the ingest workload (alternating Tern, the floor and, when asked, Postfix + Dovecot). */
export async function smtpIngest(o: IngestOptions): Promise<Row[]> {
  console.log(
    `SMTP ingest: ${o.sessions} sessions, ${o.messages} x ${o.size} B, ${ACCOUNTS} recipients rotated, ` +
      `no pipelining, ${o.rounds} rounds each`,
  );
  const missing = o.postfix ? postfixMissing() : null;
  if (missing) console.log(`  Postfix row skipped: ${missing}`);
  const serverOpts = { users: ACCOUNTS, prefill: 0, size: o.size, connections: o.sessions };
  const started: BenchServer[] = [];
  try {
    started.push(await startTernServer(serverOpts));
    started.push(await startNodeFloor());
    if (o.postfix && !missing) started.push(await startPostfixDovecot(serverOpts));
    const byName = new Map(started.map((s) => [s.name, s]));
    const r = await alternate(
      started.map((s) => s.name),
      o.rounds,
      o.gate,
      "SMTP ingest",
      (side, n) => deadline(round(byName.get(side)!, o, n), 900_000, `SMTP round (${side})`),
      (side) =>
        deadline(
          round(byName.get(side)!, { ...o, sessions: 10, messages: 100 }, -1),
          300_000,
          `SMTP warm-up (${side})`,
        ),
    );
    const t = r.get("tern")!;
    const f = r.get("node-floor")!;
    const floor = rowsOf("node-floor", t, f);
    const rows: Row[] = [
      floor(
        `durable SMTP ingest, ${o.sessions} sessions, ${o.messages} x ${o.size} B, msgs/s`,
        "",
        (x) => x.msgsPerSecond,
      ),
      floor("same, server CPU per message", "ms", (x) => x.cpuMsPerMessage),
      floor(
        "same, server CPU per message with the work done after the replies (search indexing)",
        "ms",
        (x) => x.settledCpuMsPerMessage,
        "each round waits for the server's CPU to go quiet before the next, whichever side",
      ),
    ];
    const p = r.get("postfix+dovecot");
    if (p) {
      const postfix = rowsOf("postfix+dovecot", t, p);
      rows.push(
        postfix(
          "same against Postfix delivering to Dovecot over LMTP, end to end, msgs/s",
          "",
          (x) => x.msgsPerSecond,
          "Postfix's figure runs until the last message is in Dovecot's maildir",
        ),
        postfix(
          "same, server CPU per message (Postfix and Dovecot processes together)",
          "ms",
          (x) => x.cpuMsPerMessage,
        ),
      );
    }
    return rows;
  } finally {
    for (const s of started) await s.stop();
  }
}
