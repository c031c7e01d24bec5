/**
 * IMAP benchmarks (server in a child process so its RSS is measured alone):
 *  (a) a mailbox of N messages (default 100,000): the first SELECT ever (no snapshot yet), then a
 *      restart of the server on the same data dir after some churn (deliveries, flag changes,
 *      expunges) and there: a cold SELECT (the just-started server's first listing: placement
 *      snapshot plus delta), `UID FETCH 1:* (UID FLAGS)`, `FETCH 1:100 (ENVELOPE BODYSTRUCTURE)`,
 *      `UID SEARCH SUBJECT "x"`, `UID SEARCH TEXT "x"`, `UID SORT (DATE) UTF-8 ALL` (RFC 5256),
 *      a warm SELECT;
 *  (b) S concurrent authenticated sessions in IDLE (default 10,000): server RSS;
 *  (c) a mixed load of C clients (select, fetch, store flags, append, expunge) for T seconds: commands/s.
 *
 * The server uses a trivial password check (the bench measures IMAP, not scrypt: 10,000 scrypt
 * logins would take minutes on two cores).
 *
 * Usage: `deno run -A bench/imap/mod.ts [--messages 100000] [--idle 10000] [--clients 50] [--seconds 30]
 * [--store sqlite|postgres]` (`--idle 0` skips (b) and (d), `--clients 0` skips (c); `--store postgres`
 * runs the server on a throwaway PostgreSQL cluster, one database for the whole run, bench/_store.ts).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { benchStoreUrl, storeConfig } from "../_store.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { ByteReader } from "../../core/net/reader.ts";
import { createServer } from "../../protocols/server.ts";
import type { AuthService } from "../../core/auth/types.ts";
import type { Store } from "../../core/store/store.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function benchAuth(store: Store, real: AuthService): AuthService {
  return {
    ...real,
    mechanisms: () => ["PLAIN"],
    async verifyPassword(username, password) {
      const account = await store.getAccountByAddress(username);
      return account && password === "bench" ? { ok: true, account } : { ok: false, reason: "invalid" };
    },
  };
}

function message(n: number): Uint8Array {
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
  const subject = `${words[n % 10]} ${words[Math.floor(n / 10) % 10]} report ${n % 1000}${
    n % 97 === 0 ? " x" : ""
  }`;
  const body = `Hello,\r\n\r\nthis is message ${n % 1000} about ${words[(n * 7) % 10]}.\r\n` +
    "The quick brown fox jumps over the lazy dog.\r\n".repeat(10);
  return enc.encode(
    `From: Sender ${n % 50} <sender${n % 50}@remote.test>\r\nTo: bench@example.org\r\n` +
      `Subject: ${subject}\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m${n}@remote.test>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

/**
 * The server role. With `dataDir` the store is kept there (not removed at exit); `restart` opens
 * an existing data dir without filling it, after some churn on the big mailbox.
 */
async function runServer(
  messages: number,
  idleAccounts: number,
  dataDir: string | undefined,
  restart: boolean,
): Promise<void> {
  const dir = dataDir ?? await Deno.makeTempDir({ prefix: "tern-bench-imap-" });
  const config = testConfig(dir, {
    local_domains: ["example.org"],
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    listeners: { imap: { max_connections: 30000 } },
    ...storeConfig(storeUrl),
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const store = srv.context.store;
  const auth = benchAuth(store, srv.context.auth);
  // The handler reads `server.auth` from the context; replace it for the bench.
  (srv.context as { auth: AuthService }).auth = auth;
  if (restart) {
    await churn(store);
    return await serve(srv, dir, { fillMs: 0 }, dataDir === undefined);
  }
  const secrets = { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" };
  const big = await store.createAccount({ address: "big@example.org", secrets });
  for (let i = 0; i < 50; i++) await store.createAccount({ address: `mix${i}@example.org`, secrets });
  for (let i = 0; i < idleAccounts; i += 1) {
    if (i >= 100) break; // IDLE sessions share 100 accounts (10,000 sessions / 100 = 100 per account)
    await store.createAccount({ address: `idle${i}@example.org`, secrets });
  }
  const inbox = (await store.getMailboxByRole(big.id, "inbox"))!;
  const distinct = 1000;
  const blobs: string[] = [];
  for (let i = 0; i < distinct; i++) blobs.push((await store.blobs.put(message(i))).blobId);
  const started = performance.now();
  for (let i = 0; i < messages; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(messages, i + 1000); j++) {
      batch.push({
        accountId: big.id,
        mailboxIds: [inbox.id],
        blobId: blobs[j % distinct]!,
        keywords: j % 3 ? ["$seen"] : [],
      });
    }
    await store.addMessages(batch);
  }
  const fillMs = performance.now() - started;
  for (let i = 0; i < 50; i++) {
    const acc = (await store.getAccountByAddress(`mix${i}@example.org`))!;
    const box = (await store.getMailboxByRole(acc.id, "inbox"))!;
    await store.addMessages(
      Array.from({ length: 200 }, (_, j) => ({ accountId: acc.id, mailboxIds: [box.id], blobId: blobs[j]! })),
    );
  }
  await serve(srv, dir, { fillMs }, dataDir === undefined);
}

/** Changes to the big mailbox between two runs: 100 deliveries, 1,000 flag changes, 50 expunges. */
async function churn(store: Store): Promise<void> {
  const big = (await store.getAccountByAddress("big@example.org"))!;
  const inbox = (await store.getMailboxByRole(big.id, "inbox"))!;
  const blobId = (await store.blobs.put(message(7))).blobId;
  await store.addMessages(
    Array.from({ length: 100 }, () => ({ accountId: big.id, mailboxIds: [inbox.id], blobId })),
  );
  const some = await store.listPlacements(big.id, inbox.id, { minUid: 1000, maxUid: 1999 });
  await store.updateKeywords(big.id, some.map((p) => p.messageId), { add: ["$flagged"] });
  await store.expunge(big.id, inbox.id, Array.from({ length: 50 }, (_, i) => 5000 + i));
}

async function serve(
  srv: Awaited<ReturnType<typeof createServer>>,
  dir: string,
  info: { fillMs: number },
  removeDir: boolean,
): Promise<void> {
  await srv.start();
  console.log(JSON.stringify({ port: srv.addresses.imap.port, ...info, rss: Deno.memoryUsage().rss }));
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 50);
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  for await (const chunk of lines) {
    if (chunk.includes("rss")) {
      console.log(JSON.stringify({ rss: Deno.memoryUsage().rss, peak }));
    }
  }
  clearInterval(sampler);
  await srv.stop({ graceSeconds: 0 });
  if (removeDir) await Deno.remove(dir, { recursive: true });
}

/** A minimal client: tagged commands, literals read exactly. */
class Client {
  #n = 0;
  #reader: ByteReader;
  private constructor(readonly conn: Deno.TcpConn) {
    const r = conn.readable.getReader();
    this.#reader = new ByteReader({
      read: async () => {
        try {
          const { value, done } = await r.read();
          return done ? null : value;
        } catch {
          return null;
        }
      },
    });
  }
  static async connect(port: number): Promise<Client> {
    const c = new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
    await c.line();
    return c;
  }
  async line(): Promise<string> {
    const l = await this.#reader.readLine(1 << 20);
    if (!l) throw new Error("EOF");
    const text = dec.decode(l.line);
    const m = /\{(\d+)\}$/.exec(text);
    if (m) {
      await this.#reader.readExact(Number(m[1]));
      return text + (await this.line());
    }
    return text;
  }
  async write(s: string | Uint8Array): Promise<void> {
    const b = typeof s === "string" ? enc.encode(s) : s;
    let o = 0;
    while (o < b.length) o += await this.conn.write(b.subarray(o));
  }
  async cmd(text: string): Promise<{ lines: number; status: string }> {
    const tag = `t${++this.#n}`;
    await this.write(`${tag} ${text}\r\n`);
    let lines = 0;
    for (;;) {
      const l = await this.line();
      if (l.startsWith(tag + " ")) return { lines, status: l.slice(tag.length + 1) };
      lines++;
    }
  }
  close(): void {
    try {
      this.conn.close();
    } catch {
      // closed
    }
  }
}

async function timed(c: Client, cmd: string): Promise<number> {
  const t0 = performance.now();
  const r = await c.cmd(cmd);
  if (!r.status.startsWith("OK")) throw new Error(`${cmd}: ${r.status}`);
  return Math.round((performance.now() - t0) * 10) / 10;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      role: { type: "string" },
      messages: { type: "string", default: "100000" },
      idle: { type: "string", default: "10000" },
      clients: { type: "string", default: "50" },
      seconds: { type: "string", default: "30" },
      dir: { type: "string" },
      restart: { type: "boolean", default: false },
      store: { type: "string", default: "sqlite" },
      "store-url": { type: "string" },
    },
  });
  storeUrl = values["store-url"];
  const messages = Number(values.messages);
  const idleSessions = Number(values.idle);
  if (values.role === "server") return await runServer(messages, idleSessions, values.dir, values.restart);
  storeUrl = await benchStoreUrl(values.store);

  const mb = (n: number) => Math.round(n / 1024 / 1024);
  const dataDir = await Deno.makeTempDir({ prefix: "tern-bench-imap-" });
  const filled = await startServer(messages, 0, dataDir);
  console.log(
    `server ready: ${messages} messages stored in ${Math.round(filled.ready.fillMs!)} ms, rss ${
      mb(filled.ready.rss!)
    } MB`,
  );
  const a: Record<string, number> = {};
  {
    // The first SELECT ever of the mailbox: every placement read (and a snapshot written after it).
    const c = await Client.connect(filled.ready.port!);
    await c.cmd('LOGIN big@example.org "bench"');
    a.firstSelect = await timed(c, "SELECT INBOX");
    await c.cmd("LOGOUT");
    c.close();
    await filled.stop();
  }
  const first = await startServer(messages, 0, dataDir, true);
  const port = first.ready.port!;

  // (a) big mailbox, on the restarted server
  const c = await Client.connect(port);
  await c.cmd('LOGIN big@example.org "bench"');
  a.select = await timed(c, "SELECT INBOX");
  a.uidFetchFlags = await timed(c, "UID FETCH 1:* (UID FLAGS)");
  a.fetchEnvelopeStructure100 = await timed(c, "FETCH 1:100 (ENVELOPE BODYSTRUCTURE)");
  a.uidSearchSubject = await timed(c, 'UID SEARCH SUBJECT "x"');
  a.uidSearchText = await timed(c, 'UID SEARCH TEXT "x"');
  a.uidSortDate = await timed(c, "UID SORT (DATE) UTF-8 ALL");
  a.selectAgain = await timed(c, "SELECT INBOX");
  await c.cmd("LOGOUT");
  c.close();
  console.log(`(a) ${messages}-message mailbox, ms: ${JSON.stringify(a)}`);

  // (c) mixed load
  const clients = Number(values.clients);
  if (clients <= 0) {
    await first.stop();
    await Deno.remove(dataDir, { recursive: true });
    if (idleSessions > 0) await idleBench(idleSessions, message(7));
    return;
  }
  const seconds = Number(values.seconds);
  let commands = 0;
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const msg = message(7);
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    const m = await Client.connect(port);
    await m.cmd(`LOGIN mix${i}@example.org "bench"`);
    let k = 0;
    while (performance.now() < deadline) {
      const ops = [
        "SELECT INBOX",
        "FETCH 1:20 (UID FLAGS ENVELOPE)",
        `STORE ${1 + (k % 50)} +FLAGS (\\Seen)`,
        "UID FETCH 1:* (UID FLAGS)",
        `FETCH ${1 + (k % 50)} BODY.PEEK[]`,
        `STORE ${1 + (k % 50)} +FLAGS.SILENT (\\Deleted)`,
        "EXPUNGE",
      ];
      for (const op of ops) {
        const r = await m.cmd(op);
        commands++;
        if (!r.status.startsWith("OK")) errors++;
      }
      const r = await m.cmd(`APPEND INBOX {${msg.length}+}\r\n${dec.decode(msg)}`);
      commands++;
      if (!r.status.startsWith("OK")) errors++;
      k++;
    }
    await m.cmd("LOGOUT");
    m.close();
  }));
  console.log(
    `(c) ${clients} clients x ${seconds}s mixed: ${
      Math.round(commands / seconds)
    } commands/s (${commands} commands, ${errors} errors)`,
  );

  await first.stop();
  await Deno.remove(dataDir, { recursive: true });
  if (idleSessions > 0) await idleBench(idleSessions, msg);
}

/** (b) and (d): IDLE sessions, on a fresh server so the figure is not mixed with (a) and (c). */
async function idleBench(idleSessions: number, msg: Uint8Array): Promise<void> {
  const mb = (n: number) => Math.round(n / 1024 / 1024);
  const second = await startServer(0, idleSessions);
  const idlePort = second.ready.port!;
  const serverRss = second.rss;
  const before = await serverRss();
  const idlers: Client[] = [];
  const t0 = performance.now();
  const batch = 200;
  for (let i = 0; i < idleSessions; i += batch) {
    const group = await Promise.all(
      Array.from({ length: Math.min(batch, idleSessions - i) }, async (_, j) => {
        const s = await Client.connect(idlePort);
        await s.cmd(`LOGIN idle${(i + j) % 100}@example.org "bench"`);
        await s.cmd("SELECT INBOX");
        await s.write("i IDLE\r\n");
        await s.line(); // "+ idling"
        return s;
      }),
    );
    idlers.push(...group);
  }
  const after = await serverRss();
  console.log(
    `(b) ${idlers.length} IDLE sessions in ${Math.round(performance.now() - t0)} ms: server rss ${
      mb(before.rss!)
    } MB -> ` +
      `${mb(after.rss!)} MB (peak ${mb(after.peak!)} MB, ${
        Math.round((after.rss! - before.rss!) / idlers.length / 1024)
      } KB/session)`,
  );
  // (d) IDLE wake-up latency: APPEND by another session until the idler sees EXISTS.
  const appender = await Client.connect(idlePort);
  await appender.cmd('LOGIN idle0@example.org "bench"');
  const watcher = idlers[0]!;
  const latencies: number[] = [];
  const afterAck: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const seen = (async () => {
      for (;;) if ((await watcher.line()).endsWith("EXISTS")) return performance.now();
    })();
    await appender.cmd(`APPEND INBOX {${msg.length}+}\r\n${dec.decode(msg)}`);
    const acked = performance.now();
    const at = await seen;
    latencies.push(at - t0);
    // From the APPEND's OK (the message is durable) to the idler's EXISTS; 0 when it came first.
    afterAck.push(Math.max(0, at - acked));
  }
  latencies.sort((x, y) => x - y);
  afterAck.sort((x, y) => x - y);
  console.log(
    `(d) IDLE wake-up: APPEND sent -> EXISTS p50 ${latencies[10]!.toFixed(1)} ms, max ${
      latencies[19]!.toFixed(1)
    } ms; APPEND OK -> EXISTS p50 ${afterAck[10]!.toFixed(1)} ms, max ${afterAck[19]!.toFixed(1)} ms`,
  );
  appender.close();
  for (const s of idlers) s.close();
  await second.stop();
}

/** PostgreSQL database of the run (`--store postgres`), or undefined for SQLite. */
let storeUrl: string | undefined;

/** Starts the server child process and returns its port and control functions. */
async function startServer(messages: number, idleAccounts: number, dir?: string, restart = false) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--role=server",
      `--messages=${messages}`,
      `--idle=${idleAccounts}`,
      ...(dir ? [`--dir=${dir}`] : []),
      ...(restart ? ["--restart"] : []),
      ...(storeUrl ? [`--store-url=${storeUrl}`] : []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const nextJson = async (): Promise<Record<string, number>> => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("{")) return JSON.parse(line);
        continue;
      }
      const { value, done } = await out.read();
      if (done) throw new Error("server exited");
      buf += value;
    }
  };
  const writer = child.stdin.getWriter();
  const ready = await nextJson();
  return {
    ready,
    async rss() {
      await writer.write(enc.encode("rss\n"));
      return await nextJson();
    },
    async stop() {
      await writer.close();
      await out.cancel().catch(() => {});
      await child.status;
    },
  };
}

if (import.meta.main) await main();
