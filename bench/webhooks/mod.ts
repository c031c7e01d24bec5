/**
 * Issue 19: SMTP ingest with a webhook on every message, against none. Each round starts a real
 * server (createServer, SQLite in a temp dir) in its own process; this process runs a loopback
 * receiver answering 204 and `--sessions` concurrent SMTP sessions each sending `--messages`
 * messages of `--size` bytes.
 * It reports ingest messages/s (first MAIL to last 250: what the sender sees; the outbox row is
 * in the same commit as the message) and, with webhooks, how long until every webhook was
 * delivered. Rounds alternate `none` and `webhook`; the medians and the ratio are printed
 * (target: within 10%). Run on a quiet machine.
 *
 * Usage: `deno run -A bench/webhooks/mod.ts [--rounds 3] [--sessions 20] [--messages 50] [--size 4096]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { testConfig } from "../../core/config/test_config.ts";
import { createServer } from "../../protocols/server.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { addWebhook } from "../../core/webhooks/operations.ts";

const MODES = ["none", "webhook"] as const;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** One SMTP session: EHLO, then `count` transactions, then QUIT; replies read one by one. */
async function session(port: number, count: number, body: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(4096);
  let pending = "";
  const reply = async (): Promise<string> => {
    for (;;) {
      const m = /^(\d{3}) .*\r\n/m.exec(pending);
      if (m) {
        const end = pending.indexOf("\r\n", m.index) + 2;
        const line = pending.slice(0, end);
        pending = pending.slice(end);
        return line;
      }
      const n = await conn.read(buf);
      if (n === null) throw new Error("connection closed");
      pending += dec.decode(buf.subarray(0, n));
    }
  };
  const cmd = async (line: string, expect: string) => {
    await conn.write(enc.encode(line));
    const r = await reply();
    if (!r.startsWith(expect)) throw new Error(`${line.trim()} → ${r.trim()}`);
  };
  try {
    await reply();
    await cmd("EHLO bench.example\r\n", "250");
    for (let i = 0; i < count; i++) {
      await cmd("MAIL FROM:<load@remote.example>\r\n", "250");
      await cmd("RCPT TO:<ada@example.org>\r\n", "250");
      await cmd("DATA\r\n", "354");
      await cmd(
        `Subject: bench ${i}\r\nMessage-ID: <${crypto.randomUUID()}@bench>\r\n\r\n${body}\r\n.\r\n`,
        "250",
      );
    }
    await cmd("QUIT\r\n", "221");
  } finally {
    conn.close();
  }
}

/** The server process of a round: prints its SMTP port, runs until SIGTERM. */
async function runServer(mode: string, hookUrl: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-webhooks-" });
  const config = testConfig(dir, {
    local_domains: ["example.org"],
    // All sessions come from 127.0.0.1: the per-IP and per-sender limits are not under test.
    smtp: { rate_limit_per_minute: 0, max_connections_per_ip: 0 },
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    outbound_http: { allow_private: ["127.0.0.0/8"] },
    webhooks: { concurrency: 32, per_endpoint_concurrency: 16 },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const store = srv.context.store;
  await store.createAccount({
    address: "ada@example.org",
    secrets: await srv.context.auth.deriveSecrets("bench-pw-1"),
  });
  if (mode === "webhook") {
    await addWebhook(store, { scope: "address:ada@example.org", url: hookUrl }, new Date());
  }
  await srv.start();
  const stop = () => srv.stop({ graceSeconds: 0 });
  Deno.addSignalListener("SIGTERM", stop);
  console.log(JSON.stringify({ smtp: srv.addresses.smtp.port }));
  await srv.finished;
  await Deno.remove(dir, { recursive: true });
  Deno.exit(0);
}

/** One round: the server in its own process; SMTP clients and the receiver here. */
async function runRound(
  mode: string,
  sessions: number,
  messages: number,
  size: number,
): Promise<{ rate: number; drainMs: number | null }> {
  let delivered = 0;
  let allDelivered: () => void = () => {};
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  const total = sessions * messages;
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    if (++delivered === total) allDelivered();
    return new Response(null, { status: 204 });
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--role=server",
      `--mode=${mode}`,
      `--hook-url=http://127.0.0.1:${receiver.addr.port}/hook`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) {
      const { value, done: end } = await reader.read();
      if (end) throw new Error("server exited before listening");
      first += value;
    }
    reader.releaseLock();
    const port = (JSON.parse(first.split("\n")[0]!) as { smtp: number }).smtp;
    const line = "x".repeat(76) + "\r\n";
    const body = line.repeat(Math.max(1, Math.floor(size / line.length)));
    const started = performance.now();
    await Promise.all(Array.from({ length: sessions }, () => session(port, messages, body)));
    const ingestMs = performance.now() - started;
    let drainMs: number | null = null;
    if (mode === "webhook") {
      await done;
      drainMs = performance.now() - started;
    }
    return { rate: Math.round(total / (ingestMs / 1000)), drainMs };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await receiver.shutdown();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      sessions: { type: "string", default: "20" },
      messages: { type: "string", default: "50" },
      size: { type: "string", default: "4096" },
      role: { type: "string" },
      mode: { type: "string" },
      "hook-url": { type: "string" },
    },
  });
  if (values.role === "server") return await runServer(values.mode ?? "none", values["hook-url"] ?? "");
  const sessions = Number(values.sessions), messages = Number(values.messages), size = Number(values.size);
  const rates = new Map<string, number[]>(MODES.map((m) => [m, []]));
  const drains: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const mode of MODES) {
      const res = await runRound(mode, sessions, messages, size);
      rates.get(mode)!.push(res.rate);
      if (res.drainMs !== null) drains.push(res.drainMs);
      console.log(
        `round ${r + 1} ${mode}: ${res.rate} msgs/s` +
          (res.drainMs === null ? "" : `, all webhooks delivered after ${(res.drainMs / 1000).toFixed(2)} s`),
      );
    }
  }
  const base = median(rates.get("none")!);
  console.log("\n| webhooks | ingest msgs/s (median) | vs none |");
  console.log("| -------- | ---------------------- | ------- |");
  for (const mode of MODES) {
    const rate = median(rates.get(mode)!);
    console.log(`| ${mode} | ${rate.toFixed(0)} | ${(rate / base * 100).toFixed(1)}% |`);
  }
  console.log(
    `\nwebhook drain (median): ${(median(drains) / 1000).toFixed(2)} s for ${sessions * messages} messages`,
  );
}

if (import.meta.main) await main();
