/**
 * Issue 18: SMTP ingest with every inbound check on against all off. Each round starts a server in
 * this process (SQLite store in a temp dir) with DNS answered from static records — the sender's
 * SPF, DKIM key and DMARC policy, a PTR with its forward record, one DNS blocklist zone — and sends
 * M DKIM-signed messages of S bytes over C concurrent pipelined SMTP sessions on the MX listener;
 * rounds alternate `off` and `on` (A B A B …), and the medians and their ratio are printed as a
 * Markdown row. "on" is SPF, DKIM, ARC, DMARC (enforce), rDNS and HELO (log), one DNSBL zone (not
 * listed) and the DNS cache (what a warm server sees); greylisting stays off (it defers by design).
 * Run on a quiet machine.
 *
 * Usage: `deno run -A bench/mailauth/mod.ts [--rounds 3] [--messages 1000] [--size 4096] [--sessions 20]`
 *
 * @module
 */
import type { QueueConfig } from "../../core/config/types.ts";
import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import { dkimSign } from "mailauth";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { ingestRate } from "../_smtp_session.ts";
import { createServer } from "../../protocols/server.ts";

/** A record of `[[queue.static_dns]]`. */
type ZoneRecord = NonNullable<QueueConfig["static_dns"]>[number];

const enc = new TextEncoder();
const ACCOUNTS = 20;

/** The sender domain's key and the zone publishing it. */
function senderZone(): { privateKey: string; records: ZoneRecord[] } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const p = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    records: [
      { name: "tern-test.invalid", type: "A", value: "127.0.0.1" },
      { name: "s1._domainkey.sender.test", type: "TXT", value: `v=DKIM1; k=rsa; p=${p}` },
      { name: "sender.test", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" },
      { name: "_dmarc.sender.test", type: "TXT", value: "v=DMARC1; p=reject" },
      { name: "127.0.0.1", type: "PTR", value: "mail.sender.test" },
      { name: "mail.sender.test", type: "A", value: "127.0.0.1" },
    ],
  };
}

async function signed(size: number, n: number, privateKey: string): Promise<Uint8Array> {
  let body = "";
  const line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz.\r\n";
  while (body.length + line.length < size) body += line;
  const raw = `From: bench@sender.test\r\nTo: user@example.org\r\nSubject: bench ${n}\r\n` +
    `Message-ID: <${n}.${crypto.randomUUID()}@sender.test>\r\n\r\n${body}`;
  const sig = {
    signingDomain: "sender.test",
    selector: "s1",
    privateKey,
    algorithm: "rsa-sha256",
    canonicalization: "relaxed/relaxed",
  };
  const res = await dkimSign(Buffer.from(raw), { ...sig, signatureData: [sig] });
  const text = res.signatures + raw;
  // Dot-stuffing (RFC 5321 §4.5.2) is not needed: no line starts with ".".
  return enc.encode(text + ".\r\n");
}

async function round(
  checks: "on" | "off",
  records: ZoneRecord[],
  payloads: Uint8Array[],
  sessions: number,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-mailauth-" });
  const on = checks === "on";
  const config = testConfig(dir, {
    hostname: "mx.bench.test",
    local_domains: ["example.org"],
    smtp: {
      rate_limit_per_minute: 0,
      max_connections_per_ip: 0,
      checks: {
        spf: on,
        dkim: on,
        dmarc: on,
        arc: on,
        rdns: on ? "log" : "off",
        helo: on ? "log" : "off",
        dnsbl: on ? [{ zone: "bl.bench.test" }] : [],
      },
    },
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    queue: { static_dns: records },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  try {
    for (let i = 0; i < ACCOUNTS; i++) {
      await srv.context.store.createAccount({
        address: `user${i}@example.org`,
        secrets: { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" },
      });
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
  const zone = senderZone();
  const payloads = await Promise.all(
    Array.from({ length: messages }, (_, i) => signed(size, i, zone.privateKey)),
  );
  const results: Record<"on" | "off", number[]> = { on: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ["off", "on"] as const) {
      const rate = await round(mode, zone.records, payloads, sessions);
      results[mode].push(rate);
      console.log(`round ${r + 1} ${mode}: ${rate.toFixed(0)} msg/s`);
    }
  }
  const off = median(results.off);
  const on = median(results.on);
  console.log("\n| ingest (SMTP, DKIM-signed) | checks off msg/s | all checks on msg/s | on/off |");
  console.log("|---|---|---|---|");
  console.log(
    `| ${messages} × ${size} B, ${sessions} sessions, ${rounds} rounds | ${off.toFixed(0)} | ${
      on.toFixed(0)
    } | ${(on / off).toFixed(2)} |`,
  );
}

if (import.meta.main) await main();
