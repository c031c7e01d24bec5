/**
 * Test harness for the outbound queue: a temp data dir with the SQLite store, a fake clock, a static
 * resolver pointing at loopback sinks, and a queue driven by `runDue()` (no real waiting).
 *
 * @module
 */
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import type { Clock } from "../../core/clock.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { Queue, type QueueOptions } from "../../core/queue/queue.ts";
import { type QueueSettings, queueSettings } from "../../core/queue/settings.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import type { QueueConfig } from "../../core/config/types.ts";
import type { OutboundEnvelope } from "../../core/delivery/outbound.ts";

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  #t: number;
  /** @param start initial time */
  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.#t = start;
  }
  now(): Date {
    return new Date(this.#t);
  }
  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void {
    this.#t += seconds * 1000;
  }
}

/** Everything a queue test uses. */
export interface Harness {
  dir: string;
  store: SqliteStore;
  clock: FakeClock;
  dns: StaticDnsResolver;
  queue: Queue;
  settings: QueueSettings;
  /** Queues a message (blob written first) and returns its id. */
  send(
    env: Partial<OutboundEnvelope> & { recipients: OutboundEnvelope["recipients"] },
    body?: string,
  ): Promise<string>;
  close(): Promise<void>;
}

/** A simple RFC 5322 message. */
export function sampleMessage(from = "ada@local.test", to = "bob@remote.test", subject = "Hello"): string {
  return `From: Ada <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nDate: Thu, 01 Jan 2026 12:00:00 +0000\r\n` +
    `Message-ID: <m-${crypto.randomUUID()}@local.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n` +
    `Hello Bob,\r\n.line starting with a dot\r\nBye.\r\n`;
}

/** Opens a store in a temp dir with local domain `local.test` and account `ada@local.test`. */
export async function harness(
  queue: Partial<QueueConfig> = {},
  extra: Partial<QueueOptions> = {},
  storeOptions: { blobGraceMs?: number } = {},
): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "tern-queue-" });
  const clock = new FakeClock();
  const store = await SqliteStore.open({ dataDir: dir, clock, ...storeOptions });
  await store.addDomain("local.test");
  await store.createAccount({ address: "ada@local.test", secrets: { passwordHash: "x" } });
  const config = defaultConfig();
  config.hostname = "mx.local.test";
  config.queue = { ...config.queue!, ...queue };
  const settings = queueSettings(config);
  const dns = new StaticDnsResolver();
  const q = new Queue({
    store,
    settings,
    clock,
    log: nullLogger,
    dns,
    keepFinished: true,
    ...extra,
  });
  return {
    dir,
    store,
    clock,
    dns,
    queue: q,
    settings,
    async send(env, body) {
      const bytes = new TextEncoder().encode(body ?? sampleMessage(env.from ?? undefined));
      const blob = await store.blobs.put(bytes);
      const { id } = await q.enqueue({
        from: "ada@local.test",
        smtputf8: false,
        body: "7BIT",
        sessionId: "test",
        ...env,
      }, blob);
      return id;
    },
    async close() {
      await q.stop();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Raw messages in ada@local.test's Inbox (DSNs delivered back to the local sender). */
export async function inbox(store: SqliteStore): Promise<string[]> {
  const account = await store.getAccountByAddress("ada@local.test");
  const box = await store.getMailboxByRole(account!.id, "inbox");
  const placements = await store.listPlacements(account!.id, box!.id);
  const out: string[] = [];
  for (const p of placements) {
    const raw = await store.readMessage(account!.id, p.messageId);
    out.push(new TextDecoder().decode(raw!));
  }
  return out;
}
