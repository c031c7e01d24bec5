/**
 * `GET /metrics` through the real server, parsed by an independent Prometheus text-format parser
 * (npm `parse-prometheus-text-format`): the bearer token of `[metrics] token` is required, and the
 * counters move with what happens on the wire (an SMTP delivery by nodemailer, a failed login, IMAP
 * and POP3 commands by Python's imaplib and poplib, the scrape's own HTTP request, the store's
 * commits).
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import parsePrometheus from "parse-prometheus-text-format";
import { type ApiTestServer, PASSWORD, startApiServer } from "./_server.ts";
import { python } from "../support/line_client.ts";

/** One parsed family (the parser's shape). */
interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; count?: string; sum?: string }[];
}
const parse = parsePrometheus as unknown as (text: string) => Family[];

const TOKEN = "metrics-token-0123456789abcdefghijklmnop";

async function scrapeText(t: ApiTestServer): Promise<string> {
  const { hostname, port } = t.srv.addresses.http;
  const res = await fetch(`http://${hostname}:${port}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return await res.text();
}

async function scrape(t: ApiTestServer): Promise<Family[]> {
  return parse(await scrapeText(t));
}

/** The value of a counter or gauge series (0 when absent). */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const f = families.find((x) => x.name === name);
  if (!f) return 0;
  const m = f.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m ? Number(m.value ?? m.count) : 0;
}

/** The count of a histogram series (0 when absent). */
function count(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const f = families.find((x) => x.name === name);
  assert.equal(f?.type, "HISTOGRAM", name);
  const m = f!.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m ? Number(m.count) : 0;
}

Deno.test("metrics: /metrics needs the configured bearer token (401 with a Bearer challenge otherwise)", async () => {
  const t = await startApiServer(undefined, { metrics: { token: TOKEN } });
  try {
    const { hostname, port } = t.srv.addresses.http;
    const url = `http://${hostname}:${port}/metrics`;
    for (const auth of [null, "Bearer wrong-token-0123456789abcdefghijklmn", `Basic ${btoa("a:b")}`]) {
      const res = await fetch(url, auth ? { headers: { authorization: auth } } : {});
      assert.equal(res.status, 401, String(auth));
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
      await res.body?.cancel();
    }
    const ok = await fetch(url, { headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("metrics: an SMTP delivery, a failed login and a scrape move their counters; the text parses", async () => {
  const t = await startApiServer(undefined, { metrics: { token: TOKEN } });
  try {
    const before = await scrape(t);
    const names = new Set(before.map((f) => f.name));
    for (
      const n of [
        "tern_connections_total",
        "tern_sessions_active",
        "tern_commands_total",
        "tern_deliveries_total",
        "tern_queue_messages",
        "tern_queue_recipients_pending",
        "tern_queue_oldest_age_seconds",
        "tern_auth_failures_total",
        "tern_bans_total",
        "tern_bans_active",
        "tern_store_commit_seconds",
        "tern_http_request_duration_seconds",
        "tern_queue_recipients_total",
        "tern_queue_attempt_seconds",
      ]
    ) assert.ok(names.has(n), n);
    const local = { route: "local", result: "delivered" };
    assert.equal(value(before, "tern_deliveries_total", local), 0);
    const commitsBefore = count(before, "tern_store_commit_seconds");

    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.srv.addresses.smtp.port,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    await smtp.sendMail({
      from: "sender@remote.test",
      to: ["alice@example.org", "bob@example.org"],
      subject: "counted",
      text: "hello",
    });
    smtp.close();
    const bad = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.srv.addresses.submission.port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "alice@example.org", pass: "wrong password" },
    });
    await assert.rejects(bad.verify());
    bad.close();

    const refused = await t.call("POST", "/auth/login", {
      json: { address: "alice@example.org", password: "no" },
    });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const afterText = await scrapeText(t);
    const after = parse(afterText);
    assert.equal(value(after, "tern_deliveries_total", local), 2);
    assert.ok(value(after, "tern_connections_total", { protocol: "smtp" }) >= 1);
    assert.equal(value(after, "tern_commands_total", { protocol: "smtp", command: "MAIL", result: "ok" }), 1);
    assert.equal(value(after, "tern_commands_total", { protocol: "smtp", command: "RCPT", result: "ok" }), 2);
    assert.equal(value(after, "tern_commands_total", { protocol: "smtp", command: "DATA", result: "ok" }), 1);
    assert.equal(
      value(after, "tern_commands_total", { protocol: "submission", command: "AUTH", result: "permfail" }),
      1,
    );
    assert.equal(value(after, "tern_auth_failures_total", { protocol: "submission", reason: "invalid" }), 1);
    assert.ok(count(after, "tern_store_commit_seconds") > commitsBefore, "the delivery's commit was timed");
    // (The parser drops the labels of labelled histograms: read these series from the text itself.)
    assert.match(
      afterText,
      /^tern_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/login",status="401"\} 1$/m,
      "an admin-API request is timed under its route pattern",
    );
    assert.match(
      afterText,
      /^tern_http_request_duration_seconds_count\{method="GET",route="\/metrics",status="200"\} 1$/m,
      "the first scrape was timed under its route pattern",
    );
    assert.equal(value(after, "tern_queue_messages"), 0);
  } finally {
    await t.close();
  }
});

Deno.test("metrics: IMAP and POP3 commands are counted by protocol, command and result", async () => {
  const t = await startApiServer(undefined, { metrics: { token: TOKEN } });
  try {
    const out = await python(
      `
import imaplib, poplib, sys
host, imap_port, pop_port, pw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
m = imaplib.IMAP4(host, imap_port)
m.login("alice@example.org", pw)
m.select("INBOX")
typ, _ = m.select("Nowhere")
assert typ == "NO", typ
m.logout()
p = poplib.POP3(host, pop_port)
p.user("alice@example.org")
p.pass_(pw)
p.stat()
try:
    p.retr(7)
except poplib.error_proto:
    pass
p.quit()
print("done")
`,
      ["127.0.0.1", String(t.srv.addresses.imap.port), String(t.srv.addresses.pop3.port), PASSWORD],
    );
    assert.equal(out.trim(), "done");
    const m = await scrape(t);
    const cmd = (protocol: string, command: string, result: string) =>
      value(m, "tern_commands_total", { protocol, command, result });
    assert.equal(cmd("imap", "LOGIN", "ok"), 1);
    assert.equal(cmd("imap", "SELECT", "ok"), 1);
    assert.equal(cmd("imap", "SELECT", "no"), 1);
    assert.equal(cmd("imap", "LOGOUT", "ok"), 1);
    assert.equal(cmd("pop3", "USER", "ok"), 1);
    assert.equal(cmd("pop3", "PASS", "ok"), 1);
    assert.equal(cmd("pop3", "STAT", "ok"), 1);
    assert.equal(cmd("pop3", "RETR", "no"), 1);
    assert.equal(cmd("pop3", "QUIT", "ok"), 1);
    assert.ok(value(m, "tern_connections_total", { protocol: "imap" }) >= 1);
    assert.ok(value(m, "tern_connections_total", { protocol: "pop3" }) >= 1);
  } finally {
    await t.close();
  }
});

Deno.test("metrics: JMAP method calls are counted as jmap commands; unknown methods as OTHER errors", async () => {
  const t = await startApiServer(undefined, { metrics: { token: TOKEN } });
  try {
    const { hostname, port } = t.srv.addresses.http;
    const accountId = t.accounts["alice@example.org"]!.id;
    const res = await fetch(`http://${hostname}:${port}/jmap/api`, {
      method: "POST",
      headers: {
        authorization: "Basic " + btoa(`alice@example.org:${PASSWORD}`),
        "content-type": "application/json",
      },
      body: JSON.stringify({
        using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
        methodCalls: [
          ["Mailbox/get", { accountId }, "a"],
          ["Mailbox/get", { accountId: "nobody" }, "b"],
          ["Zzz/frobnicate", {}, "c"],
        ],
      }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.methodResponses.map((r: [string]) => r[0]), ["Mailbox/get", "error", "error"]);
    const m = await scrape(t);
    const cmd = (command: string, result: string) =>
      value(m, "tern_commands_total", { protocol: "jmap", command, result });
    assert.equal(cmd("Mailbox/get", "ok"), 1);
    assert.equal(cmd("Mailbox/get", "error"), 1);
    assert.equal(cmd("OTHER", "error"), 1);
    assert.equal(cmd("Zzz/frobnicate", "error"), 0);
  } finally {
    await t.close();
  }
});

Deno.test("metrics: failed logins past policy.ban_failures count one ban, active until cleared", async () => {
  const t = await startApiServer(undefined, {
    metrics: { token: TOKEN },
    policy: { ban_failures: 2, ban_window_seconds: 60, ban_seconds: 600 },
  });
  try {
    // From 127.0.0.2, so that the scrape from 127.0.0.1 is not the banned address.
    const out = await python(
      `
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP(host, port, source_address=("127.0.0.2", 0))
s.ehlo()
s.user, s.password = "alice@example.org", "wrong"
for _ in range(2):
    try:
        s.auth("PLAIN", s.auth_plain)
    except smtplib.SMTPAuthenticationError:
        pass
s.quit()
print("done")
`,
      ["127.0.0.1", String(t.srv.addresses.submission.port)],
    );
    assert.equal(out.trim(), "done");
    let m = await scrape(t);
    assert.equal(value(m, "tern_auth_failures_total", { protocol: "submission", reason: "invalid" }), 2);
    assert.equal(value(m, "tern_bans_total"), 1);
    assert.equal(value(m, "tern_bans_active"), 1);
    await t.srv.context.policy!.bans.clear();
    m = await scrape(t);
    assert.equal(value(m, "tern_bans_active"), 0);
    assert.equal(value(m, "tern_bans_total"), 1);
  } finally {
    await t.close();
  }
});
