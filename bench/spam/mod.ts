/**
 * Issue 18: SMTP ingest with spam scoring on against off. Each round starts a server in this
 * process (SQLite store in a temp dir) and sends M messages of S bytes over C concurrent pipelined
 * SMTP sessions on the MX listener, to 20 accounts whose junk filters were each trained on 50 spam
 * and 50 ham messages first; rounds alternate `off` and `on` (A B A B …), and the medians and their
 * ratio are printed as a Markdown row. "on" is `[spam] enabled`: the content rules, the rDNS and
 * HELO facts (log mode, static DNS), the tokenizer and each account's Bayesian junk filter (token
 * counts read from the store), and the X-Spam fields; message authentication stays off in both
 * (bench/mailauth measures it). Run on a quiet machine.
 *
 * Usage: `deno run -A bench/spam/mod.ts [--rounds 3] [--messages 1000] [--size 4096] [--sessions 20]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { ingestRate } from "../_smtp_session.ts";
import { createServer } from "../../protocols/server.ts";
import { tokenize } from "../../core/spam/tokenize.ts";

const enc = new TextEncoder();
const ACCOUNTS = 20;
const TRAINED = 50;

const SPAM_WORDS =
  "casino bonus winner lottery prize cheap pills viagra claim jackpot unclaimed offer free money".split(" ");
const HAM_WORDS = "meeting project budget quarterly notes agenda team review roadmap report schedule minutes"
  .split(" ");
const COMMON = "the quick brown fox jumps over the lazy dog and then some more words about nothing".split(
  " ",
);

/** A message of about `size` bytes, with words drawn from `words` and common ones. */
function text(n: number, size: number, words: string[]): string {
  const pick = (
    i: number,
  ) => (i % 3 === 0 ? words[(n * 7 + i) % words.length] : COMMON[(n + i) % COMMON.length]);
  let body = "";
  for (let i = 0; body.length < size; i++) body += pick(i) + (i % 12 === 11 ? "\r\n" : " ");
  return `From: sender${n}@sender.test\r\nTo: user@example.org\r\nSubject: ${pick(0)} ${pick(3)} ${n}\r\n` +
    `Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: <${n}.${crypto.randomUUID()}@sender.test>\r\n\r\n${body}\r\n`;
}

async function round(
  mode: "on" | "off",
  payloads: Uint8Array[],
  sessions: number,
  size: number,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-spam-" });
  const config = testConfig(dir, {
    hostname: "mx.bench.test",
    local_domains: ["example.org"],
    smtp: { rate_limit_per_minute: 0, max_connections_per_ip: 0 },
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    spam: { enabled: mode === "on" },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  try {
    const store = srv.context.store;
    for (let i = 0; i < ACCOUNTS; i++) {
      const a = await store.createAccount({
        address: `user${i}@example.org`,
        secrets: { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" },
      });
      // The same training in both modes (off simply never reads it).
      for (let k = 0; k < TRAINED; k++) {
        for (const [cls, words] of [["spam", SPAM_WORDS], ["ham", HAM_WORDS]] as const) {
          const tokens = tokenize(enc.encode(text(k, size, words)));
          await store.junkTokens!.train(a.id, { messageId: `${cls}${k}`, tokens, train: cls, mark: cls });
        }
      }
    }
    await srv.start();
    return await ingestRate(srv.addresses.smtp.port, payloads, sessions, ACCOUNTS);
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      messages: { type: "string", default: "1000" },
      size: { type: "string", default: "4096" },
      sessions: { type: "string", default: "20" },
    },
  });
  const rounds = Number(values.rounds);
  const messages = Number(values.messages);
  const size = Number(values.size);
  const sessions = Number(values.sessions);
  // Half spam-like, half ham-like; no line starts with "." (no dot-stuffing needed).
  const payloads = Array.from(
    { length: messages },
    (_, i) => enc.encode(text(1000 + i, size, i % 2 === 0 ? SPAM_WORDS : HAM_WORDS) + ".\r\n"),
  );
  const results: Record<"on" | "off", number[]> = { on: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ["off", "on"] as const) {
      const rate = await round(mode, payloads, sessions, size);
      results[mode].push(rate);
      console.log(`round ${r + 1} ${mode}: ${rate.toFixed(0)} msg/s`);
    }
  }
  const off = median(results.off);
  const on = median(results.on);
  console.log(
    "\n| ingest (SMTP, MX) | spam scoring off msg/s | spam scoring + junk filter on msg/s | on/off |",
  );
  console.log("|---|---|---|---|");
  console.log(
    `| ${messages} × ${size} B, ${sessions} sessions, ${ACCOUNTS} trained accounts, ${rounds} rounds | ${
      off.toFixed(0)
    } | ${on.toFixed(0)} | ${(on / off).toFixed(2)} |`,
  );
}

if (import.meta.main) await main();
