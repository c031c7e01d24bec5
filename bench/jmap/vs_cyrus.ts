/**
 * Tern against Cyrus IMAP 3.6 over JMAP (issue 24's performance goal): one account of N messages
 * (default 100,000) on each server, both on loopback on this machine, the same 50 concurrent JMAP
 * clients for the same time against each, then throughput and latency side by side.
 *
 * Each client loops over a mix: `Email/query` (Inbox, newest first, 50) with `Email/get` of the
 * page by back-reference in one request (half the requests), `Email/changes` from the state it
 * last saw (a quarter), and `Email/set` toggling `$flagged` on a message of the first page (a
 * quarter). Per server: requests/s, p50 and p99 per kind and overall; then the ratio Tern/Cyrus
 * and the goal (p99 under 20 ms, at least 10x Cyrus's throughput). That closed loop saturates both
 * servers; Tern is then also run in an open loop offering 10x Cyrus's throughput (`load`), the
 * latency a client sees at that load.
 *
 * Messages: `benchMessage` (bench/peers/lib.ts), 2 KiB each, unique. Tern runs in its own
 * process (bench/jmap/tern_server.ts, as Cyrus runs in its own), filled through its store and
 * served by `createServer` (Bearer token: Basic would cost a password hash per request); Cyrus is filled over IMAP APPEND (LITERAL+, pipelined) and serves JMAP from `httpd`
 * with SASL `alwaystrue`, so its Basic authentication costs nothing either. Cyrus comes from the
 * Debian packages unpacked next to Dovecot (bench/jmap/cyrus.ts); needs root and apt.
 *
 * Usage: `deno run -A bench/jmap/vs_cyrus.ts [--messages 100000] [--clients 50] [--seconds 30]
 * [--only tern|cyrus] [--min-idle 80] [--force] [--tern-data-dir DIR] [--tern-cpu-prof DIR] [--tern-v8-flags FLAGS] [--tern-read-workers N] [--lag] [--tern-promoted-prof FILE]
 * [--rate R] [--x-cyrus 10]`: `--rate` sets the open loop's requests/s (else `--x-cyrus` times Cyrus's
 * throughput in this run; no open loop with `--only tern` and no `--rate`),
 * `--tern-data-dir` keeps Tern's filled store for the next run (no refill), `--tern-cpu-prof`
 * writes a V8 CPU profile of the Tern server (summarise it with bench/jmap/cpu_profile.ts),
 * `--tern-v8-flags` hands V8 flags to the Tern server alone (e.g. `--trace-gc`),
 * `--tern-read-workers` sets `[jmap] read_workers` (default: the server's default; 0 = off),
 * `--lag` samples the event-loop lag of the Tern server and of this load generator (bench/jmap/lag.ts),
 * `--tern-promoted-prof FILE` writes what the server's young-generation collections did not free
 * (summarise it with bench/jmap/promoted_profile.ts).
 * Beside latency, each server's CPU time per request (all its processes) is printed: a
 * direction figure that holds up on a busy machine better than requests/s. Smoke run: `--messages 300 --clients 4
 * --seconds 3 --force`. Not part of `deno task bench` (needs a quiet machine, root and apt).
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { benchMessage, checkIdle, fmt, treeCpuMs } from "../peers/lib.ts";
import { prepareCyrus, startCyrus } from "./cyrus.ts";
import { MESSAGE_SIZE } from "./tern_server.ts";
import { formatLag, startLagSampler } from "./lag.ts";

const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];

type Kind = "query+get" | "changes" | "set keywords";
const KINDS: Kind[] = ["query+get", "changes", "set keywords"];

/** What the load needs from a server. */
interface Target {
  name: string;
  apiUrl: string;
  authorization: string;
  accountId: string;
}

/** Results of one server's run. */
interface Result {
  name: string;
  seconds: number;
  latencies: Record<Kind, number[]>;
  errors: number;
  /** CPU time (ms) the server's processes used during the timed run. */
  serverCpuMs: number;
  /** CPU time (ms) this process (the load generator) used during the timed run. */
  clientCpuMs: number;
  /** Open loop: the requests per second offered (`--rate`); undefined for the closed loop. */
  rate?: number;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function call(t: Target, methodCalls: unknown[]): Promise<[string, Record<string, unknown>, string][]> {
  const res = await fetch(t.apiUrl, {
    method: "POST",
    headers: { authorization: t.authorization, "content-type": "application/json" },
    body: JSON.stringify({ using: USING, methodCalls }),
  });
  if (res.status !== 200) {
    throw new Error(`${t.name}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
  const body = await res.json();
  for (const [name, args] of body.methodResponses) {
    if (name === "error") throw new Error(`${t.name}: ${JSON.stringify(args)}`);
  }
  return body.methodResponses;
}

async function inboxOf(t: Target): Promise<string> {
  const got = await call(t, [["Mailbox/get", { accountId: t.accountId, properties: ["role"] }, "m"]]);
  const list = got[0]![1].list as { id: string; role: string | null }[];
  const inbox = list.find((m) => m.role === "inbox");
  if (!inbox) throw new Error(`${t.name}: no Inbox`);
  return inbox.id;
}

/**
 * Runs `clients` loops against `t` for `seconds`; returns the latencies by kind.
 *
 * Closed loop (no `rate`): each client sends its next request as soon as the last is answered, so
 * the server is saturated and, by Little's law, the mean latency is `clients` / throughput.
 * Open loop (`rate` requests/s in all): each client sends on a fixed schedule of `rate / clients`
 * a second, the clients staggered; a request that falls due while the client's previous one is
 * still out goes as soon as that returns, and its latency counts from when it was due, so a slow
 * server is not hidden by the load backing off (no coordinated omission, as wrk2 measures).
 */
async function load(
  t: Target,
  clients: number,
  seconds: number,
  serverPids: number[],
  lag = false,
  rate?: number,
): Promise<Result> {
  const inbox = await inboxOf(t);
  const queryGet = (accountId: string) => [
    ["Email/query", {
      accountId,
      filter: { inMailbox: inbox },
      sort: [{ property: "receivedAt", isAscending: false }],
      limit: 50,
    }, "q"],
    ["Email/get", {
      accountId,
      "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
      properties: ["subject", "from", "receivedAt", "keywords", "preview"],
    }, "g"],
  ];
  // Warm up (first query builds caches on both sides) and learn a page of ids and a state.
  const first = await call(t, queryGet(t.accountId));
  const ids = (first[0]![1].ids as string[]).slice(0, 50);
  const latencies: Record<Kind, number[]> = { "query+get": [], changes: [], "set keywords": [] };
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpu0 = treeCpuMs(serverPids);
  const client0 = process.cpuUsage();
  // --lag: this process's own stalls add to the latencies it measures; sample them too.
  const sampler = lag ? startLagSampler() : undefined;
  const interval = rate ? (clients * 1000) / rate : 0;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    let state = first[1]![1].state as string;
    let due = started + (c * interval) / clients;
    for (let i = c; rate ? due < end : performance.now() < end; i++) {
      const kind: Kind = i % 4 < 2 ? "query+get" : i % 4 === 2 ? "changes" : "set keywords";
      if (rate) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const t0 = rate ? due : performance.now();
      due += interval;
      try {
        if (kind === "query+get") {
          await call(t, queryGet(t.accountId));
        } else if (kind === "changes") {
          const got = await call(t, [["Email/changes", { accountId: t.accountId, sinceState: state }, "c"]]);
          const r = got[0]![1];
          state = r.newState as string;
        } else {
          const id = ids[(i * 7 + c) % ids.length]!;
          await call(t, [["Email/set", {
            accountId: t.accountId,
            update: { [id]: { "keywords/$flagged": i % 8 < 4 ? true : null } },
          }, "s"]]);
        }
        latencies[kind].push(performance.now() - t0);
      } catch (error) {
        errors++;
        if (errors <= 3) {
          const cause = (error as Error).cause;
          console.error(`  ${t.name}: ${(error as Error).message}${cause ? ` (${String(cause)})` : ""}`);
        }
        if (kind === "changes") state = first[1]![1].state as string;
      }
    }
  }));
  const serverCpuMs = treeCpuMs(serverPids) - cpu0;
  if (sampler) console.error(formatLag(`load generator (${t.name})`, sampler.stop(), seconds));
  const client = process.cpuUsage(client0);
  return {
    name: t.name,
    seconds: (performance.now() - started) / 1000,
    latencies,
    errors,
    serverCpuMs,
    clientCpuMs: (client.user + client.system) / 1000,
    rate,
  };
}

/**
 * Starts Tern (bench/jmap/tern_server.ts) in its own process with one account of `messages`
 * messages; `profile` adds `--cpu-prof` (the profile lands in that directory when it stops).
 */
async function startTern(
  messages: number,
  dataDir: string | undefined,
  profile: string | undefined,
  v8Flags: string | undefined,
  readWorkers: string | undefined,
  lag = false,
  promotedProf?: string,
): Promise<{ target: Target; pid: number; stop: () => Promise<void> }> {
  const server = new URL("./tern_server.ts", import.meta.url).pathname;
  const flags = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
  if (v8Flags) flags.push(`--v8-flags=${v8Flags}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...flags,
      server,
      "--messages",
      String(messages),
      ...(dataDir ? ["--data-dir", dataDir] : []),
      ...(readWorkers !== undefined ? ["--read-workers", readWorkers] : []),
      ...(lag ? ["--lag"] : []),
      ...(promotedProf ? ["--promoted-prof", promotedProf] : []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  // The ready line is the first that starts with "{" (V8 flags such as --trace-gc, given through
  // DENO_V8_FLAGS, print to stdout too); the rest of stdout goes to this process's stderr.
  let text = "";
  let line: string | undefined;
  while (line === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error("tern_server.ts exited before it was ready");
    text += value;
    const lines = text.split("\n");
    text = lines.pop()!;
    for (const l of lines) {
      if (line === undefined && l.startsWith("{")) line = l;
      else console.error(l);
    }
  }
  // Keep draining stdout, so a chatty server never blocks on a full pipe.
  const drained = (async () => {
    if (text !== "") console.error(text);
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      Deno.stderr.writeSync(new TextEncoder().encode(value));
    }
  })();
  const ready = JSON.parse(line) as {
    apiUrl: string;
    authorization: string;
    accountId: string;
    pid: number;
  };
  return {
    target: {
      name: "tern",
      apiUrl: ready.apiUrl,
      authorization: ready.authorization,
      accountId: ready.accountId,
    },
    pid: child.pid,
    stop: async () => {
      await writer.close();
      await child.status;
      await drained;
    },
  };
}

/** Reads IMAP lines until the tagged completion of `tag`; throws unless it is OK. */
async function untilTagged(conn: Deno.Conn, buffered: { text: string }, tag: string): Promise<void> {
  const buf = new Uint8Array(65536);
  for (;;) {
    const lines = buffered.text.split("\r\n");
    buffered.text = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith(`${tag} `)) {
        if (!line.startsWith(`${tag} OK`)) throw new Error(`Cyrus IMAP: ${line}`);
        return;
      }
    }
    const n = await conn.read(buf);
    if (n === null) throw new Error("Cyrus IMAP closed the connection");
    buffered.text += new TextDecoder().decode(buf.subarray(0, n));
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 9051 date-time: "dd-Mon-yyyy hh:mm:ss +0000". */
function imapDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Logs in over IMAP and pipelines APPENDs (LITERAL+) in windows of 200. */
async function imapFill(port: number, user: string, messages: number, admin = false): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  const buffered = { text: "" };
  const write = async (data: Uint8Array) => {
    for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
  };
  try {
    await write(enc.encode(`L LOGIN ${admin ? "cyrus" : user} x\r\n`));
    await untilTagged(conn, buffered, "L");
    if (admin) {
      await write(enc.encode(`C CREATE user/${user}\r\n`));
      await untilTagged(conn, buffered, "C");
      return;
    }
    const start = Date.UTC(2020, 0, 1);
    for (let i = 0; i < messages; i += 200) {
      const end = Math.min(messages, i + 200);
      for (let j = i; j < end; j++) {
        const raw = benchMessage(MESSAGE_SIZE, "vs-cyrus", j, `${user}@example.org`);
        const date = imapDate(new Date(start + j * 60_000));
        const flags = j % 3 ? "(\\Seen)" : "()";
        await write(enc.encode(`A${j} APPEND INBOX ${flags} "${date}" {${raw.length}+}\r\n`));
        await write(raw);
        await write(enc.encode("\r\n"));
      }
      await untilTagged(conn, buffered, `A${end - 1}`);
    }
  } finally {
    conn.close();
  }
}

/** The row label of a result: the server, and the offered rate of an open-loop run. */
function label(r: Result): string {
  return r.rate ? `${r.name}@${Math.round(r.rate)}/s` : r.name;
}

function report(results: Result[], clients: number): void {
  console.log(
    `\nJMAP, ${clients} concurrent clients (latency in ms; name@N/s: open loop offering N requests/s)`,
  );
  console.log(["server", "kind", "requests", "req/s", "p50", "p99"].map((h) => h.padStart(14)).join(""));
  const totals = new Map<string, { rps: number; p99: number }>();
  for (const r of results) {
    const all: number[] = [];
    for (const kind of KINDS) {
      const xs = r.latencies[kind];
      all.push(...xs);
      console.log(
        [
          label(r),
          kind,
          String(xs.length),
          fmt(xs.length / r.seconds),
          fmt(percentile(xs, 50)),
          fmt(percentile(xs, 99)),
        ]
          .map((c) => c.padStart(14)).join(""),
      );
    }
    const rps = all.length / r.seconds;
    totals.set(label(r), { rps, p99: percentile(all, 99) });
    console.log(
      [label(r), "all", String(all.length), fmt(rps), fmt(percentile(all, 50)), fmt(percentile(all, 99))]
        .map((c) => c.padStart(14)).join("") + (r.errors ? `   (${r.errors} errors)` : ""),
    );
    console.log(
      `${label(r)}: server CPU ${fmt(r.serverCpuMs / all.length)} ms per request ` +
        `(${fmt(r.serverCpuMs / 1000 / r.seconds)} cores busy on average); load generator ` +
        `${fmt(r.clientCpuMs / all.length)} ms per request (${fmt(r.clientCpuMs / 1000 / r.seconds)} cores)`,
    );
  }
  const tern = totals.get("tern");
  const cyrus = totals.get("cyrus");
  if (tern && cyrus) {
    const ratio = tern.rps / cyrus.rps;
    console.log(`\nthroughput Tern/Cyrus: ${fmt(ratio)}x (goal: at least 10x)`);
    console.log(`closed loop (saturated): Tern p99 ${fmt(tern.p99)} ms; Cyrus p99 ${fmt(cyrus.p99)} ms`);
  }
  for (const r of results) {
    if (!r.rate) continue;
    const t = totals.get(label(r))!;
    const times = cyrus ? ` (${fmt(r.rate / cyrus.rps)}x Cyrus's throughput)` : "";
    console.log(
      `open loop: ${r.name} offered ${fmt(r.rate)} requests/s${times}, served ${fmt(t.rps)}/s, ` +
        `p99 ${fmt(t.p99)} ms (goal: under 20 ms)`,
    );
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      messages: { type: "string", default: "100000" },
      clients: { type: "string", default: "50" },
      seconds: { type: "string", default: "30" },
      only: { type: "string" },
      "min-idle": { type: "string", default: "80" },
      settle: { type: "string", default: "120" },
      force: { type: "boolean", default: false },
      "tern-data-dir": { type: "string" },
      "tern-cpu-prof": { type: "string" },
      "tern-v8-flags": { type: "string" },
      "tern-read-workers": { type: "string" },
      lag: { type: "boolean", default: false },
      "tern-promoted-prof": { type: "string" },
      rate: { type: "string" },
      "x-cyrus": { type: "string", default: "10" },
    },
  });
  const messages = Number(values.messages);
  const clients = Number(values.clients);
  const seconds = Number(values.seconds);
  const gate = {
    minIdle: Number(values["min-idle"]),
    force: values.force ?? false,
    // Seconds to wait for the machine to go quiet before a load (0 with --force), as bench/peers does.
    settleSeconds: values.force ? 0 : Number(values.settle),
  };
  const only = values.only;
  const results: Result[] = [];

  if (only === undefined || only === "cyrus") {
    const root = await prepareCyrus();
    const cyrus = await startCyrus(root);
    try {
      const t = performance.now();
      await imapFill(cyrus.imapPort, "bench", 0, true);
      await imapFill(cyrus.imapPort, "bench", messages);
      console.error(`cyrus: ${messages} messages appended in ${fmt((performance.now() - t) / 1000)} s`);
      await checkIdle(gate, "the Cyrus run");
      results.push(
        await load(
          {
            name: "cyrus",
            apiUrl: `http://127.0.0.1:${cyrus.httpPort}/jmap/`,
            authorization: "Basic " + btoa("bench:x"),
            accountId: "bench",
          },
          clients,
          seconds,
          [cyrus.pid],
          values.lag,
        ),
      );
    } finally {
      await cyrus.stop();
    }
  }
  if (only === undefined || only === "tern") {
    const t = performance.now();
    const tern = await startTern(
      messages,
      values["tern-data-dir"],
      values["tern-cpu-prof"],
      values["tern-v8-flags"],
      values["tern-read-workers"],
      values.lag,
      values["tern-promoted-prof"],
    );
    console.error(`tern: ready with ${messages} messages after ${fmt((performance.now() - t) / 1000)} s`);
    try {
      await checkIdle(gate, "the Tern run");
      results.push(await load(tern.target, clients, seconds, [tern.pid], values.lag));
      // The open loop: at --rate, or at --x-cyrus times the throughput Cyrus reached in this run.
      const cyrus = results.find((r) => r.name === "cyrus");
      const rate = values.rate !== undefined
        ? Number(values.rate)
        : cyrus
        ? Number(values["x-cyrus"]) * Object.values(cyrus.latencies).flat().length / cyrus.seconds
        : undefined;
      if (rate) {
        await checkIdle(gate, "the Tern open-loop run");
        results.push(await load(tern.target, clients, seconds, [tern.pid], values.lag, rate));
      }
    } finally {
      await tern.stop();
    }
  }
  report(results, clients);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
