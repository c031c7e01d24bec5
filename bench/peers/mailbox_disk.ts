/**
 * Disk use of a mailbox, Tern against Dovecot (maildir): one client CREATEs a mailbox and APPENDs
 * N messages (default 1,000: the real messages of `/work/shared/corpus/` without NUL bytes, cycled,
 * each made unique by a first header line, else generated ones), runs one SEARCH TEXT (so Tern's
 * search index is built before the reading), then DELETEs it. Reports bytes allocated on disk
 * (st_blocks, everything under the server's mail dir) per message byte after the APPENDs, and what
 * is left behind after the DELETE, and how long the DELETE took (wall time, one client). The bytes
 * are read twice: right after the search, and once the server has settled (the figure unchanged
 * for 2 s, at most 30 s): Tern's WAL holds a copy of the recent writes until the checkpointer
 * truncates it after a second without writes, so the first reading counts the burst's journal too.
 *
 * @module
 */
import { ImapWire } from "../../tests/interop/_dovecot.ts";
import { alternate, benchMessage, diskBytes, type Gate, type Row, rowsOf } from "./lib.ts";
import { type BenchServer, PASSWORD, startDovecotServer, startTernServer, users } from "./servers.ts";

/** Options of the disk workload. */
export interface DiskOptions {
  messages: number;
  rounds: number;
  gate: Gate;
}

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

async function loadMessages(n: number): Promise<Uint8Array[]> {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(CORPUS)) if (e.isFile && e.name.endsWith(".eml")) files.push(e.name);
  } catch {
    // no corpus: generated messages below
  }
  files.sort();
  const enc = new TextEncoder();
  const raws: Uint8Array[] = [];
  for (const f of files) {
    const raw = await Deno.readFile(new URL(f, CORPUS));
    // A NUL needs literal8 (RFC 3516); plain APPEND literals cannot carry it.
    if (!raw.includes(0)) raws.push(raw);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (raws.length === 0) {
      out.push(benchMessage(3000 + (i % 7) * 1000, "disk", i));
      continue;
    }
    const raw = raws[i % raws.length]!;
    const head = enc.encode(`X-Bench-Seq: ${i}\r\n`);
    const m = new Uint8Array(head.length + raw.length);
    m.set(head);
    m.set(raw, head.length);
    out.push(m);
  }
  return out;
}

interface DiskResult {
  ratio: number;
  settledRatio: number;
  leftMb: number;
  deleteMs: number;
}

async function round(srv: BenchServer, msgs: Uint8Array[], r: number): Promise<DiskResult> {
  // DELETE of the whole mailbox is one long command on either server: reads may wait minutes.
  const w = await ImapWire.connect(srv.imap, 600_000);
  try {
    await w.login(users(1)[0]!, PASSWORD);
    const box = `Disk${r}`;
    const before = await diskBytes(srv.mailDir);
    await w.ok(`CREATE ${box}`);
    let bytes = 0;
    for (const m of msgs) {
      const status = await w.append(box, m);
      if (!status.startsWith("TAG OK")) throw new Error(`APPEND: ${status}`);
      bytes += m.length;
    }
    // A text search first, so the figure includes the search index whether or not a background
    // indexer has run yet (Tern indexes after a pause in writes, and before any text search).
    await w.ok(`SELECT ${box}`);
    await w.ok('SEARCH TEXT "zq-no-such-text"');
    await w.ok("UNSELECT");
    const filled = await diskBytes(srv.mailDir);
    const settled = await settle(srv.mailDir, filled);
    const t0 = performance.now();
    await w.ok(`DELETE ${box}`);
    const deleteMs = Math.round(performance.now() - t0);
    const left = await diskBytes(srv.mailDir);
    await w.ok("LOGOUT");
    return {
      ratio: Math.round(((filled - before) / bytes) * 100) / 100,
      settledRatio: Math.round(((settled - before) / bytes) * 100) / 100,
      leftMb: Math.round((left - before) / 1024 / 10.24) / 100,
      deleteMs,
    };
  } finally {
    w.close();
  }
}

/** Disk bytes under `dir` once they stay the same for 2 s (sampled every 500 ms, at most 30 s). */
async function settle(dir: string, first: number): Promise<number> {
  let last = first;
  let same = 0;
  for (let i = 0; i < 60 && same < 4; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await diskBytes(dir);
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** Runs the disk workload against Tern and Dovecot (alternating rounds, a fresh server each round). */
export async function mailboxDisk(o: DiskOptions): Promise<Row[]> {
  console.log(
    `Mailbox on disk: ${o.messages} messages APPENDed then the mailbox DELETEd, ${o.rounds} rounds each`,
  );
  const msgs = await loadMessages(o.messages);
  const serverOpts = { users: 1, prefill: 0, size: 3000, connections: 4 };
  const r = await alternate(
    ["tern", "dovecot"] as const,
    o.rounds,
    o.gate,
    "mailbox disk",
    async (side, n) => {
      // A fresh server each round: a store that reuses the space freed by the last round's DELETE
      // would look smaller than it is.
      const srv = side === "tern" ? await startTernServer(serverOpts) : await startDovecotServer(serverOpts);
      try {
        return await round(srv, msgs, n);
      } finally {
        await srv.stop();
      }
    },
  );
  const t = r.get("tern")!;
  const d = r.get("dovecot")!;
  const total = msgs.reduce((a, m) => a + m.length, 0);
  const row = rowsOf("dovecot maildir", t, d);
  return [
    row(
      `${o.messages}-message mailbox APPENDed: bytes on disk / message bytes`,
      "",
      (x) => x.ratio,
      `${(total / 1048576).toFixed(1)} MB of messages; st_blocks under each server's mail dir ` +
        "(Tern: its whole data dir), fresh server each round, read right after the last APPEND and the DELETE",
    ),
    row(
      `${o.messages}-message mailbox APPENDed, server settled: bytes on disk / message bytes`,
      "",
      (x) => x.settledRatio,
      "the same, read once the figure stays unchanged for 2 s (at most 30 s): Tern's WAL truncated",
    ),
    row("same mailbox deleted: disk left behind", "MB", (x) => x.leftMb),
    row("same mailbox: DELETE wall time", "ms", (x) => x.deleteMs),
  ];
}
