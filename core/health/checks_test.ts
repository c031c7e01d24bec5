import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { testConfig } from "../config/test_config.ts";
import { ensureSelfSigned } from "../tls/self_signed.ts";
import { StaticDnsResolver } from "../dns/resolver.ts";
import type { Clock } from "../clock.ts";
import {
  certificateCheck,
  type ComponentCheck,
  dnsCheck,
  type HealthDeps,
  queueCheck,
  runCheck,
  runChecks,
  worst,
} from "./checks.ts";

const at = (ms: number): Clock => ({ now: () => new Date(ms) });
const DAY = 86_400_000;

async function withDeps(
  fn: (deps: HealthDeps, dir: string) => Promise<void>,
  overrides: Parameters<typeof testConfig>[1] = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-health-" });
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    await fn({
      config: testConfig(dir, overrides),
      store,
      clock: at(Date.now()),
      dns: new StaticDnsResolver(),
      certificates: () => [],
    }, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("health: the report is the worst component; a throwing check is down with its message", async () => {
  assert.equal(worst("healthy", "degraded"), "degraded");
  assert.equal(worst("down", "degraded"), "down");
  const checks: ComponentCheck[] = [
    { name: "a", run: () => Promise.resolve({ status: "healthy", detail: "fine" }) },
    { name: "b", run: () => Promise.reject(new Error("disk\non fire")) },
  ];
  const r = await runChecks(checks, at(5));
  assert.equal(r.status, "down");
  assert.equal(r.checkedAt.getTime(), 5);
  assert.deepEqual(r.components.map((c) => [c.name, c.status, c.detail]), [
    ["a", "healthy", "fine"],
    ["b", "down", "disk on fire"],
  ]);
});

Deno.test("health: a check that does not answer in time is down", async () => {
  const never: ComponentCheck = { name: "dns", run: () => new Promise(() => {}) };
  const r = await runCheck(never, 20);
  assert.equal(r.status, "down");
  assert.match(r.detail, /no answer within 20 ms/);
});

Deno.test("health: the DNS check is down when the resolver fails, healthy when it answers (even nothing)", async () => {
  await withDeps(async (deps) => {
    assert.equal((await runCheck(dnsCheck(deps))).status, "healthy");
    const failing = new class extends StaticDnsResolver {
      override addresses(): Promise<string[]> {
        return Promise.reject(new Error("DNS lookup failed: SERVFAIL"));
      }
    }();
    const r = await runCheck(dnsCheck({ ...deps, dns: failing }));
    assert.equal(r.status, "down");
    assert.match(r.detail, /SERVFAIL/);
  });
});

Deno.test("health: a queue over its backlog limit is degraded", async () => {
  await withDeps(async (deps) => {
    const now = new Date();
    for (const id of ["m1", "m2"]) {
      const { blobId } = await deps.store.blobs.put(new TextEncoder().encode(`Subject: ${id}\r\n\r\nx\r\n`));
      await deps.store.queue.insert(
        {
          id,
          from: "a@example.org",
          envid: null,
          ret: null,
          smtputf8: false,
          body: "7BIT",
          blobId,
          size: 10,
          authUser: null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + DAY),
          isDsn: false,
        },
        [{ address: "b@remote.test" }],
        now,
      );
    }
    const r = await runCheck(queueCheck(deps));
    assert.equal(r.status, "degraded");
    assert.match(r.detail, /^2 message\(s\), 2 recipient\(s\) pending/);
    assert.equal(
      (await runCheck(queueCheck({ ...deps, config: { ...deps.config, health: undefined } }))).status,
      "healthy",
    );
  }, { health: { queue_backlog_max: 1 } });
});

Deno.test("health: an expired certificate is down, one inside the warning window degraded, others healthy", async () => {
  await withDeps(async (deps, dir) => {
    const issued = Date.now() - 400 * DAY; // valid 365 days: ended 35 days ago
    const paths = await ensureSelfSigned(`${dir}/old`, "mx.test", at(issued));
    const pem = await Deno.readTextFile(paths.cert);
    const certs = (list: { listener: string; pem: string }[]) => ({ ...deps, certificates: () => list });
    const expired = await runCheck(certificateCheck(certs([{ listener: "imaps", pem }])));
    assert.equal(expired.status, "down");
    assert.match(expired.detail, /^imaps: expired /);
    // The same certificate seen 370 days before now: 5 days left, inside the 14-day window.
    const soon = await runCheck(
      certificateCheck({
        ...certs([{ listener: "imaps", pem }, { listener: "smtp", pem }]),
        clock: at(issued + 360 * DAY),
      }),
    );
    assert.equal(soon.status, "degraded");
    assert.match(soon.detail, /^imaps,smtp: expires /);
    const fresh = await runCheck(
      certificateCheck({ ...certs([{ listener: "imaps", pem }]), clock: at(issued + DAY) }),
    );
    assert.equal(fresh.status, "healthy");
    assert.equal((await runCheck(certificateCheck(certs([])))).detail, "no TLS listener");
  });
});
