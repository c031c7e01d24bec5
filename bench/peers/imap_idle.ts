/**
 * IMAP IDLE at scale, Tern against Dovecot: N connections (default 2,000) over 20 accounts of P
 * messages each (default 750) log in, SELECT INBOX and IDLE, 200 at a time. Reports the wall time
 * to get them all idling (logins included) and the server's memory per connection: PSS summed over
 * its processes (/proc/<pid>/smaps_rollup), after minus before, divided by N.
 *
 * @module
 */
import { ImapWire } from "../../tests/interop/_dovecot.ts";
import { alternate, deadline, type Gate, type Row, rowsOf, treePss, treeSize } from "./lib.ts";
import { type BenchServer, PASSWORD, startDovecotServer, startTernServer, users } from "./servers.ts";

/** Options of the IDLE workload. */
export interface IdleOptions {
  connections: number;
  /** Messages per mailbox. */
  messages: number;
  /** Accounts the connections are spread over. */
  accounts: number;
  rounds: number;
  gate: Gate;
  /** Dovecot's imap `client_limit` (1: a process per connection, its default). */
  dovecotClientLimit: number;
}

interface IdleResult {
  seconds: number;
  kbPerConnection: number;
  processes: number;
}

const BATCH = 200;

/** The soft limit on open files of this process (`ulimit -n`, inherited by the servers), or null. */
export function openFileLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m) return null;
  return m[1] === "unlimited" ? Infinity : Number(m[1]);
}

/**
 * Files a run of `connections` needs open at once: one socket each in this process (Tern's
 * process holds as many, Dovecot's log and anvil processes one per imap process), plus a margin
 * for the servers' own files.
 */
export function filesNeeded(connections: number): number {
  return connections + 1000;
}

async function round(srv: BenchServer, o: IdleOptions): Promise<IdleResult> {
  const list = users(o.accounts);
  // The same warm-up on both sides: every inbox selected once (Dovecot's launcher did it already).
  for (const address of list) {
    const w = await ImapWire.connect(srv.imap);
    await w.ok(`LOGIN "${address}" "${PASSWORD}"`);
    await w.ok("SELECT INBOX");
    await w.ok("LOGOUT");
    w.close();
  }
  await new Promise((r) => setTimeout(r, 500));
  const before = treePss(srv.pids());
  const conns: ImapWire[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < o.connections; i += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, o.connections - i) }, async (_, j) => {
          const w = await ImapWire.connect(srv.imap);
          conns.push(w);
          await w.ok(`LOGIN "${list[(i + j) % list.length]}" "${PASSWORD}"`);
          await w.ok("SELECT INBOX");
          await w.write(new TextEncoder().encode("i IDLE\r\n"));
          const cont = await w.readResponse();
          if (!cont?.text.startsWith("+")) throw new Error(`IDLE refused: ${cont?.text}`);
        }),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    // Let freshly forked processes settle before reading PSS.
    await new Promise((r) => setTimeout(r, 1000));
    const after = treePss(srv.pids());
    const processes = treeSize(srv.pids());
    return {
      seconds: Math.round(seconds * 10) / 10,
      kbPerConnection: Math.round((after - before) / o.connections / 1024),
      processes,
    };
  } finally {
    for (const w of conns) w.close();
  }
}

/** Runs the IDLE workload against Tern and Dovecot (alternating rounds). */
export async function imapIdle(o: IdleOptions): Promise<Row[]> {
  let limit: number | null = null;
  try {
    limit = openFileLimit(await Deno.readTextFile("/proc/self/limits"));
  } catch {
    // no /proc: the connections will tell
  }
  if (limit !== null && limit < filesNeeded(o.connections)) {
    throw new Error(
      `${o.connections} connections need about ${filesNeeded(o.connections)} open files, but ulimit -n is ` +
        `${limit}: raise it in the shell that starts the harness (e.g. \`ulimit -n 65536\`, as root or ` +
        "within the hard limit) and run again",
    );
  }
  console.log(
    `IMAP IDLE: ${o.connections} connections over ${o.accounts} accounts of ${o.messages} messages, ` +
      `${o.rounds} rounds each`,
  );
  const serverOpts = {
    users: o.accounts,
    prefill: o.messages,
    size: 3000,
    connections: o.connections,
    imapClientLimit: o.dovecotClientLimit,
  };
  const r = await alternate(
    ["tern", "dovecot"] as const,
    o.rounds,
    o.gate,
    `IDLE x ${o.connections}`,
    async (side) => {
      // A fresh server each round: a heap grown by the last round would hide this round's growth.
      const srv = side === "tern" ? await startTernServer(serverOpts) : await startDovecotServer(serverOpts);
      try {
        return await deadline(round(srv, o), 900_000, `IDLE round (${side})`);
      } finally {
        await srv.stop();
      }
    },
  );
  const t = r.get("tern")!;
  const d = r.get("dovecot")!;
  const row = rowsOf("dovecot", t, d);
  return [
    row(
      `${o.connections} connections in IDLE (${o.accounts} users, ${o.messages} messages each), ` +
        "memory per connection (PSS)",
      "KB",
      (x) => x.kbPerConnection,
      `Dovecot ran ${d.map((x) => x.processes).join("/")} processes at the peak ` +
        `(imap client_limit ${o.dovecotClientLimit}; PSS shares their common pages)`,
    ),
    row(`${o.connections} logins + SELECT + IDLE, ${BATCH} at a time, wall time`, "s", (x) => x.seconds),
  ];
}
