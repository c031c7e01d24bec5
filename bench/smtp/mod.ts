/**
 * SMTP delivery benchmark: N concurrent sessions each send M messages of S bytes to local
 * recipients over the real MX listener; reports messages/s, p50/p99 per-message latency (MAIL to
 * the 250 after the data, i.e. until the message is durable) and the server's peak RSS.
 *
 * The server runs in a child process (`--role=server`) so its RSS is not mixed with the clients'.
 *
 * Usage: `deno run -A bench/smtp/mod.ts [--sessions 50] [--messages 40] [--size 4096] [--recipients 1]
 * [--profile DIR] [--tenancy on|off|plan] [--store sqlite|postgres]` (`--store postgres` runs the server
 * on a throwaway PostgreSQL cluster, bench/_store.ts; `--profile` writes a V8 CPU profile of the server into
 * DIR; `--tenancy` (issue 16): `on` is the default server (usage counted, no plan), `off` takes plan
 * checks and usage counting out of the delivery pipeline, `plan` puts the recipients' organization
 * on a plan whose every limit is checked but never reached; bench/tenancy compares them).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createServer } from "../../protocols/server.ts";
import { applyTenancyMode } from "../tenancy/modes.ts";
import { benchStoreUrl, storeConfig } from "../_store.ts";
import { connectSmtp } from "../_smtp_session.ts";

const enc = new TextEncoder();

/** Accounts the benchmark delivers to. */
const ACCOUNTS = 20;

async function runServer(tenancy: string, storeUrl?: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-smtp-" });
  const config = testConfig(dir, {
    hostname: "bench.test",
    local_domains: ["example.org"],
    smtp: { rate_limit_per_minute: 0, max_connections_per_ip: 0 },
    // All sessions come from 127.0.0.1: the connection policy's per-IP limits are not under test.
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    ...storeConfig(storeUrl),
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  for (let i = 0; i < ACCOUNTS; i++) {
    await srv.context.store.createAccount({
      address: `user${i}@example.org`,
      secrets: { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" },
    });
  }
  // Issue 16 bench: the server of one tenancy mode (bench/tenancy/modes.ts).
  await applyTenancyMode(srv, tenancy);
  await srv.start();
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 20);
  console.log(JSON.stringify({ port: srv.addresses.smtp.port }));
  const cpuStart = cpuMs();
  // Wait for the parent to close stdin.
  for await (const _ of Deno.stdin.readable) { /* drain */ }
  const cpu = cpuStart === null ? null : cpuMs()! - cpuStart;
  clearInterval(sampler);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  await srv.stop({ graceSeconds: 0 });
  await Deno.remove(dir, { recursive: true });
  console.log(JSON.stringify({ peakRss: peak, cpuMs: cpu }));
}

/**
 * CPU time (user + system, all threads) of this process in ms, from /proc (Linux); null elsewhere.
 * Unlike wall time it does not depend on what else the machine runs.
 */
function cpuMs(): number | null {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function makeMessage(size: number, n: number): Uint8Array {
  const header = `From: bench@remote.test\r\nTo: user@example.org\r\nSubject: bench ${n}\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz.\r\n";
  let body = header;
  while (body.length + line.length < size) body += line;
  body += "x".repeat(Math.max(0, size - body.length - 2)) + "\r\n";
  return enc.encode(body + ".\r\n");
}

async function session(
  port: number,
  messages: number,
  payload: Uint8Array,
  recipients: number,
  offset: number,
  latencies: number[],
): Promise<void> {
  const c = await connectSmtp(port);
  try {
    await c.reply();
    await c.write("EHLO bench.client\r\n");
    await c.reply();
    for (let m = 0; m < messages; m++) {
      const start = performance.now();
      let cmds = "MAIL FROM:<bench@remote.test>\r\n";
      for (let r = 0; r < recipients; r++) {
        cmds += `RCPT TO:<user${(offset + m + r) % ACCOUNTS}@example.org>\r\n`;
      }
      // PIPELINING (RFC 2920): MAIL, RCPTs and DATA in one write.
      await c.write(cmds + "DATA\r\n");
      for (let r = 0; r < recipients + 1; r++) {
        const line = await c.reply();
        if (!line.startsWith("250")) throw new Error(`unexpected reply: ${line}`);
      }
      const go = await c.reply();
      if (!go.startsWith("354")) throw new Error(`unexpected reply: ${go}`);
      await c.send(payload, "250");
      latencies.push(performance.now() - start);
    }
    await c.write("QUIT\r\n");
    await c.reply();
  } finally {
    c.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      role: { type: "string", default: "client" },
      sessions: { type: "string", default: "50" },
      messages: { type: "string", default: "40" },
      size: { type: "string", default: "4096" },
      recipients: { type: "string", default: "1" },
      profile: { type: "string" },
      tenancy: { type: "string", default: "on" },
      store: { type: "string", default: "sqlite" },
      "store-url": { type: "string" },
    },
  });
  if (!["on", "off", "plan"].includes(values.tenancy)) throw new Error("--tenancy is on, off or plan");
  if (values.role === "server") return await runServer(values.tenancy, values["store-url"]);
  const storeUrl = await benchStoreUrl(values.store);
  const sessions = Number(values.sessions);
  const messages = Number(values.messages);
  const size = Number(values.size);
  const recipients = Number(values.recipients);

  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // --profile DIR: a V8 CPU profile of the server, for chrome://inspect or a script.
      ...(values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : []),
      new URL(import.meta.url).pathname,
      "--role=server",
      `--tenancy=${values.tenancy}`,
      ...(storeUrl ? [`--store-url=${storeUrl}`] : []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const i = pending.indexOf("\n");
      if (i !== -1) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) throw new Error("server exited");
      pending += value;
    }
  };
  const { port } = JSON.parse(await nextLine()) as { port: number };

  const payload = makeMessage(size, 0);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, (_, i) => session(port, messages, payload, recipients, i, latencies)),
  );
  const seconds = (performance.now() - started) / 1000;
  await child.stdin.close();
  const { peakRss, cpuMs: serverCpu } = JSON.parse(await nextLine()) as {
    peakRss: number;
    cpuMs: number | null;
  };
  lines.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.status;

  latencies.sort((a, b) => a - b);
  const total = sessions * messages;
  console.log(
    `smtp${
      values.tenancy === "on" ? "" : ` (tenancy ${values.tenancy})`
    }: ${sessions} sessions x ${messages} messages x ${size} B to ${recipients} recipient(s): ` +
      `${total} messages in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} msgs/s; ` +
      `latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${
        percentile(latencies, 99).toFixed(1)
      } ms; ` +
      `server peak RSS ${(peakRss / 1048576).toFixed(0)} MB` +
      (serverCpu === null
        ? ""
        : `; server CPU ${(serverCpu / total).toFixed(3)} ms/msg (${
          (total / serverCpu * 1000).toFixed(0)
        } msgs per CPU-second)`),
  );
}

if (import.meta.main) await main();
