/**
 * DMARC aggregate reports end to end: server A (mx.test) counts its DMARC evaluations of the day,
 * and after midnight (injected clock) mails the gzipped RFC 7489 report through its real outbound
 * queue to the `rua` address, hosted by server B, whose post-delivery hook parses and keeps it.
 * Plus the pure pieces: XML round trip, destination authorization, zip and plain attachments.
 */
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { Buffer } from "node:buffer";
import type { Clock } from "../../core/clock.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { type Logger, nullLogger } from "../../core/log/logger.ts";
import { CachingDns } from "../../core/dns/cached_resolver.ts";
import {
  extractReportXml,
  looksLikeReport,
  parseAggregateReport,
} from "../../core/mailauth/dmarc_incoming.ts";
import {
  aggregateXml,
  gzip,
  mayReportTo,
  reportMessage,
  sendDueReports,
} from "../../core/mailauth/dmarc_report.ts";
import { inboundDns } from "../../core/mailauth/server.ts";
import type { DmarcCountedRow, DmarcPublished } from "../../core/store/records/dmarc.ts";
import { createServer } from "../../protocols/server.ts";
import { send, type ZoneRecord } from "./_support.ts";
import type { WireEnv } from "../smtp/_server.ts";

/** A logger that resolves `seen` when `message` is logged (the hook's completion, no polling). */
function watching(message: string): { logger: Logger; seen: Promise<Record<string, unknown>> } {
  let resolve!: (f: Record<string, unknown>) => void;
  const seen = new Promise<Record<string, unknown>>((r) => (resolve = r));
  const logger: Logger = {
    ...nullLogger,
    info(m, f) {
      if (m === message) resolve(f ?? {});
    },

    with() {
      return logger;
    },
  };
  return { logger, seen };
}

Deno.test("dmarc reports: a day's results reach the rua mailbox on another server as a gzipped RFC 7489 report", async () => {
  // Server B hosts the report address.
  const dirB = await Deno.makeTempDir({ prefix: "tern-dmarc-b-" });
  const watch = watching("dmarc report received");
  const b = await createServer(
    testConfig(dirB, { hostname: "mx.reports.test", local_domains: ["reports.test"] }),
    undefined,
    { logger: watch.logger },
  );
  await b.context.store.createAccount({
    address: "agg@reports.test",
    secrets: await b.context.auth.deriveSecrets("pw-agg-1"),
  });
  await b.start();
  let now = Date.UTC(2026, 11, 5, 12, 0, 0);
  const clock: Clock = { now: () => new Date(now) };
  const dirA = await Deno.makeTempDir({ prefix: "tern-dmarc-a-" });
  const records: ZoneRecord[] = [
    { name: "tern-test.invalid", type: "A", value: "127.0.0.1" },
    { name: "sender.test", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" },
    {
      name: "_dmarc.sender.test",
      type: "TXT",
      value: "v=DMARC1; p=none; aspf=s; rua=mailto:agg@reports.test",
    },
    // RFC 7489 §7.1: reports.test accepts reports about sender.test.
    { name: "sender.test._report._dmarc.reports.test", type: "TXT", value: "v=DMARC1" },
    { name: "reports.test", type: "A", value: `127.0.0.1:${b.addresses.smtp.port}` },
    // A domain that publishes a policy but asks for no reports is not counted.
    { name: "quiet.test", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" },
    { name: "_dmarc.quiet.test", type: "TXT", value: "v=DMARC1; p=none" },
  ];
  const a = await createServer(
    testConfig(dirA, {
      hostname: "mx.test",
      local_domains: ["example.org"],
      smtp: { checks: { spf: true, dkim: true, dmarc: true, arc: true, dmarc_reports: true } },
      queue: { static_dns: records },
    }),
    undefined,
    { logger: nullLogger, clock },
  );
  await a.context.store.createAccount({
    address: "alice@example.org",
    secrets: await a.context.auth.deriveSecrets("pw-alice-1"),
  });
  await a.start();
  const envA = { port: () => a.addresses.smtp.port } as unknown as WireEnv;
  try {
    const msg = (n: number) =>
      `From: ann@sender.test\r\nTo: alice@example.org\r\nSubject: ${n}\r\n\r\nhi\r\n`;
    for (let n = 0; n < 2; n++) {
      assert.equal((await send(envA, msg(n), { from: "ann@sender.test" })).code, 250);
    }
    // From another address: SPF fails, DMARC fails, p=none delivers.
    assert.equal(
      (await send(envA, msg(2), { from: "ann@sender.test", localAddress: "127.0.0.2" })).code,
      250,
    );
    const quiet = "From: q@quiet.test\r\nTo: alice@example.org\r\nSubject: q\r\n\r\nhi\r\n";
    assert.equal((await send(envA, quiet, { from: "q@quiet.test" })).code, 250);
    // Nothing is due before the day is over.
    const svc = {
      store: a.context.store,
      clock,
      log: nullLogger,
      dns: inboundDns(a.context),
      outbound: a.context.outbound,
      hostname: "mx.test",
      from: "postmaster@mx.test",
    };
    assert.equal(await sendDueReports(svc), 0);
    now = Date.UTC(2026, 11, 6, 0, 30, 0);
    assert.deepEqual(await a.context.store.dmarc.due("2026-12-06"), [{
      domain: "sender.test",
      day: "2026-12-05",
    }]);
    assert.equal(await sendDueReports(svc), 1);
    // B's hook logs the report once kept: the end of the chain, no polling.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const seen = await Promise.race([
      watch.seen,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no report reached server B within 20 s")), 20_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(seen.org, "mx.test");
    const [report] = await b.context.store.dmarc.listReports(10);
    assert.ok(report);
    assert.equal(report.orgName, "mx.test");
    assert.equal(report.domain, "sender.test");
    assert.deepEqual(report.begin, new Date(Date.UTC(2026, 11, 5)));
    assert.equal(report.messages, 3);
    assert.equal(report.passed, 2);
    const byIp = Object.fromEntries(report.rows.map((r) => [r.sourceIp, r]));
    assert.equal(byIp["127.0.0.1"]!.count, 2);
    assert.equal(byIp["127.0.0.1"]!.spf, "pass");
    assert.equal(byIp["127.0.0.2"]!.count, 1);
    assert.equal(byIp["127.0.0.2"]!.spf, "fail");
    assert.deepEqual(byIp["127.0.0.2"]!.spfResult, { domain: "sender.test", scope: "mfrom", result: "fail" });
    // Sent once: the day is forgotten.
    assert.deepEqual(await a.context.store.dmarc.due("2026-12-07"), []);
  } finally {
    await a.stop({ graceSeconds: 0 });
    await b.stop({ graceSeconds: 0 });
    await Deno.remove(dirA, { recursive: true });
    await Deno.remove(dirB, { recursive: true });
  }
});

const published: DmarcPublished = {
  domain: "sender.test",
  adkim: "s",
  aspf: "r",
  p: "quarantine",
  sp: "reject",
  pct: 50,
  rua: ["mailto:agg@sender.test"],
};
const rows: DmarcCountedRow[] = [{
  sourceIp: "2001:db8::1",
  headerFrom: "sender.test",
  disposition: "quarantine",
  dkim: "fail",
  spf: "fail",
  override: "local_policy",
  envelopeFrom: "bounce.sender.test",
  dkimResults: [{ domain: "sender.test", selector: "s<1>", result: "fail" }],
  spfResult: { domain: "bounce.sender.test", scope: "mfrom", result: "softfail" },
  count: 7,
}];
const meta = {
  orgName: "mx.test",
  email: "postmaster@mx.test",
  reportId: "r-1&2",
  begin: new Date(Date.UTC(2026, 11, 5)),
  end: new Date(Date.UTC(2026, 11, 6) - 1000),
};

Deno.test("dmarc reports: the XML we write parses back to the same rows, escaped values included", () => {
  const xml = aggregateXml(meta, published, rows);
  assert.match(
    xml,
    /<policy_published>\s*<domain>sender\.test<\/domain><adkim>s<\/adkim><aspf>r<\/aspf><p>quarantine<\/p><sp>reject<\/sp><pct>50<\/pct>/,
  );
  assert.match(xml, /<selector>s&lt;1&gt;<\/selector>/);
  const back = parseAggregateReport(xml, new Date(0))!;
  assert.equal(back.reportId, "r-1&2");
  assert.deepEqual(back.begin, meta.begin);
  assert.deepEqual(back.end, meta.end);
  assert.deepEqual(back.rows, rows);
  assert.equal(back.messages, 7);
  assert.equal(back.passed, 0);
  assert.equal(
    parseAggregateReport("<feedback><report_metadata></report_metadata></feedback>", new Date()),
    null,
  );
});

Deno.test("dmarc reports: reports about a domain go elsewhere only when that domain agrees (RFC 7489 §7.1)", async () => {
  const dns = new CachingDns(
    new StaticDnsResolver([{
      name: "sender.test._report._dmarc.thirdparty.test",
      type: "TXT",
      value: "v=DMARC1;",
    }]),
    { now: () => new Date() },
    0,
  );
  assert.equal(await mayReportTo(dns, "sender.test", "sender.test"), true);
  assert.equal(await mayReportTo(dns, "mail.sender.test", "sender.test"), true);
  assert.equal(await mayReportTo(dns, "sender.test", "thirdparty.test"), true);
  assert.equal(await mayReportTo(dns, "sender.test", "elsewhere.test"), false);
});

Deno.test("dmarc reports: the XML is found in a gzip, zip or plain XML attachment", async () => {
  const xml = aggregateXml(meta, published, rows);
  const gz = await gzip(new TextEncoder().encode(xml));
  const viaGzip = reportMessage(meta, "sender.test", "a@mx.test", "b@sender.test", gz, "mx.test", new Date());
  assert.equal(await extractReportXml(viaGzip), xml);
  // A zip archive with one deflated file (local header, data, central directory).
  const data = new TextEncoder().encode(xml);
  const deflated = deflateRawSync(Buffer.from(data));
  const name = new TextEncoder().encode("report.xml");
  const head = new Uint8Array(30 + name.length);
  const v = new DataView(head.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(8, 8, true);
  v.setUint32(18, deflated.length, true);
  v.setUint32(22, data.length, true);
  v.setUint16(26, name.length, true);
  head.set(name, 30);
  const zip = new Uint8Array([...head, ...deflated, 0x50, 0x4b, 0x01, 0x02]);
  const b64 = Buffer.from(zip).toString("base64").replace(/.{76}/g, "$&\r\n");
  const viaZip = new TextEncoder().encode(
    "Subject: Report Domain: sender.test Submitter: x Report-ID: 1\r\nMIME-Version: 1.0\r\n" +
      'Content-Type: application/zip; name="r.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + b64 +
      "\r\n",
  );
  assert.equal(await extractReportXml(viaZip), xml);
  const plain = new TextEncoder().encode(`Subject: x\r\nContent-Type: text/xml\r\n\r\n${xml}`);
  assert.equal(await extractReportXml(plain), xml);
  assert.equal(await extractReportXml(new TextEncoder().encode("Subject: x\r\n\r\nno report\r\n")), null);
});

Deno.test("looksLikeReport reads the Subject of the header section only", () => {
  const enc = new TextEncoder();
  const yes = (s: string) => assert.equal(looksLikeReport(enc.encode(s)), true, JSON.stringify(s));
  const no = (s: string) => assert.equal(looksLikeReport(enc.encode(s)), false, JSON.stringify(s));
  yes("From: a@b\r\nSubject: Report Domain: example.org Submitter: x\r\n\r\nbody");
  yes("Subject: Report\r\n  Domain: example.org\r\nTo: c@d\r\n\r\n"); // folded
  yes("subject: report domain: example.org\n\nbody"); // bare LF line ends
  yes("Subject: Report Domain: example.org"); // no body at all
  no("From: a@b\r\nSubject: hello\r\n\r\nSubject: Report Domain: example.org\r\n"); // in the body
  no("From: a@b\n\nSubject: Report Domain: example.org\n");
  no("\r\nSubject: Report Domain: example.org\r\n"); // an empty header section
  no("");
});
