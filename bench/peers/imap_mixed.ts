/**
 * IMAP mixed load, Tern against Dovecot: C clients (default 10), each on its own account with 200
 * messages, loop select, fetch, store, fetch body, store \Deleted, expunge, append, one command at
 * a time (no pipelining), for T seconds per round. Two variants: long sessions (one login per
 * client per round) and a login/logout every cycle. Reports commands/s and server CPU time per
 * command (utime + stime of the server's processes, /proc).
 *
 * @module
 */
import { ImapWire } from "../../tests/interop/_dovecot.ts";
import { alternate, benchMessage, type Gate, type Row, rowsOf, treeCpuMs } from "./lib.ts";
import { type BenchServer, PASSWORD, startDovecotServer, startTernServer, users } from "./servers.ts";

/** Options of the mixed-load workload. */
export interface MixedOptions {
  clients: number;
  seconds: number;
  rounds: number;
  gate: Gate;
}

interface MixedResult {
  commandsPerSecond: number;
  cpuUsPerCommand: number;
  errors: number;
}

/** One cycle's commands, as in `bench/imap` (c). */
function cycle(k: number): string[] {
  const n = 1 + (k % 50);
  return [
    "SELECT INBOX",
    "FETCH 1:20 (UID FLAGS ENVELOPE)",
    `STORE ${n} +FLAGS (\\Seen)`,
    "UID FETCH 1:* (UID FLAGS)",
    `FETCH ${n} BODY.PEEK[]`,
    `STORE ${n} +FLAGS.SILENT (\\Deleted)`,
    "EXPUNGE",
  ];
}

async function round(
  srv: BenchServer,
  clients: number,
  seconds: number,
  loginEachCycle: boolean,
): Promise<MixedResult> {
  const list = users(clients);
  const cpu0 = treeCpuMs(srv.pids());
  const started = performance.now();
  const end = started + seconds * 1000;
  let commands = 0;
  let errors = 0;
  const msg = benchMessage(3000, "mixed", 7);
  const count = (status: string) => {
    commands++;
    if (!status.startsWith("TAG OK")) errors++;
  };
  await Promise.all(list.map(async (address) => {
    let w: ImapWire | null = null;
    let k = 0;
    // Bounded: by time, and by a cycle count no 2-core machine reaches.
    while (performance.now() < end && k < 1_000_000) {
      if (!w) {
        w = await ImapWire.connect(srv.imap);
        count((await w.cmd(`LOGIN "${address}" "${PASSWORD}"`)).at(-1)!.text);
      }
      for (const op of cycle(k)) count((await w.cmd(op)).at(-1)!.text);
      count((await w.cmd(["APPEND INBOX ", msg])).at(-1)!.text);
      k++;
      if (loginEachCycle) {
        count((await w.cmd("LOGOUT")).at(-1)!.text);
        w.close();
        w = null;
      }
    }
    if (w) {
      count((await w.cmd("LOGOUT")).at(-1)!.text);
      w.close();
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  // Let the server finish the last LOGOUTs' work before reading its CPU time.
  await new Promise((r) => setTimeout(r, 200));
  const cpu = treeCpuMs(srv.pids()) - cpu0;
  return {
    commandsPerSecond: Math.round(commands / elapsed),
    cpuUsPerCommand: Math.round((cpu * 1000) / Math.max(1, commands)),
    errors,
  };
}

/** Runs both variants against Tern and Dovecot (alternating rounds) and returns the table rows. */
export async function imapMixed(
  o: MixedOptions,
  variants: { long: boolean; login: boolean },
): Promise<Row[]> {
  const serverOpts = { users: o.clients, prefill: 200, size: 3000, connections: o.clients * 2 };
  console.log(`IMAP mixed load: ${o.clients} clients x ${o.seconds} s per round, ${o.rounds} rounds each`);
  const tern = await startTernServer(serverOpts);
  const rows: Row[] = [];
  try {
    const dovecot = await startDovecotServer(serverOpts);
    try {
      const servers = { tern, dovecot } as const;
      for (const login of [false, true]) {
        if (login ? !variants.login : !variants.long) continue;
        const label = login ? "login/logout every cycle" : "long sessions";
        const r = await alternate(
          ["tern", "dovecot"] as const,
          o.rounds,
          o.gate,
          `IMAP mixed (${label})`,
          (side) => round(servers[side], o.clients, o.seconds, login),
          (side) => round(servers[side], o.clients, 1, login),
        );
        const t = r.get("tern")!;
        const d = r.get("dovecot")!;
        const errs = [...t, ...d].reduce((a, x) => a + x.errors, 0);
        const row = rowsOf("dovecot", t, d);
        rows.push(
          row(
            `IMAP mixed load, ${o.clients} clients, ${label}, commands/s`,
            "",
            (x) => x.commandsPerSecond,
            errs ? `${errs} commands answered other than OK` : undefined,
          ),
          row(
            `same (${label}), server CPU per command`,
            "µs",
            (x) => x.cpuUsPerCommand,
            login
              ? "Dovecot's passwd-file holds {PLAIN} passwords; Tern verifies scrypt hashes (with its " +
                "verified-password cache)"
              : undefined,
          ),
        );
      }
    } finally {
      await dovecot.stop();
    }
  } finally {
    await tern.stop();
  }
  return rows;
}
