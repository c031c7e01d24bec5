/**
 * Configuration for tests: every listener on 127.0.0.1 port 0 (the OS picks a free port, read it
 * back from `srv.addresses`), plaintext authentication allowed on the listeners without TLS so
 * tests can log in without a certificate dance.
 *
 * @module
 */
import { defaultChecks, defaultConfig, LISTENER_NAMES } from "./defaults.ts";
import type { Config } from "./types.ts";

/** A recursive partial: every key optional at every depth; arrays are replaced whole. */
export type DeepPartial<T> = T extends readonly unknown[] ? T
  : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> }
  : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges `patch` into `base` (in place) key by key; arrays and scalars replace, objects recurse,
 * `undefined` leaves the base value alone.
 */
export function deepMerge<T>(base: T, patch: NoInfer<DeepPartial<T>> | undefined): T {
  if (patch === undefined) return base;
  const target = base as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === undefined) continue;
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) {
      deepMerge(current, value);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return base;
}

/**
 * A configuration for tests rooted at `dataDir`, with optional overrides merged in.
 *
 * @example
 * ```ts
 * import { testConfig } from "./test_config.ts";
 * const dir = await Deno.makeTempDir();
 * const config = testConfig(dir, { smtp: { max_message_size: 1024 } });
 * console.log(config.listeners.imap.port); // 0
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function testConfig(dataDir: string, overrides?: DeepPartial<Config>): Config {
  const config = defaultConfig();
  config.data_dir = dataDir;
  // Wire tests run hundreds of servers: keep their output to problems (tests that read logs set a level).
  config.log.level = "warning";
  // Never ask real DNS from a test: a static record makes the queue use the static resolver, and
  // any other domain is unknown (tests route their sinks with static_dns of their own).
  if (config.queue) config.queue.static_dns = [{ name: "tern-test.invalid", type: "A", value: "127.0.0.1" }];
  // Byte-exact wire tests expect no Authentication-Results: message authentication is off unless a
  // test turns it on (tests/mailauth); the connection checks stay at their defaults (log only).
  config.smtp.checks = { ...defaultChecks(), spf: false, dkim: false, dmarc: false, arc: false };
  for (const name of LISTENER_NAMES) {
    const l = config.listeners[name];
    l.address = "127.0.0.1";
    l.port = 0;
    l.allow_plaintext_auth = l.tls !== "implicit";
  }
  return deepMerge<Config>(config, overrides);
}
