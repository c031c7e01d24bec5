/**
 * The contract of the DMARC records (`Store.dmarc`, issue 18), registered by
 * tests/store/records_contract.ts for every backend: results counted per policy domain, day and
 * row; due days; cleared once reported; received reports kept once per (org, report id).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";
import type { DmarcPublished, DmarcReport, DmarcRow } from "../../core/store/records/dmarc.ts";

const published: DmarcPublished = {
  domain: "Sender.Example",
  adkim: "r",
  aspf: "s",
  p: "reject",
  sp: "quarantine",
  pct: 100,
  rua: ["mailto:agg@sender.example"],
};

function row(ip: string, disposition: DmarcRow["disposition"] = "none"): DmarcRow {
  return {
    sourceIp: ip,
    headerFrom: "sender.example",
    disposition,
    dkim: disposition === "none" ? "pass" : "fail",
    spf: "fail",
    envelopeFrom: "bounce.sender.example",
    dkimResults: [{
      domain: "sender.example",
      selector: "s1",
      result: disposition === "none" ? "pass" : "fail",
    }],
    spfResult: { domain: "bounce.sender.example", scope: "mfrom", result: "softfail" },
  };
}

/** Registers the DMARC record tests through the suite's `test` (fresh store per test). */
export function dmarcRecordsContract<C extends { store: Store }>(
  test: (title: string, fn: (c: C) => Promise<void>) => void,
  reopen: (c: C) => Promise<void>,
): void {
  test("dmarc: results counted per domain, day and row; due before a day; cleared once reported", async (c) => {
    let d = c.store.dmarc;
    await d.record("2026-12-05", published, row("192.0.2.1"));
    await d.record("2026-12-05", published, row("192.0.2.1"));
    await d.record("2026-12-05", published, row("192.0.2.2", "reject"));
    await d.record("2026-12-05", { ...published, domain: "other.example", p: "none" }, {
      ...row("192.0.2.3", "none"),
      override: "forwarded",
    });
    await d.record("2026-12-06", published, row("192.0.2.1"));
    await reopen(c);
    d = c.store.dmarc;
    assert.deepEqual(await d.due("2026-12-06"), [
      { domain: "other.example", day: "2026-12-05" },
      { domain: "sender.example", day: "2026-12-05" },
    ]);
    const agg = await c.store.dmarc.aggregate("SENDER.example", "2026-12-05");
    assert.deepEqual(agg!.published, { ...published, domain: "sender.example" });
    const counts = agg!.rows.map((r) => [r.sourceIp, r.disposition, r.count]).sort();
    assert.deepEqual(counts, [["192.0.2.1", "none", 2], ["192.0.2.2", "reject", 1]]);
    assert.deepEqual(agg!.rows.find((r) => r.sourceIp === "192.0.2.2"), {
      ...row("192.0.2.2", "reject"),
      count: 1,
    });
    const other = await c.store.dmarc.aggregate("other.example", "2026-12-05");
    assert.equal(other!.rows[0]!.override, "forwarded");
    await c.store.dmarc.clear("sender.example", "2026-12-05");
    assert.equal(await c.store.dmarc.aggregate("sender.example", "2026-12-05"), null);
    assert.deepEqual(await c.store.dmarc.due("2026-12-07"), [
      { domain: "other.example", day: "2026-12-05" },
      { domain: "sender.example", day: "2026-12-06" },
    ]);
  });

  test("dmarc: received reports kept once per (org, report id), newest first, across a reopen", async (c) => {
    const report = (id: string, received: number): DmarcReport => ({
      orgName: "receiver.example",
      reportId: id,
      domain: "example.org",
      begin: new Date(Date.UTC(2026, 11, 5)),
      end: new Date(Date.UTC(2026, 11, 6) - 1000),
      received: new Date(received),
      messages: 3,
      passed: 2,
      rows: [{ ...row("192.0.2.9"), count: 3 }],
    });
    assert.equal(await c.store.dmarc.putReport(report("r1", 1000)), true);
    assert.equal(await c.store.dmarc.putReport(report("r1", 5000)), false);
    assert.equal(await c.store.dmarc.putReport(report("r2", 2000)), true);
    await reopen(c);
    const list = await c.store.dmarc.listReports(10);
    assert.deepEqual(list.map((r) => r.reportId), ["r2", "r1"]);
    assert.deepEqual(list[1], report("r1", 1000));
    assert.deepEqual((await c.store.dmarc.listReports(1)).map((r) => r.reportId), ["r2"]);
  });
}
