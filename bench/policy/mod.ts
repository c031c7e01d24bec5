/**
 * bench/policy: connection accept rate with and without hooks and built-in policies.
 *
 * Each variant starts a real server on 127.0.0.1 port 0; clients open a POP3 connection, read the
 * greeting and close, `CONCURRENCY` at a time. Variants run in alternating rounds (A B C A B C …)
 * so drift on a shared machine hits them alike; the figure is the median of the rounds.
 * Target (issue: connection policy): the policy + hooks overhead stays under 5 %.
 *
 * @module
 */
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import type { ServerHooks } from "../../core/net/hooks.ts";

const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 2000);
const CONCURRENCY = 20;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);

interface Variant {
  name: string;
  policy: Partial<Config["policy"]>;
  blockList?: string[];
  hooks?: ServerHooks;
}

/** Many non-matching blocks, so the CIDR walk is part of what is measured. */
const bigBlockList = Array.from({ length: 1000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);

const VARIANTS: Variant[] = [
  {
    name: "no policy, no hooks",
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0, ban_failures: 0 },
  },
  {
    name: "policy (per-IP limits, rate, bans)",
    policy: { max_connections_per_ip: 1000, connections_per_minute_per_ip: 10_000_000, ban_failures: 20 },
  },
  {
    name: "policy + 1000-block list + user hooks",
    policy: { max_connections_per_ip: 1000, connections_per_minute_per_ip: 10_000_000, ban_failures: 20 },
    blockList: bigBlockList,
    hooks: { onConnect: () => ({ allow: true }), onClose: () => {} },
  },
];

async function oneConnection(port: number, buf: Uint8Array): Promise<void> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const n = await c.read(buf);
    if (n === null || buf[0] !== 0x2b) throw new Error("no +OK greeting");
  } finally {
    c.close();
  }
}

async function round(v: Variant): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-policy-" });
  const config = testConfig(dir, {
    log: { level: "error" },
    policy: { ...v.policy, ...(v.blockList ? { block_networks: v.blockList } : {}) },
  });
  const srv = await createServer(config, v.hooks);
  await srv.start();
  const port = srv.addresses.pop3.port;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    const buf = new Uint8Array(256);
    while (next < CONNECTIONS) {
      next++;
      await oneConnection(port, buf);
    }
  }));
  const rate = CONNECTIONS / ((performance.now() - started) / 1000);
  await srv.stop({ graceSeconds: 1 });
  await Deno.remove(dir, { recursive: true });
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (import.meta.main) {
  const rates = VARIANTS.map(() => [] as number[]);
  await round(VARIANTS[0]!); // warm-up (JIT, certificate generation)
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < VARIANTS.length; i++) rates[i]!.push(await round(VARIANTS[i]!));
  }
  const base = median(rates[0]!);
  console.log(`connections per round: ${CONNECTIONS}, concurrency ${CONCURRENCY}, rounds ${ROUNDS}`);
  for (let i = 0; i < VARIANTS.length; i++) {
    const m = median(rates[i]!);
    const overhead = ((base - m) / base) * 100;
    console.log(
      `${VARIANTS[i]!.name.padEnd(40)} ${m.toFixed(0).padStart(6)} conn/s  overhead ${overhead.toFixed(1)} %`,
    );
  }
}
