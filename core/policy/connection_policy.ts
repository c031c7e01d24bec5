/**
 * The built-in connection policies, configured without code and applied to every listener (SMTP,
 * IMAP, POP3, HTTP) through the `onConnect`/`onClose` hook points (core/net/hooks.ts):
 * CIDR allow and block lists (global and per listener), daily time windows per listener,
 * concurrent connections per IP per protocol, connection rate per IP, and bans after repeated
 * authentication failures across all protocols. Everything reloads on SIGHUP (`onReload`).
 *
 * Checks run cheapest first and stop at the first refusal (the maddy stages idea); the reason sent
 * to the client is short and generic, the detail goes to the log.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import type { Config, ListenerName } from "../config/types.ts";
import type { ConnectDecision, ServerHooks } from "../net/hooks.ts";
import type { Session } from "../session.ts";
import type { Logger } from "../log/logger.ts";
import { nullLogger } from "../log/logger.ts";
import { addressKey } from "../syntax/address_key.ts";
import { CidrList } from "./cidr.ts";
import { TimeWindows } from "../syntax/time_window.ts";
import { createMemoryRateLimiter, type RateLimiter } from "./rate_limiter.ts";
import { type Ban, type BanStore, MemoryBanStore } from "./ban_store.ts";

/** Reasons sent to clients (in the protocol's own refusal form). */
export const PolicyReason = {
  NOT_ALLOWED: "Connections from your address are not accepted",
  BLOCKED: "Connection refused by policy",
  CLOSED: "Service not available at this time",
  BANNED: "Too many authentication failures; try again later",
  RATE: "Too many connections; slow down",
  CONCURRENT: "Too many connections from your address",
} as const;

/** The key an address is counted under: IPv4 as is, IPv6 by its /64 (as the auth throttle does). */
function keyOf(ip: string): string {
  // Fast path for the common dotted quad: addressKey parses with ipaddr.js, which costs µs per call.
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip) ? ip : addressKey(ip);
}

/** Compiled settings of one listener. */
interface ListenerRules {
  allow: CidrList;
  block: CidrList;
  windows: TimeWindows;
}

/** Compiled settings; rebuilt on reload. */
interface Compiled {
  allow: CidrList;
  block: CidrList;
  listeners: Map<string, ListenerRules>;
  maxPerIp: number;
  perMinute: number;
  banFailures: number;
  banWindowMs: number;
  banMs: number;
  rate: RateLimiter | null;
  failures: RateLimiter | null;
}

function compile(config: Config, clock: Clock): Compiled {
  const p = config.policy;
  const listeners = new Map<string, ListenerRules>();
  for (const [name, l] of Object.entries(config.listeners)) {
    listeners.set(name, {
      allow: new CidrList(l.allow_networks ?? []),
      block: new CidrList(l.block_networks ?? []),
      windows: new TimeWindows(l.time_windows ?? []),
    });
  }
  return {
    allow: new CidrList(p.allow_networks),
    block: new CidrList(p.block_networks),
    listeners,
    maxPerIp: p.max_connections_per_ip,
    perMinute: p.connections_per_minute_per_ip,
    banFailures: p.ban_failures,
    banWindowMs: p.ban_window_seconds * 1000,
    banMs: p.ban_seconds * 1000,
    rate: p.connections_per_minute_per_ip > 0
      ? createMemoryRateLimiter({ limit: p.connections_per_minute_per_ip, windowMs: 60_000, clock })
      : null,
    failures: p.ban_failures > 0 && p.ban_seconds > 0
      ? createMemoryRateLimiter({ limit: p.ban_failures, windowMs: p.ban_window_seconds * 1000, clock })
      : null,
  };
}

/** Options of `ConnectionPolicy`. */
export interface ConnectionPolicyOptions {
  clock?: Clock;
  /** Where bans are kept (default: in memory). The server passes the SQLite one so the CLI sees them. */
  bans?: BanStore;
  log?: Logger;
  /** Called after an address is banned (the audit log's security event); errors are ignored. */
  onBan?: (ban: Ban) => void | Promise<void>;
}

/** The built-in policies as server hooks, plus the authentication-failure counter. */
export class ConnectionPolicy {
  readonly bans: BanStore;
  #c: Compiled;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onBan: ((ban: Ban) => void | Promise<void>) | undefined;
  /** Concurrent sessions per protocol+IP key. */
  readonly #open = new Map<string, number>();
  /** Sessions counted in `#open`, with their key, so onClose decrements exactly once. */
  readonly #counted = new Map<string, string>();
  /** Bans known to this process (address key → end, ms); the ban store is the source of truth. */
  readonly #banned = new Map<string, number>();

  /** Compiles the `policy` section and the listeners' network lists; throws RangeError on a bad entry. */
  constructor(config: Config, opts: ConnectionPolicyOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.log ?? nullLogger;
    this.bans = opts.bans ?? new MemoryBanStore();
    this.#onBan = opts.onBan;
    this.#c = compile(config, this.#clock);
  }

  /** The hooks to compose into the server's (`composeHooks(policy.hooks(), userHooks)`). */
  hooks(): ServerHooks {
    return {
      onConnect: (s) => this.check(s),
      onClose: (s) => this.release(s),
      onReload: (config) => this.reload(config),
    };
  }

  /** Applies new settings (SIGHUP); live counters and bans are kept. */
  reload(config: Config): void {
    this.#c = compile(config, this.#clock);
  }

  /** Loads active bans from the ban store (at startup, so bans survive a restart). */
  async loadBans(): Promise<void> {
    for (const b of await this.bans.list(this.#clock.now())) this.#banned.set(b.address, b.until.getTime());
  }

  /**
   * Decides whether a new session may proceed. Answers at once unless the store must confirm a
   * ban or the rate limiter be asked (never for HTTP, whose requests are not rated): an HTTP
   * request then costs no promise here.
   */
  check(session: Session): Promise<ConnectDecision> | ConnectDecision {
    const c = this.#c;
    const ip = session.remoteAddress;
    const rules = c.listeners.get(session.listener);
    // 1. Network lists: global allow, listener allow, global and listener blocks.
    if (c.allow.size > 0 && !c.allow.contains(ip)) {
      return this.#refuse(session, PolicyReason.NOT_ALLOWED, "allow list");
    }
    if (rules && rules.allow.size > 0 && !rules.allow.contains(ip)) {
      return this.#refuse(session, PolicyReason.NOT_ALLOWED, "listener allow list");
    }
    if (c.block.contains(ip) || rules?.block.contains(ip)) {
      return this.#refuse(session, PolicyReason.BLOCKED, "block list");
    }
    // 2. Time windows.
    if (rules && !rules.windows.isOpen(this.#clock.now())) {
      return this.#refuse(session, PolicyReason.CLOSED, "time window");
    }
    const key = keyOf(ip);
    // 3. Authentication-failure bans (shared by all protocols).
    const until = this.#banned.get(key);
    if (until !== undefined) {
      const now = this.#clock.now();
      if (until > now.getTime()) return this.#checkBan(session, key, now, c);
      this.#banned.delete(key);
    }
    return this.#afterBans(session, key, c);
  }

  /** Step 3 for a ban this process knows of: the CLI may have cleared it from another process, so the store decides. */
  async #checkBan(session: Session, key: string, now: Date, c: Compiled): Promise<ConnectDecision> {
    const ban = await this.bans.get(key, now);
    if (ban) return this.#refuse(session, PolicyReason.BANNED, "banned");
    this.#banned.delete(key);
    return await this.#afterBans(session, key, c);
  }

  /** Steps 4 and 5 of `check`. */
  #afterBans(session: Session, key: string, c: Compiled): Promise<ConnectDecision> | ConnectDecision {
    // 4. Connection rate per IP. An HTTP "session" is one request, and a JMAP client makes many a
    // minute over its keep-alive connections: requests are not connections, so they are not rated
    // (blocks, bans and the concurrency limit still apply).
    if (c.rate && session.protocol !== "http") {
      return c.rate.consume(key).then((r) =>
        r.allowed ? this.#concurrency(session, key, c) : this.#refuse(session, PolicyReason.RATE, "rate")
      );
    }
    return this.#concurrency(session, key, c);
  }

  /**
   * Step 5: concurrent connections per IP and protocol. The HTTP listener counts its TCP
   * connections itself (core/net/http_connections.ts: a keep-alive connection or push stream holds
   * its slot after its request is answered); an HTTP session is one request and is not counted here.
   */
  #concurrency(session: Session, key: string, c: Compiled): ConnectDecision {
    if (c.maxPerIp > 0 && session.protocol !== "http") {
      const k = `${session.protocol}|${key}`;
      const n = this.#open.get(k) ?? 0;
      if (n >= c.maxPerIp) return this.#refuse(session, PolicyReason.CONCURRENT, "concurrency");
      this.#open.set(k, n + 1);
      this.#counted.set(session.id, k);
    }
    return { allow: true };
  }

  /** Forgets a closed session (exactly once per counted session). */
  release(session: Session): void {
    const k = this.#counted.get(session.id);
    if (k === undefined) return;
    this.#counted.delete(session.id);
    const n = (this.#open.get(k) ?? 1) - 1;
    if (n <= 0) this.#open.delete(k);
    else this.#open.set(k, n);
  }

  /**
   * Counts one failed authentication from an address (any protocol); after `ban_failures` within
   * `ban_window_seconds` the address is banned for `ban_seconds`.
   */
  async recordAuthFailure(remoteAddress: string): Promise<Ban | null> {
    const c = this.#c;
    if (!c.failures) return null;
    const key = keyOf(remoteAddress);
    const r = await c.failures.consume(key);
    if (r.allowed && r.remaining > 0) return null;
    const now = this.#clock.now();
    const ban: Ban = {
      address: key,
      until: new Date(now.getTime() + c.banMs),
      reason: `${c.banFailures} authentication failures`,
      created: now,
    };
    await this.bans.put(ban);
    await c.failures.reset(key);
    this.#banned.set(key, ban.until.getTime());
    this.#log.warn("address banned", { client_ip: remoteAddress, ban_seconds: c.banMs / 1000 });
    try {
      await this.#onBan?.(ban);
    } catch {
      // Reporting the ban must not undo it.
    }
    return ban;
  }

  /** Number of sessions currently counted for a protocol and address (tests, metrics). */
  openConnections(protocol: string, remoteAddress: string): number {
    return this.#open.get(`${protocol}|${keyOf(remoteAddress)}`) ?? 0;
  }

  #refuse(session: Session, reason: string, rule: string): ConnectDecision {
    this.#log.info("connection refused by policy", {
      session_id: session.id,
      client_ip: session.remoteAddress,
      protocol: session.protocol,
      rule,
    });
    return { allow: false, reason };
  }
}

/** Listener names, re-exported for callers building per-listener settings. */
export type { ListenerName };
