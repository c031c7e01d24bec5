/**
 * The servers the peer harness compares, each behind one interface (`BenchServer`): Tern in a
 * child process (`tern_server.ts`), a throwaway Dovecot (`tests/interop/_dovecot.ts`, maildir,
 * fsync on its default `optimized`, optional LMTP listener), the Node `smtp-server` floor
 * (`node_floor.ts`) and Postfix delivering to Dovecot over LMTP (`postfix.ts`). All on 127.0.0.1.
 *
 * @module
 */
import { dovecotMissing, type DovecotPeer, startDovecot } from "../../tests/interop/_dovecot.ts";
import { benchMessage, deadline } from "./lib.ts";
import { type PostfixInstance, startPostfix } from "./postfix.ts";
import type { TernReady, TernSpec } from "./tern_server.ts";

export { dovecotMissing };

/** The password of every bench user on every server. */
export const PASSWORD = "bench-pw";

/** Bench user addresses: `user0@example.org` … */
export function users(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `user${i}@example.org`);
}

/** A running server under test. */
export interface BenchServer {
  /** `tern`, `dovecot`, `node-floor`, `postfix+dovecot`. */
  name: string;
  /** IMAP port (0 when none). */
  imap: number;
  /** SMTP port (0 when none). */
  smtp: number;
  /** Root pids: their process trees are the server (CPU time, PSS). */
  pids(): number[];
  /** Where the server keeps mail (bytes on disk are summed under it). */
  mailDir: string;
  /** Messages delivered so far to the users' inboxes (end-to-end SMTP); null when not countable. */
  delivered?(): Promise<number>;
  stop(): Promise<void>;
}

/** Options shared by the launchers. */
export interface ServerOptions {
  /** Number of users (`users(n)`). */
  users: number;
  /** Messages prefilled in each user's inbox (outside the measurement). */
  prefill: number;
  /** Size of prefilled messages. */
  size: number;
  /** Expected concurrent IMAP connections (Dovecot's process and client limits are raised to fit). */
  connections: number;
  /**
   * Dovecot's `service imap { client_limit }`: connections one imap process serves (default 1,
   * Dovecot's default: a process per connection; above 1 with `service_count = 0`, processes shared).
   */
  imapClientLimit?: number;
}

async function readJsonLine(stream: ReadableStream<Uint8Array>): Promise<Record<string, unknown>> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const nl = buf.indexOf("\n");
    if (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("{")) {
        reader.releaseLock();
        return JSON.parse(line);
      }
      continue;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("child exited before it was ready");
    buf += value;
  }
}

/** Spawns a Deno child that prints one JSON line when ready and stops when its stdin closes. */
async function denoChild(
  script: string,
  args: string[],
  flags: string[] = [],
): Promise<{ child: Deno.ChildProcess; ready: Record<string, unknown>; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      ...flags,
      new URL(script, import.meta.url).pathname,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let ready: Record<string, unknown>;
  try {
    ready = await deadline(readJsonLine(child.stdout), 600_000, script);
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    throw e;
  }
  let stopped = false;
  return {
    child,
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      await child.stdin.close().catch(() => {});
      await child.stdout.cancel().catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/**
 * Extra `deno run` flags for the serving Tern process, from the environment variable
 * `TERN_BENCH_TERN_FLAGS` (space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to
 * profile Tern's side of a workload. Empty when unset.
 */
export function ternFlags(): string[] {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("TERN_BENCH_TERN_FLAGS");
  } catch {
    raw = undefined; // no --allow-env: no extra flags
  }
  return (raw ?? "").split(/\s+/).filter(Boolean);
}

/** Starts Tern in its own process with the users and their prefilled inboxes. */
export async function startTernServer(o: ServerOptions): Promise<BenchServer> {
  const spec: TernSpec = { users: users(o.users), password: PASSWORD, prefill: o.prefill, size: o.size };
  // Accounts and mailboxes are made by a first process; the server process starts afresh on them
  // (Dovecot's mailboxes are filled outside its processes too).
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-peers-" });
  const filler = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      new URL("./tern_server.ts", import.meta.url).pathname,
      "--spec",
      JSON.stringify(spec),
      "--fill",
      dir,
    ],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const killer = setTimeout(() => filler.kill("SIGKILL"), 600_000);
  const filled = await filler.status;
  clearTimeout(killer);
  if (!filled.success) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`tern_server.ts --fill failed (${filled.code})`);
  }
  let c: Awaited<ReturnType<typeof denoChild>>;
  try {
    c = await denoChild("./tern_server.ts", ["--spec", JSON.stringify(spec), "--dir", dir], ternFlags());
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  const ready = c.ready as unknown as TernReady;
  return {
    name: "tern",
    imap: ready.imap,
    smtp: ready.smtp,
    pids: () => [c.child.pid],
    mailDir: ready.dir,
    stop: c.stop,
  };
}

function uidOf(name: string): { uid: number; gid: number } | null {
  for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
    const f = line.split(":");
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/**
 * Writes `count` messages straight into a Maildir (`cur/`, a third unseen like Tern's prefill):
 * Dovecot indexes them at the first SELECT, which the launcher does before any measurement.
 */
async function fillMaildir(home: string, address: string, count: number, size: number): Promise<void> {
  const md = `${home}/Maildir`;
  for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(`${md}/${sub}`, { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  for (let j = 0; j < count; j++) {
    const bytes = benchMessage(size, address, j, address);
    // Maildir names: unique base, S=size for Dovecot, :2,S for \Seen.
    await Deno.writeFile(`${md}/cur/${now}.M${j}P1.bench,S=${bytes.length}:2,${j % 3 ? "S" : ""}`, bytes);
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await Deno.chown(path, uid, gid);
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return;
  for await (const e of Deno.readDir(path)) await chownTree(`${path}/${e.name}`, uid, gid);
}

/** Dovecot with the bench users, optionally an LMTP listener; prefilled and indexed. */
export async function startDovecotServer(
  o: ServerOptions,
  lmtpPort = 0,
): Promise<BenchServer & { peer: DovecotPeer }> {
  const list = users(o.users);
  const limit = Math.max(1000, o.connections + 500);
  // One imap process per connection (Dovecot's default service_count/client_limit); the shared
  // services (log, stats, anvil) see one client per process. Debian's open-file limit bounds them.
  const extra = `
# bench/peers: Dovecot's default durability, limits raised for many connections from 127.0.0.1.
mail_fsync = optimized
default_process_limit = 1000
default_client_limit = ${Math.min(19_000, Math.max(2000, limit * 2))}
service imap {
  process_limit = ${limit}
  client_limit = ${o.imapClientLimit ?? 1}
${(o.imapClientLimit ?? 1) > 1 ? "  service_count = 0\n" : ""}}
protocol imap {
  mail_max_userip_connections = ${limit}
}
${
    lmtpPort
      ? `protocols = imap lmtp
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}`
      : ""
  }
`;
  const peer = await startDovecot(list.map((address) => ({ address, password: PASSWORD })), extra);
  const isRoot = Deno.uid() === 0;
  const owner = isRoot ? uidOf("dovecot") : null;
  for (const address of list) {
    const home = `${peer.dir}/mail/${address}`;
    await Deno.mkdir(home, { recursive: true });
    if (o.prefill > 0) await fillMaildir(home, address, o.prefill, o.size);
    if (owner) await chownTree(home, owner.uid, owner.gid);
  }
  // Index every inbox once (Dovecot builds its index at the first SELECT).
  for (const address of list) {
    const w = await peer.login({ address, password: PASSWORD });
    await w.ok("SELECT INBOX");
    await w.ok("LOGOUT");
    w.close();
  }
  const masterPid = () => {
    try {
      return [Number(Deno.readTextFileSync(`${peer.dir}/run/master.pid`).trim())];
    } catch {
      return [];
    }
  };
  return {
    name: "dovecot",
    imap: peer.port,
    smtp: 0,
    pids: masterPid,
    mailDir: `${peer.dir}/mail`,
    peer,
    async delivered() {
      let n = 0;
      for (const address of list) {
        for (const sub of ["new", "cur"]) {
          try {
            for await (const _ of Deno.readDir(`${peer.dir}/mail/${address}/Maildir/${sub}`)) n++;
          } catch {
            // not created yet
          }
        }
      }
      return n - list.length * o.prefill;
    },
    stop: () => peer.stop(),
  };
}

/** The Node `smtp-server` floor: one fsynced file per message. */
export async function startNodeFloor(): Promise<BenchServer> {
  const c = await denoChild("./node_floor.ts", []);
  return {
    name: "node-floor",
    imap: 0,
    smtp: Number(c.ready.port),
    pids: () => [c.child.pid],
    mailDir: "",
    stop: c.stop,
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Postfix on loopback delivering `example.org` over LMTP to a Dovecot with the bench users. */
export async function startPostfixDovecot(o: ServerOptions): Promise<BenchServer> {
  const lmtp = freePort();
  const dc = await startDovecotServer(o, lmtp);
  let pf: PostfixInstance;
  try {
    pf = await startPostfix("example.org", lmtp);
  } catch (e) {
    await dc.stop();
    throw e;
  }
  return {
    name: "postfix+dovecot",
    imap: dc.imap,
    smtp: pf.port,
    pids: () => [...dc.pids(), ...(pf.masterPid() ? [pf.masterPid()!] : [])],
    mailDir: dc.mailDir,
    delivered: dc.delivered,
    async stop() {
      await pf.stop();
      await dc.stop();
    },
  };
}
