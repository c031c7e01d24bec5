import assert from "node:assert/strict";
import { ConnectionPolicy, PolicyReason } from "./connection_policy.ts";
import { MemoryBanStore } from "./ban_store.ts";
import { type DeepPartial, testConfig } from "../config/test_config.ts";
import type { Config } from "../config/types.ts";
import type { Session } from "../session.ts";
import type { Protocol } from "../session.ts";

/** A clock the test moves by hand. */
function manualClock(start = "2026-01-01T12:00:00Z") {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

let nextId = 0;
function session(ip: string, protocol: Protocol = "imap", listener = "imap"): Session {
  return {
    id: `s${nextId++}`,
    protocol,
    listener,
    remoteAddress: ip,
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 143,
    created: new Date(),
    secure: false,
    state: "new",
  };
}

function policy(overrides: DeepPartial<Config> = {}, clock = manualClock()) {
  const p = new ConnectionPolicy(testConfig("/nonexistent", overrides), {
    clock,
    bans: new MemoryBanStore(),
  });
  return { p, clock };
}

Deno.test("ConnectionPolicy refuses blocked networks and everything outside a non-empty allow list", async () => {
  const { p } = policy({
    policy: { block_networks: ["10.0.0.0/8"], allow_networks: ["10.0.0.0/8", "127.0.0.0/8"] },
  });
  assert.deepEqual(await p.check(session("10.1.2.3")), { allow: false, reason: PolicyReason.BLOCKED });
  assert.deepEqual(await p.check(session("192.0.2.1")), { allow: false, reason: PolicyReason.NOT_ALLOWED });
  assert.deepEqual(await p.check(session("127.0.0.5")), { allow: true });
});

Deno.test("ConnectionPolicy applies per-listener lists and time windows", async () => {
  const clock = manualClock("2026-01-01T20:00:00Z");
  const { p } = policy({
    listeners: {
      pop3: { block_networks: ["127.0.0.2/32"], time_windows: ["08:00-18:00"] },
      imap: { allow_networks: ["127.0.0.3/32"] },
    },
  }, clock);
  assert.deepEqual(await p.check(session("127.0.0.2", "pop3", "pop3")), {
    allow: false,
    reason: PolicyReason.BLOCKED,
  });
  assert.deepEqual(await p.check(session("127.0.0.9", "pop3", "pop3")), {
    allow: false,
    reason: PolicyReason.CLOSED,
  });
  clock.advance(-10 * 3600_000); // 10:00 UTC
  assert.deepEqual(await p.check(session("127.0.0.9", "pop3", "pop3")), { allow: true });
  assert.deepEqual(await p.check(session("127.0.0.9", "imap", "imap")), {
    allow: false,
    reason: PolicyReason.NOT_ALLOWED,
  });
  assert.deepEqual(await p.check(session("127.0.0.3", "imap", "imap")), { allow: true });
});

Deno.test("ConnectionPolicy limits concurrent sessions per IP and protocol and releases them once", async () => {
  const { p } = policy({ policy: { max_connections_per_ip: 2, connections_per_minute_per_ip: 0 } });
  const a = session("127.0.0.2");
  const b = session("127.0.0.2");
  assert.equal((await p.check(a)).allow, true);
  assert.equal((await p.check(b)).allow, true);
  assert.deepEqual(await p.check(session("127.0.0.2")), { allow: false, reason: PolicyReason.CONCURRENT });
  // Another IP, and the same IP on another protocol, still get in.
  assert.equal((await p.check(session("127.0.0.3"))).allow, true);
  assert.equal((await p.check(session("127.0.0.2", "pop3", "pop3"))).allow, true);
  p.release(a);
  p.release(a); // a second release of the same session changes nothing
  assert.equal(p.openConnections("imap", "127.0.0.2"), 1);
  assert.equal((await p.check(session("127.0.0.2"))).allow, true);
  assert.deepEqual(await p.check(session("127.0.0.2")), { allow: false, reason: PolicyReason.CONCURRENT });
});

Deno.test("ConnectionPolicy limits the connection rate per IP per minute", async () => {
  const { p, clock } = policy({ policy: { connections_per_minute_per_ip: 3, max_connections_per_ip: 0 } });
  for (let i = 0; i < 3; i++) assert.equal((await p.check(session("127.0.0.2"))).allow, true);
  assert.deepEqual(await p.check(session("127.0.0.2")), { allow: false, reason: PolicyReason.RATE });
  assert.equal((await p.check(session("127.0.0.3"))).allow, true);
  clock.advance(60_000);
  assert.equal((await p.check(session("127.0.0.2"))).allow, true);
});

Deno.test("ConnectionPolicy does not rate HTTP requests as connections", async () => {
  const { p } = policy({ policy: { connections_per_minute_per_ip: 3, max_connections_per_ip: 0 } });
  for (let i = 0; i < 10; i++) {
    const s = session("127.0.0.2", "http", "http");
    assert.equal((await p.check(s)).allow, true);
    p.release(s);
  }
  // The HTTP requests used none of the address's connection budget.
  for (let i = 0; i < 3; i++) assert.equal((await p.check(session("127.0.0.2"))).allow, true);
  assert.equal((await p.check(session("127.0.0.2"))).allow, false);
});

Deno.test("ConnectionPolicy answers an HTTP request at once, without a promise, unless a ban must be confirmed", async () => {
  const { p } = policy({ policy: { connections_per_minute_per_ip: 3, ban_failures: 1, ban_seconds: 600 } });
  const http = () => session("127.0.0.2", "http", "http");
  const first = p.check(http());
  assert.equal(first instanceof Promise, false);
  assert.deepEqual(first, { allow: true });
  // A rated protocol asks the (asynchronous) rate limiter.
  assert.equal(p.check(session("127.0.0.2")) instanceof Promise, true);
  // A known ban is confirmed with the store, which the CLI may have changed.
  await p.recordAuthFailure("127.0.0.2");
  const banned = p.check(http());
  assert.equal(banned instanceof Promise, true);
  assert.deepEqual(await banned, { allow: false, reason: PolicyReason.BANNED });
});

Deno.test("ConnectionPolicy bans an address after N auth failures within T, for D, across protocols", async () => {
  const { p, clock } = policy({ policy: { ban_failures: 3, ban_window_seconds: 60, ban_seconds: 600 } });
  assert.equal(await p.recordAuthFailure("127.0.0.2"), null);
  assert.equal(await p.recordAuthFailure("127.0.0.2"), null);
  const ban = await p.recordAuthFailure("127.0.0.2");
  assert.ok(ban);
  assert.equal(ban.until.getTime() - clock.now().getTime(), 600_000);
  for (const proto of ["imap", "pop3", "smtp", "http"] as const) {
    assert.deepEqual(await p.check(session("127.0.0.2", proto, proto)), {
      allow: false,
      reason: PolicyReason.BANNED,
    });
  }
  assert.equal((await p.check(session("127.0.0.3"))).allow, true);
  assert.equal((await p.bans.list(clock.now())).length, 1);
  clock.advance(600_000);
  assert.equal((await p.check(session("127.0.0.2"))).allow, true);
});

Deno.test("ConnectionPolicy failures spread over more than the window do not ban", async () => {
  const { p, clock } = policy({ policy: { ban_failures: 2, ban_window_seconds: 10, ban_seconds: 600 } });
  assert.equal(await p.recordAuthFailure("127.0.0.2"), null);
  clock.advance(20_000);
  assert.equal(await p.recordAuthFailure("127.0.0.2"), null);
});

Deno.test("ConnectionPolicy sees a ban cleared in the store (the CLI) at once", async () => {
  const { p } = policy({ policy: { ban_failures: 1, ban_seconds: 600 } });
  await p.recordAuthFailure("127.0.0.2");
  assert.equal((await p.check(session("127.0.0.2"))).allow, false);
  assert.equal(await p.bans.clear("127.0.0.2"), true);
  assert.equal((await p.check(session("127.0.0.2"))).allow, true);
});

Deno.test("ConnectionPolicy reload applies new lists and keeps counters", async () => {
  const { p } = policy({ policy: { max_connections_per_ip: 1 } });
  const a = session("127.0.0.2");
  assert.equal((await p.check(a)).allow, true);
  p.reload(
    testConfig("/nonexistent", { policy: { block_networks: ["127.0.0.2/32"], max_connections_per_ip: 1 } }),
  );
  assert.deepEqual(await p.check(session("127.0.0.2")), { allow: false, reason: PolicyReason.BLOCKED });
  p.reload(testConfig("/nonexistent", { policy: { max_connections_per_ip: 1 } }));
  assert.deepEqual(await p.check(session("127.0.0.2")), { allow: false, reason: PolicyReason.CONCURRENT });
});
