/**
 * APPEND latency of a 3 KB message sent by Python's imaplib (the client itself, in a subprocess:
 * `append_latency.py`), Tern against Dovecot. imaplib writes the literal and its closing CRLF in
 * two writes, so the figure includes how the server's TCP acknowledgements meet the client's Nagle
 * algorithm (Dovecot sets TCP_QUICKACK after each flush; Deno's sockets cannot, so Tern answers a
 * client that stalls after a synchronising literal with `* OK Literal received`, which carries the
 * ACK: docs/rfc.md).
 *
 * @module
 */
import { alternate, deadline, type Gate, median, type Row, rowsOf } from "./lib.ts";
import { type BenchServer, PASSWORD, startDovecotServer, startTernServer, users } from "./servers.ts";

/** Options of the APPEND latency workload. */
export interface AppendOptions {
  /** APPENDs per round. */
  count: number;
  rounds: number;
  gate: Gate;
}

async function round(srv: BenchServer, count: number): Promise<{ medianMs: number; ok: number }> {
  const script = new URL("./append_latency.py", import.meta.url).pathname;
  const child = new Deno.Command("python3", {
    args: [script, String(srv.imap), users(1)[0]!, PASSWORD, String(count), "3000"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`append_latency.py failed: ${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(text) as { ms: number[]; ok: number };
  return { medianMs: Math.round(median(r.ms) * 100) / 100, ok: r.ok };
}

/** Runs the APPEND latency workload against Tern and Dovecot (alternating rounds). */
export async function imapAppend(o: AppendOptions): Promise<Row[]> {
  console.log(
    `IMAP APPEND latency (Python imaplib, 3 KB): ${o.count} APPENDs per round, ${o.rounds} rounds each`,
  );
  const serverOpts = { users: 1, prefill: 0, size: 3000, connections: 4 };
  const tern = await startTernServer(serverOpts);
  try {
    const dovecot = await startDovecotServer(serverOpts);
    try {
      const servers = { tern, dovecot } as const;
      const r = await alternate(
        ["tern", "dovecot"] as const,
        o.rounds,
        o.gate,
        "APPEND latency",
        (side) => deadline(round(servers[side], o.count), 310_000, `APPEND round (${side})`),
        // Not measured: the first APPENDs of a fresh server (JIT, caches), as the other workloads.
        (side) => deadline(round(servers[side], 20), 310_000, `APPEND warm-up (${side})`),
      );
      const t = r.get("tern")!;
      const d = r.get("dovecot")!;
      const notOk = [...t, ...d].reduce((a, x) => a + (o.count - x.ok), 0);
      const row = rowsOf("dovecot", t, d);
      return [
        row(
          "APPEND of a 3 KB message with Python's imaplib, median latency",
          "ms",
          (x) => x.medianMs,
          notOk ? `${notOk} APPENDs not answered OK` : undefined,
        ),
      ];
    } finally {
      await dovecot.stop();
    }
  } finally {
    await tern.stop();
  }
}
