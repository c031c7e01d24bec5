/**
 * The contract of the TLS-RPT counts (`Store.tlsrpt`, RFC 8460) and of the REQUIRETLS flag of
 * queued messages (RFC 8689), registered by tests/store/records_contract.ts for every backend.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";
import type { TlsRptCount } from "../../core/store/records/tlsrpt.ts";

const STS = ["version: STSv1", "mode: enforce", "mx: mx1.remote.example", "max_age: 86400"];

function line(
  result: string | null,
  ip = "192.0.2.1",
  reason: string | null = null,
): Omit<TlsRptCount, "count"> {
  return {
    policyType: "sts",
    policyStrings: STS,
    mxHost: "MX1.remote.example",
    result,
    receivingIp: ip,
    reason,
  };
}

/** Registers the cases. */
export function tlsRptRecordsContract<C extends { store: Store }>(
  test: (title: string, fn: (c: C) => Promise<void>) => void,
  reopen: (c: C) => Promise<void>,
): void {
  test("tlsrpt: sessions counted per domain, day, policy and result; due before a day; cleared once reported", async (c) => {
    let t = c.store.tlsrpt;
    await t.record("2026-12-05", "Remote.Example", line(null, "192.0.2.1"));
    await t.record("2026-12-05", "remote.example", line(null, "192.0.2.2"));
    await t.record("2026-12-05", "remote.example", line("certificate-expired", "192.0.2.1"));
    await t.record("2026-12-05", "remote.example", line("certificate-expired", "192.0.2.1", "expired"));
    await t.record("2026-12-05", "remote.example", line("starttls-not-supported", "192.0.2.2"));
    await t.record("2026-12-05", "other.example", {
      ...line(null),
      policyType: "no-policy-found",
      policyStrings: [],
    });
    await t.record("2026-12-06", "remote.example", line(null));
    await reopen(c);
    t = c.store.tlsrpt;
    assert.deepEqual(await t.due("2026-12-06"), [
      { domain: "other.example", day: "2026-12-05" },
      { domain: "remote.example", day: "2026-12-05" },
    ]);
    const counts = await t.counts("REMOTE.example", "2026-12-05");
    assert.deepEqual(counts.map((x) => [x.result, x.receivingIp, x.count, x.reason]), [
      // Successes are not counted per address.
      [null, "", 2, null],
      ["certificate-expired", "192.0.2.1", 2, "expired"],
      ["starttls-not-supported", "192.0.2.2", 1, null],
    ]);
    assert.deepEqual(counts[0]!.policyStrings, STS);
    assert.equal(counts[0]!.mxHost, "mx1.remote.example");
    await t.clear("remote.example", "2026-12-05");
    assert.deepEqual(await t.counts("remote.example", "2026-12-05"), []);
    assert.deepEqual(await t.due("2026-12-07"), [
      { domain: "other.example", day: "2026-12-05" },
      { domain: "remote.example", day: "2026-12-06" },
    ]);
  });

  test("queue: the REQUIRETLS flag of a message is kept (absent means false)", async (c) => {
    const now = new Date(Date.UTC(2026, 11, 6));
    const base = {
      from: "a@example.org",
      envid: null,
      ret: null,
      smtputf8: false,
      body: "7BIT" as const,
      blobId: "e".repeat(64),
      size: 1,
      authUser: null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + 86_400_000),
      isDsn: false,
    };
    await c.store.queue.insert(
      { ...base, id: "rt1", requireTls: true },
      [{ address: "x@remote.example" }],
      now,
    );
    await c.store.queue.insert({ ...base, id: "rt2" }, [{ address: "x@remote.example" }], now);
    await reopen(c);
    assert.equal((await c.store.queue.getMessage("rt1"))?.requireTls, true);
    assert.equal((await c.store.queue.getMessage("rt2"))?.requireTls, false);
  });
}
