/**
 * Outbound queue benchmark: N messages to D domains delivered to loopback sink MX hosts
 * (nodemailer's smtp-server, in a child process so its CPU and memory are not mixed with the
 * queue's). Reports enqueue rate, delivery messages/s, and the queue process's RSS sampled during
 * delivery (flat memory: peak vs. start).
 *
 * Usage: `deno run -A --v8-flags=--expose-gc bench/queue/mod.ts [--messages 10000] [--domains 100] [--sinks 4]
 *   [--concurrency 20] [--per-host 8]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { systemClock } from "../../core/clock.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { Queue } from "../../core/queue/queue.ts";
import { queueSettings } from "../../core/queue/settings.ts";

/** Concurrent submitters during the enqueue phase. */
const PRODUCERS = 50;

async function runSinks(n: number): Promise<void> {
  const { SMTPServer } = await import("smtp-server");
  let received = 0;
  const servers: InstanceType<typeof SMTPServer>[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      hideSTARTTLS: true,
      logger: false,
      disableReverseLookup: true,
      maxClients: 1000,
      onData(stream, _session, cb) {
        stream.on("data", () => {});
        stream.on("end", () => {
          received++;
          cb(null, "2.0.0 Ok");
        });
      },
    });
    s.on("error", () => {});
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    ports.push((s.server.address() as { port: number }).port);
    servers.push(s);
  }
  console.log(JSON.stringify({ ports }));
  for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
  console.log(JSON.stringify({ received }));
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      role: { type: "string" },
      messages: { type: "string", default: "10000" },
      domains: { type: "string", default: "100" },
      sinks: { type: "string", default: "4" },
      concurrency: { type: "string", default: "20" },
      "per-host": { type: "string", default: "8" },
    },
  });
  const sinks = Number(values.sinks);
  if (values.role === "sinks") return await runSinks(sinks);
  const messages = Number(values.messages);
  const domains = Number(values.domains);

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--role=sinks", `--sinks=${sinks}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const nextLine = async (): Promise<string> => {
    while (!buf.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("sink process ended");
      buf += value;
    }
    const i = buf.indexOf("\n");
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    return line;
  };
  const { ports } = JSON.parse(await nextLine()) as { ports: number[] };

  const dir = await Deno.makeTempDir({ prefix: "tern-bench-queue-" });
  const store = await SqliteStore.open({ dataDir: dir });
  const config = defaultConfig();
  config.hostname = "bench.test";
  config.queue = {
    ...config.queue!,
    concurrency: Number(values.concurrency),
    per_host_concurrency: Number(values["per-host"]),
  };
  const dns = new StaticDnsResolver();
  for (let d = 0; d < domains; d++) {
    dns.add({ name: `d${d}.test`, type: "MX", value: `10 mx.d${d}.test` });
    dns.add({ name: `mx.d${d}.test`, type: "A", value: `127.0.0.1:${ports[d % ports.length]}` });
  }
  const queue = new Queue({
    store,
    settings: queueSettings(config),
    clock: systemClock,
    log: nullLogger,
    dns,
  });

  const enc = new TextEncoder();
  const t0 = performance.now();
  // PRODUCERS concurrent submitters, like as many SMTP sessions: their commits are grouped.
  let next = 0;
  const producer = async () => {
    for (let i = next++; i < messages; i = next++) {
      const d = i % domains;
      const body = `From: <sender@bench.test>\r\nTo: <u${i}@d${d}.test>\r\nSubject: bench ${i}\r\n` +
        `Message-ID: <${i}@bench.test>\r\n\r\n${"Lorem ipsum dolor sit amet. ".repeat(30)}\r\n`;
      const blob = await store.blobs.put(enc.encode(body));
      await queue.enqueue({
        from: "sender@bench.test",
        recipients: [{ address: `u${i}@d${d}.test` }],
        smtputf8: false,
        body: "7BIT",
        sessionId: "bench",
      }, blob);
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
  const enqueueMs = performance.now() - t0;

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssStart = Deno.memoryUsage().rss;
  const heapStart = Deno.memoryUsage().heapUsed;
  let heapPeak = heapStart;
  let rssPeak = rssStart;
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const r = Deno.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, r);
    heapPeak = Math.max(heapPeak, Deno.memoryUsage().heapUsed);
    samples.push(r);
  }, 100);
  const t1 = performance.now();
  await queue.runDue();
  const deliverMs = performance.now() - t1;
  clearInterval(sampler);
  // With --v8-flags=--expose-gc: live heap after delivery (garbage excluded), to tell a leak from lazy GC.
  gc?.();
  const heapAfterGc = gc ? Deno.memoryUsage().heapUsed : null;
  const m = queue.metrics.snapshot();
  await child.stdin.close();
  const { received } = JSON.parse(await nextLine()) as { received: number };
  await child.status;
  await store.close();
  await Deno.remove(dir, { recursive: true });
  const mb = (n: number) => Math.round(n / 1024 / 1024);
  const q = (p: number) => {
    const s = [...samples].sort((a, b) => a - b);
    return s.length ? mb(s[Math.min(s.length - 1, Math.floor(p * s.length))]!) : 0;
  };
  console.log(JSON.stringify(
    {
      messages,
      domains,
      sinks,
      concurrency: config.queue.concurrency,
      per_host: config.queue.per_host_concurrency,
      enqueue_per_s: Math.round(messages / (enqueueMs / 1000)),
      delivered: m.delivered,
      failed: m.failed,
      deferred: m.deferred,
      sink_received: received,
      deliver_seconds: +(deliverMs / 1000).toFixed(2),
      delivered_per_s: Math.round(m.delivered / (deliverMs / 1000)),
      mean_attempt_ms: +(m.latency.sumMs / Math.max(1, m.latency.count)).toFixed(1),
      rss_mb: { start: mb(rssStart), p50: q(0.5), peak: mb(rssPeak) },
      // RSS includes SQLite's page cache (cache_size = 64 MiB), which fills as the queue grows.
      heap_mb: {
        start: mb(heapStart),
        peak: mb(heapPeak),
        after_gc: heapAfterGc === null ? null : mb(heapAfterGc),
      },
    },
    null,
    2,
  ));
  if (m.delivered !== messages || received !== messages) Deno.exit(1);
}

if (import.meta.main) await main();
