/**
 * TLS-RPT (RFC 8460) end to end: the queue's MX connections are counted per recipient domain and
 * day (a DANE success, a DANE mismatch, a host without STARTTLS); once the day is over (injected
 * clock), the report job reads each domain's `_smtp._tls` record and sends the gzipped JSON report
 * to its https: destination (a loopback HTTPS receiver, through the SSRF-guarded client) and its
 * mailto: destination (through the outbound queue to a loopback sink), then forgets the day.
 */
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { FakeClock, harness } from "./_harness.ts";
import { createQueue } from "../../core/queue/start.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { startSink } from "./_sink.ts";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";
import { TlsRptRecorder } from "../../core/tlsrpt/recorder.ts";
import type { TlsResult } from "../../core/tlsrpt/result.ts";
import { sendDueTlsReports } from "../../core/tlsrpt/job.ts";
import { OutboundHttpClient } from "../../core/net/outbound_http.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { MtaStsPolicies } from "../../core/mtasts/policies.ts";
import type { StaticDnsResolver } from "../../core/dns/resolver.ts";

const mx = await generateSelfSigned("mx.remote.test", new Date());
const web = await generateSelfSigned("rpt.reports.test", new Date());

function spkiSha256(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("hex");
}

async function gunzip(b: Uint8Array): Promise<string> {
  const s = new Blob([b as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(s).text();
}

interface Policy {
  policy: { "policy-type": string; "policy-string": string[]; "policy-domain": string; "mx-host": string[] };
  summary: { "total-successful-session-count": number; "total-failure-session-count": number };
  "failure-details": {
    "result-type": string;
    "receiving-mx-hostname": string;
    "failed-session-count": number;
  }[];
}

Deno.test("TLS-RPT: a day's TLS results reach the domains' https: and mailto: report destinations, then are forgotten", async () => {
  const posts: { type: string | null; report: Record<string, unknown> }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: web.cert, key: web.key, onListen() {} },
    async (req) => {
      const body = new Uint8Array(await req.arrayBuffer());
      posts.push({ type: req.headers.get("content-type"), report: JSON.parse(await gunzip(body)) });
      return new Response(null, { status: 201 });
    },
  );
  const tlsSink = await startSink({ server: { key: mx.key, cert: mx.cert } });
  const plainSink = await startSink({ server: { hideSTARTTLS: true } });
  const reportSink = await startSink({ server: { hideSTARTTLS: true } });
  let recorder: TlsRptRecorder | null = null;
  const sink = { record: (r: TlsResult) => recorder!.record(r) };
  const h = await harness({}, { tlsResults: sink });
  recorder = new TlsRptRecorder(h.store, nullLogger);
  try {
    const port = (server.addr as Deno.NetAddr).port;
    const good = `3 1 1 ${spkiSha256(mx.cert)}`;
    const zone: [string, "MX" | "A" | "TXT" | "TLSA", string][] = [
      ["remote.test", "MX", "10 mx.remote.test"],
      ["mx.remote.test", "A", tlsSink.address],
      ["_25._tcp.mx.remote.test", "TLSA", good],
      ["bad.test", "MX", "10 mx.bad.test"],
      ["mx.bad.test", "A", tlsSink.address],
      ["_25._tcp.mx.bad.test", "TLSA", `3 1 1 ${"00".repeat(32)}`],
      ["plain.test", "MX", "10 mx.plain.test"],
      ["mx.plain.test", "A", plainSink.address],
      ["reports.test", "MX", "10 mx.reports.test"],
      ["mx.reports.test", "A", reportSink.address],
      ["rpt.reports.test", "A", `127.0.0.1:${port}`],
      [
        "_smtp._tls.remote.test",
        "TXT",
        `v=TLSRPTv1; rua=mailto:tls@reports.test,https://rpt.reports.test/v1/tlsrpt`,
      ],
      ["_smtp._tls.bad.test", "TXT", "v=TLSRPTv1;rua=https://rpt.reports.test/v1/tlsrpt"],
      ["_smtp._tls.plain.test", "TXT", "v=TLSRPTv1;rua=https://rpt.reports.test/v1/tlsrpt"],
    ];
    for (const [name, type, value] of zone) h.dns.add({ name, type, value, authenticated: true });
    // Two runs: two sessions with mx.remote.test (runDue closes its connections when done).
    await h.send({ recipients: [{ address: "a@remote.test" }] });
    await h.queue.runDue();
    await h.send({ recipients: [{ address: "b@remote.test" }] });
    await h.send({ recipients: [{ address: "c@bad.test" }] });
    await h.send({ recipients: [{ address: "d@plain.test" }] });
    await h.queue.runDue();
    await recorder.settle();
    const day = "2026-01-01";
    assert.deepEqual(
      (await h.store.tlsrpt.due("2026-01-02")).map((d) => d.domain),
      ["bad.test", "plain.test", "remote.test"],
    );
    // The next day: the reports of 2026-01-01 are due.
    h.clock.advance(86_400);
    const http = new OutboundHttpClient(h.dns, { allowPrivate: ["127.0.0.0/8"], caCerts: [web.cert] });
    const pass = await sendDueTlsReports({
      store: h.store,
      clock: h.clock,
      log: nullLogger,
      dns: h.dns,
      outbound: h.queue,
      http,
      hostname: "mx.local.test",
      from: "tlsrpt@local.test",
    });
    assert.deepEqual(pass, { mailed: 1, posted: 3 });
    assert.deepEqual(await h.store.tlsrpt.due("2026-01-02"), [], "the reported day is forgotten");
    // RFC 8460 §5.4: the media type of an HTTPS report.
    assert.ok(posts.every((p) => p.type === "application/tlsrpt+gzip"));
    const byDomain = new Map(posts.map((p) => {
      const pol = (p.report.policies as Policy[])[0]!;
      return [pol.policy["policy-domain"], { report: p.report, pol }];
    }));
    const remote = byDomain.get("remote.test")!;
    assert.deepEqual(remote.report["date-range"], {
      "start-datetime": `${day}T00:00:00Z`,
      "end-datetime": `${day}T23:59:59Z`,
    });
    assert.equal(remote.report["organization-name"], "mx.local.test");
    assert.equal(remote.report["contact-info"], "tlsrpt@local.test");
    assert.deepEqual(remote.pol.policy, {
      "policy-type": "tlsa",
      "policy-string": [good],
      "policy-domain": "remote.test",
      "mx-host": ["mx.remote.test"],
    });
    assert.deepEqual(remote.pol.summary, {
      "total-successful-session-count": 2,
      "total-failure-session-count": 0,
    });
    const bad = byDomain.get("bad.test")!.pol;
    assert.equal(bad.summary["total-failure-session-count"], 1);
    assert.equal(bad["failure-details"][0]!["result-type"], "tlsa-invalid");
    assert.equal(bad["failure-details"][0]!["receiving-mx-hostname"], "mx.bad.test");
    const plain = byDomain.get("plain.test")!.pol;
    assert.equal(plain.policy["policy-type"], "no-policy-found");
    assert.equal(plain["failure-details"][0]!["result-type"], "starttls-not-supported");
    // The mailto: report goes through the queue (RFC 8460 §5.3).
    await h.queue.runDue();
    assert.equal(reportSink.messages.length, 1);
    const mail = new TextDecoder().decode(reportSink.messages[0]!.data);
    assert.match(mail, /^Subject: Report Domain: remote\.test Submitter: mx\.local\.test Report-ID:\s+</m);
    assert.match(mail, /^TLS-Report-Domain: remote\.test\r$/m);
    assert.match(mail, /^TLS-Report-Submitter: mx\.local\.test\r$/m);
    assert.match(mail, /multipart\/report; report-type=tlsrpt/);
    assert.match(mail, /application\/tlsrpt\+gzip/);
    assert.match(mail, /mx\.local\.test!remote\.test!1767225600!1767311999!/);
    http.close();
  } finally {
    await h.close();
    await tlsSink.close();
    await plainSink.close();
    await reportSink.close();
    await server.shutdown();
  }
});

Deno.test("TLS-RPT: under an MTA-STS policy in testing mode, an untrusted certificate is delivered to and reported as a failure", async () => {
  const mxCert = await generateSelfSigned("mx.sts.test", new Date());
  const policyCert = await generateSelfSigned("mta-sts.sts.test", new Date());
  const policy = "version: STSv1\r\nmode: testing\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: policyCert.cert, key: policyCert.key, onListen() {} },
    () => new Response(policy, { headers: { "content-type": "text/plain" } }),
  );
  const mxSink = await startSink({ server: { key: mxCert.key, cert: mxCert.cert } });
  let recorder: TlsRptRecorder | null = null;
  let dns: StaticDnsResolver | null = null;
  const lazyDns = {
    mx: (d: string) => dns!.mx(d),
    addresses: (n: string) => dns!.addresses(n),
    txt: (n: string) => dns!.txt(n),
    ptr: (n: string) => dns!.ptr(n),
    srv: (n: string) => dns!.srv(n),
    cname: (n: string) => dns!.cname(n),
  };
  const mtaSts = new MtaStsPolicies({
    dns: lazyDns,
    http: new OutboundHttpClient(lazyDns, { allowPrivate: ["127.0.0.0/8"], caCerts: [policyCert.cert] }),
    clock: { now: () => new Date() },
    log: nullLogger,
  });
  const h = await harness({}, { tlsResults: { record: (r) => recorder!.record(r) }, mtaSts });
  recorder = new TlsRptRecorder(h.store, nullLogger);
  dns = h.dns;
  try {
    h.dns.add({ name: "sts.test", type: "MX", value: "10 mx.sts.test" });
    h.dns.add({ name: "mx.sts.test", type: "A", value: mxSink.address });
    h.dns.add({ name: "_mta-sts.sts.test", type: "TXT", value: "v=STSv1; id=1" });
    h.dns.add({
      name: "mta-sts.sts.test",
      type: "A",
      value: `127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    });
    const id = await h.send({ recipients: [{ address: "e@sts.test" }] });
    await h.queue.runDue();
    await recorder.settle();
    assert.equal((await h.store.queue.recipients(id))[0]!.status, "delivered", "testing mode does not block");
    const counts = await h.store.tlsrpt.counts("sts.test", "2026-01-01");
    assert.deepEqual(counts.map((c) => [c.policyType, c.result, c.count]), [[
      "sts",
      "certificate-not-trusted",
      1,
    ]]);
    assert.deepEqual(counts[0]!.policyStrings, [
      "version: STSv1",
      "mode: testing",
      "mx: mx.sts.test",
      "max_age: 86400",
    ]);
  } finally {
    await h.close();
    await mxSink.close();
    await server.shutdown();
  }
});

Deno.test("TLS-RPT: an MTA-STS policy host whose certificate does not validate is counted as sts-webpki-invalid (server wiring)", async () => {
  const policyCert = await generateSelfSigned("mta-sts.web.test", new Date());
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: policyCert.cert, key: policyCert.key, onListen() {} },
    () => new Response("version: STSv1\r\nmode: enforce\r\nmx: mx.web.test\r\nmax_age: 86400\r\n"),
  );
  const mxSink = await startSink({ server: { hideSTARTTLS: true } });
  const dir = await Deno.makeTempDir({ prefix: "tern-tlsrpt-" });
  const clock = new FakeClock();
  const store = await SqliteStore.open({ dataDir: dir, clock });
  const config = defaultConfig();
  config.hostname = "mx.local.test";
  config.outbound_http = { ...config.outbound_http, allow_private: ["127.0.0.0/8"] };
  config.queue = {
    ...config.queue!,
    static_dns: [
      { name: "web.test", type: "MX", value: "10 mx.web.test" },
      { name: "mx.web.test", type: "A", value: mxSink.address },
      { name: "_mta-sts.web.test", type: "TXT", value: "v=STSv1; id=7" },
      { name: "mta-sts.web.test", type: "A", value: `127.0.0.1:${(server.addr as Deno.NetAddr).port}` },
    ],
  };
  const queue = createQueue({ config, store, log: nullLogger, clock }, { keepFinished: true });
  try {
    const blob = await store.blobs.put(new TextEncoder().encode("Subject: x\r\n\r\nx\r\n"));
    await queue.enqueue({
      from: "ada@local.test",
      recipients: [{ address: "f@web.test" }],
      smtputf8: false,
      body: "7BIT",
      sessionId: "t",
    }, blob);
    await queue.runDue();
    const counts = await store.tlsrpt.counts("web.test", "2026-01-01");
    assert.deepEqual(counts.map((c) => [c.policyType, c.result, c.mxHost]), [
      ["no-policy-found", "starttls-not-supported", "mx.web.test"],
      ["sts", "sts-webpki-invalid", ""],
    ]);
  } finally {
    await queue.stop();
    await store.close();
    await Deno.remove(dir, { recursive: true });
    await mxSink.close();
    await server.shutdown();
  }
});
