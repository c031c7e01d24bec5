/** `tern dmarc reports|report` against a data directory holding received reports. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tern } from "../cli/_tern.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

Deno.test("tern dmarc reports lists received reports newest first; tern dmarc report shows one's rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-dmarc-cli-" });
  try {
    const store = await SqliteStore.open({ dataDir: join(dir, "data") });
    const base = {
      orgName: "google.com",
      domain: "example.org",
      begin: new Date(Date.UTC(2026, 11, 5)),
      end: new Date(Date.UTC(2026, 11, 6) - 1000),
      messages: 5,
      passed: 4,
      rows: [{
        sourceIp: "192.0.2.25",
        headerFrom: "example.org",
        disposition: "quarantine" as const,
        dkim: "fail" as const,
        spf: "fail" as const,
        envelopeFrom: "example.org",
        dkimResults: [{ domain: "example.org", selector: "tern", result: "fail" }],
        spfResult: { domain: "example.org", scope: "mfrom" as const, result: "softfail" },
        count: 1,
      }],
    };
    await store.dmarc.putReport({
      ...base,
      reportId: "older-1",
      received: new Date(Date.UTC(2026, 11, 6, 1)),
    });
    await store.dmarc.putReport({
      ...base,
      reportId: "newer-2",
      received: new Date(Date.UTC(2026, 11, 6, 2)),
    });
    await store.close();

    const json = await tern(dir, ["dmarc", "reports", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).map((r: { reportId: string }) => r.reportId), [
      "newer-2",
      "older-1",
    ]);
    const table = await tern(dir, ["dmarc", "reports", "--limit", "1"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /RECEIVED\s+FROM\s+DOMAIN\s+PERIOD\s+MESSAGES\s+PASSED\s+REPORT-ID/);
    assert.match(table.stdout, /google\.com\s+example\.org\s+2026-12-05\.\.2026-12-05\s+5\s+4\s+newer-2/);
    assert.doesNotMatch(table.stdout, /older-1/);
    const one = await tern(dir, ["dmarc", "report", "older-1"]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(
      one.stdout,
      /192\.0\.2\.25\s+1\s+quarantine\s+fail\s+fail\s+example\.org\s+dkim=fail example\.org; spf=softfail/,
    );
    const missing = await tern(dir, ["dmarc", "report", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No DMARC report "nope"/);
    assert.equal((await tern(dir, ["dmarc", "reports", "--limit", "0"])).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
