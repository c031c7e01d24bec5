/**
 * Webhooks end to end: a real server on 127.0.0.1, mail sent with nodemailer over SMTP, and a
 * loopback receiver that verifies the Standard Webhooks signatures with node:crypto. Covers the
 * payload, retries (the receiver fails the first N attempts), the circuit breaker and its probe,
 * the SSRF refusal of a loopback target without the operator's allow-list, and the signed
 * attachment links.
 *
 * @module
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { startTestServer, type TestServer } from "../support/server.ts";
import type { DeepPartial } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import type { LogFields, Logger } from "../../core/log/logger.ts";
import { addWebhook } from "../../core/webhooks/operations.ts";
import type { WebhookRecord } from "../../core/store/records/webhooks.ts";
import { Receiver } from "./_receiver.ts";

/** A logger that lets a test wait for a message (no sleeping). */
class WaitLogger implements Logger {
  readonly lines: { message: string; fields: LogFields }[] = [];
  #waiters: { message: string; resolve: (f: LogFields) => void }[] = [];
  #log(message: string, fields: LogFields = {}) {
    this.lines.push({ message, fields });
    for (const w of this.#waiters.filter((w) => w.message === message)) w.resolve(fields);
    this.#waiters = this.#waiters.filter((w) => w.message !== message);
  }
  debug(m: string, f?: LogFields) {
    this.#log(m, f);
  }
  info(m: string, f?: LogFields) {
    this.#log(m, f);
  }
  warn(m: string, f?: LogFields) {
    this.#log(m, f);
  }
  error(m: string, f?: LogFields) {
    this.#log(m, f);
  }
  with(): Logger {
    return this;
  }
  /** Resolves at the next line with this message. */
  next(message: string): Promise<LogFields> {
    return new Promise((resolve) => this.#waiters.push({ message, resolve }));
  }
}

const BASE: DeepPartial<Config> = {
  outbound_http: { allow_private: ["127.0.0.0/8"] },
  webhooks: { retry_base: 1, retry_max: 1, circuit_failures: 50, circuit_pause: 1, poll_interval: 1 },
};

async function setup(overrides: DeepPartial<Config> = BASE, logger?: Logger) {
  const t = await startTestServer(overrides, logger ? { logger } : undefined);
  const ada = await t.addUser("ada@example.org", "pw-ada-123");
  return { t, ada };
}

async function hookFor(t: TestServer, r: Receiver, extra: { events?: string[]; scope?: string } = {}) {
  const hook = await addWebhook(t.srv.context.store, {
    scope: extra.scope ?? "address:ada@example.org",
    url: r.url(),
    events: extra.events,
  }, new Date());
  r.secret = hook.secret;
  return hook;
}

async function send(t: TestServer, message: Record<string, unknown>) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: t.port("smtp"),
    secure: false,
    ignoreTLS: true,
  });
  try {
    return await transport.sendMail({ from: "sender@remote.example", to: "ada@example.org", ...message });
  } finally {
    transport.close();
  }
}

Deno.test("a message received over SMTP is POSTed to the address's webhook, signed, with ids, text, sanitised HTML and attachment links", async () => {
  const r = new Receiver();
  const { t, ada } = await setup();
  try {
    await hookFor(t, r);
    await send(t, {
      subject: "Invoice Ünïcode",
      text: "Hello plain",
      html: '<p onclick="x()">Hello <b>html</b><script>alert(1)</script><img src="cid:logo@x"></p>',
      attachments: [
        { filename: "report.txt", content: "attachment bytes\n" },
        { filename: "logo.png", content: new Uint8Array([137, 80, 78, 71]), cid: "logo@x" },
      ],
    });
    const [req] = await r.waitFor(1);
    assert.equal(req!.verified, true, "signature verifies with node:crypto");
    assert.match(req!.id, /^msg_[0-9a-f]{32}$/);
    assert.ok(Math.abs(Number(req!.timestamp) - Date.now() / 1000) < 300);
    assert.equal(req!.headers.get("content-type"), "application/json");
    const { type, data } = req!.json;
    assert.equal(type, "message.received");
    assert.equal(data.account, "ada@example.org");
    assert.equal(data.subject, "Invoice Ünïcode");
    assert.equal((data.text as string).trim(), "Hello plain");
    const html = data.html as string;
    assert.ok(html.includes("<b>html</b>") && !/script|onclick|alert/.test(html), html);
    assert.deepEqual(data.envelope, { from: "sender@remote.example", to: ["ada@example.org"] });
    // The JMAP id and the IMAP UID of the stored message.
    const inbox = (await t.srv.context.store.getMailboxByRole(ada.id, "inbox"))!;
    const [placement] = await t.srv.context.store.listPlacements(ada.id, inbox.id);
    assert.equal(data.emailId, placement!.messageId);
    assert.deepEqual(data.mailboxes, [{
      mailboxId: inbox.id,
      uid: placement!.uid,
      uidValidity: inbox.uidValidity,
    }]);
    // Attachments: metadata and a signed link that downloads exactly the decoded bytes; no inline bytes.
    const atts = data.attachments as { filename: string; url: string; size: number; content?: string }[];
    const report = atts.find((a) => a.filename === "report.txt")!;
    assert.equal(report.size, 17);
    assert.equal(report.content, undefined);
    const link = new URL(report.url);
    const local = `http://127.0.0.1:${t.port("http")}${link.pathname}${link.search}`;
    const res = await fetch(local);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "attachment bytes\n");
    // The HTML's cid: image points at its own signed link.
    const logo = atts.find((a) => a.filename === "logo.png")!;
    assert.ok(html.includes(`src="${logo.url.replaceAll("&", "&amp;")}"`), html);
    // A tampered link (another part, same signature) is refused.
    const tampered = local.replace(/\/(\d+)\?/, "/1?");
    const bad = await fetch(tampered);
    assert.equal(bad.status, 403);
    await bad.body?.cancel();
    // The delivery log shows one successful attempt.
    const [d] = await t.srv.context.store.webhooks.deliveries(
      (await t.srv.context.store.webhooks.list())[0]!.id,
    );
    assert.deepEqual([d!.status, d!.attempts, d!.lastStatusCode], ["delivered", 1, 200]);
  } finally {
    await t.close();
    await r.close();
  }
});

Deno.test("a receiver failing the first 2 attempts gets the same webhook-id again until it accepts; 3 attempts logged", async () => {
  const r = new Receiver((n) =>
    n < 2 ? new Response("no", { status: 503 }) : new Response(null, { status: 204 })
  );
  const { t } = await setup();
  try {
    const hook = await hookFor(t, r);
    await send(t, { subject: "retry me", text: "x" });
    const reqs = await r.waitFor(3);
    assert.equal(new Set(reqs.map((q) => q.id)).size, 1, "same webhook-id on every retry");
    assert.ok(reqs.every((q) => q.verified));
    // Each retry is signed afresh (its own timestamp may differ) and carries the same body.
    assert.equal(new Set(reqs.map((q) => q.body)).size, 1);
    const store = t.srv.context.store;
    const [d] = await store.webhooks.deliveries(hook.id);
    await t.srv.context.webhooks!.worker.stop();
    const attempts = await store.webhooks.attempts(d!.id);
    assert.deepEqual(attempts.map((a) => a.statusCode), [503, 503, 204]);
    // Backoff: each retry no earlier than the configured delay after the previous attempt.
    for (let i = 1; i < attempts.length; i++) {
      assert.ok(attempts[i]!.at.getTime() - attempts[i - 1]!.at.getTime() >= 1000);
    }
    assert.equal((await store.webhooks.getDelivery(d!.id))!.status, "delivered");
  } finally {
    await t.close();
    await r.close();
  }
});

Deno.test("the circuit opens after consecutive failures, and a probe after the pause closes it", async () => {
  let healthy = false;
  const r = new Receiver(() => new Response(null, { status: healthy ? 200 : 500 }));
  const { t } = await setup({
    ...BASE,
    webhooks: { retry_base: 1, retry_max: 1, circuit_failures: 2, circuit_pause: 2, poll_interval: 1 },
  });
  try {
    const hook = await hookFor(t, r);
    const store = t.srv.context.store;
    await send(t, { subject: "one", text: "x" });
    await r.waitFor(2);
    // The second failure opens the circuit (written before the next attempt can start).
    healthy = true;
    const probe = await r.waitFor(3);
    assert.equal(probe.length, 3);
    await t.srv.context.webhooks!.worker.stop();
    const [d] = await store.webhooks.deliveries(hook.id);
    const attempts = await store.webhooks.attempts(d!.id);
    assert.deepEqual(attempts.map((a) => a.statusCode), [500, 500, 200]);
    // The probe waited for the pause (2 s after the opening failure), not only the 1 s retry delay.
    assert.ok(attempts[2]!.at.getTime() - attempts[1]!.at.getTime() >= 2000);
    const after = (await store.webhooks.get(hook.id))!;
    assert.deepEqual([after.failures, after.pausedUntil], [0, null]);
  } finally {
    await t.close();
    await r.close();
  }
});

Deno.test("an open circuit holds new deliveries back until its probe time", async () => {
  const r = new Receiver(() => new Response("ok"));
  const { t } = await setup();
  try {
    const hook = await hookFor(t, r);
    const store = t.srv.context.store;
    const until = new Date(Date.now() + 3_600_000);
    await store.webhooks.update(hook.id, { failures: 5, pausedUntil: until });
    t.srv.context.webhooks!.directory.invalidate();
    await send(t, { subject: "held", text: "x" });
    const [d] = await store.webhooks.deliveries(hook.id);
    assert.equal(d!.status, "pending");
    // Not due for the worker while the circuit is open; due (as the probe) once it may close.
    assert.deepEqual(await store.webhooks.due(new Date(), 10), []);
    assert.deepEqual((await store.webhooks.due(until, 10)).map((x) => x.id), [d!.id]);
    assert.deepEqual(await store.webhooks.nextDue(), until);
    assert.equal(r.requests.length, 0);
  } finally {
    await t.close();
    await r.close();
  }
});

Deno.test("a loopback webhook target is refused without the operator's allow-list: the delivery fails, nothing is sent", async () => {
  const r = new Receiver();
  const logger = new WaitLogger();
  const { t } = await setup({ webhooks: { poll_interval: 1 } }, logger);
  try {
    const hook = await hookFor(t, r);
    const failed = logger.next("webhook delivery failed");
    await send(t, { subject: "ssrf", text: "x" });
    const fields = await failed;
    assert.equal(fields.webhook_id, hook.id);
    const [d] = await t.srv.context.store.webhooks.deliveries(hook.id);
    assert.equal(d!.status, "failed");
    assert.match(d!.lastError ?? "", /127\.0\.0\.1.*(loopback)/);
    assert.equal(d!.attempts, 1, "no retry of a refused target");
    assert.equal(r.requests.length, 0);
  } finally {
    await t.close();
    await r.close();
  }
});

Deno.test("a webhook of the domain gets messages of every address there; another address's webhook does not", async () => {
  const domainHook = new Receiver();
  const otherHook = new Receiver();
  const { t } = await setup();
  try {
    await t.addUser("bob@example.org", "pw-bob-123");
    await hookFor(t, domainHook, { scope: "domain:example.org" });
    const other: WebhookRecord = await hookFor(t, otherHook, { scope: "address:bob@example.org" });
    await send(t, { subject: "for ada", text: "x" });
    const [req] = await domainHook.waitFor(1);
    assert.equal(req!.json.data.account, "ada@example.org");
    await t.srv.context.webhooks!.worker.stop();
    assert.deepEqual(await t.srv.context.store.webhooks.deliveries(other.id), []);
    assert.equal(otherHook.requests.length, 0);
  } finally {
    await t.close();
    await domainHook.close();
    await otherHook.close();
  }
});
