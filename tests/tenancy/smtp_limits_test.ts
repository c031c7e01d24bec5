/**
 * Issue 16 on the SMTP wire: each plan limit one below the organization's usage, then at it; a plan
 * change through `tern plan set` (another process) applying without restart; usage exact after 50
 * concurrent nodemailer sessions.
 *
 * @module
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { PASSWORDS } from "../smtp/_server.ts";
import { Smtp, startTenancyServer } from "./_support.ts";
import { tenancyOf } from "../../core/tenancy/policy.ts";
import { utcDay } from "../../core/tenancy/periods.ts";

Deno.test("tenancy smtp: RCPT under the daily receive limit is accepted, at it gets 452 4.2.2", async () => {
  const env = await startTenancyServer({ limits: { receivedPerDay: 2 } });
  const s = await Smtp.open(env.port("smtp"));
  try {
    assert.match(await s.send("x@remote.test", "alice@example.org"), /^250 /);
    // Usage 1, limit 2: one below.
    assert.match(await s.send("x@remote.test", "bob@example.org"), /^250 /);
    // Usage 2: at the limit.
    await s.cmd("MAIL FROM:<x@remote.test>");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^452 4\.2\.2 .*daily receive limit/);
    assert.equal((await env.inbox(env.alice)).length, 1);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: the monthly receive limit refuses with 452 4.2.2 once reached", async () => {
  const env = await startTenancyServer({ limits: { receivedPerMonth: 1 } });
  const s = await Smtp.open(env.port("smtp"));
  try {
    assert.match(await s.send("x@remote.test", "alice@example.org"), /^250 /);
    await s.cmd("MAIL FROM:<x@remote.test>");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^452 4\.2\.2 .*monthly receive limit/);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: storage: SIZE that fits is accepted, one byte more gets 552 5.2.2", async () => {
  const env = await startTenancyServer({});
  const s = await Smtp.open(env.port("smtp"));
  try {
    assert.match(await s.send("x@remote.test", "alice@example.org"), /^250 /);
    const store = env.srv.context.store;
    const used = (await store.organizations.resources("acme")).storageBytes;
    assert.ok(used > 0);
    await store.plans.update("p", { limits: { storageBytes: used + 1000 } });
    await s.cmd("MAIL FROM:<x@remote.test> SIZE=1000");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^250 /);
    await s.cmd("RSET");
    await s.cmd("MAIL FROM:<x@remote.test> SIZE=1001");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^552 5\.2\.2 /);
    await s.cmd("RSET");
    // Without SIZE: accepted at RCPT, refused after the data when the message does not fit.
    const big = "Subject: big\r\n\r\n" + "b".repeat(1100) + "\r\n";
    assert.match(await s.send("x@remote.test", "alice@example.org", big), /^552 5\.2\.2 /);
    const small = "Subject: small\r\n\r\n" + "s".repeat(900) + "\r\n";
    assert.match(await s.send("x@remote.test", "alice@example.org", small), /^250 /);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: the plan's maximum size: at RCPT with SIZE, and after DATA without it (552 5.3.4)", async () => {
  const env = await startTenancyServer({ limits: { maxMessageSize: 2000 } });
  const s = await Smtp.open(env.port("smtp"));
  try {
    await s.cmd("MAIL FROM:<x@remote.test> SIZE=2000");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^250 /);
    await s.cmd("RSET");
    await s.cmd("MAIL FROM:<x@remote.test> SIZE=2001");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^552 5\.3\.4 /);
    await s.cmd("RSET");
    // Trace fields (~200 bytes) are not counted: the limit is on what the client sends.
    const fits = "Subject: t\r\n\r\n" + "a".repeat(2000 - 16) + "\r\n";
    assert.equal(fits.length, 2000);
    assert.match(await s.send("x@remote.test", "alice@example.org", fits), /^250 /);
    assert.match(await s.send("x@remote.test", "alice@example.org", "x" + fits), /^552 5\.3\.4 /);
    assert.equal((await env.inbox(env.alice)).length, 1);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: submission under the daily send limit is accepted, at it MAIL gets 450 4.7.0", async () => {
  const env = await startTenancyServer({ limits: { sentPerDay: 2 } });
  const s = await Smtp.open(env.port("submission"));
  try {
    assert.match(await s.auth("alice@example.org", PASSWORDS.alice), /^235 /);
    const msg = "From: alice@example.org\r\nSubject: t\r\n\r\nhi\r\n";
    assert.match(await s.send("alice@example.org", "bob@example.org", msg), /^250 /);
    assert.match(await s.send("alice@example.org", "bob@example.org", msg), /^250 /);
    assert.match(await s.cmd("MAIL FROM:<alice@example.org>"), /^450 4\.7\.0 .*sending limit/);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: a plan without outbound refuses remote recipients with 550 5.7.0, local ones pass", async () => {
  const env = await startTenancyServer({ features: { outbound: false } });
  const s = await Smtp.open(env.port("submission"));
  try {
    assert.match(await s.auth("alice@example.org", PASSWORDS.alice), /^235 /);
    await s.cmd("MAIL FROM:<alice@example.org>");
    assert.match(await s.cmd("RCPT TO:<someone@remote.test>"), /^550 5\.7\.0 /);
    assert.match(await s.cmd("RCPT TO:<bob@example.org>"), /^250 /);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: a plan raised by `tern plan set` in another process applies to the next RCPT", async () => {
  const env = await startTenancyServer({ limits: { receivedPerDay: 1 } });
  const s = await Smtp.open(env.port("smtp"));
  try {
    assert.match(await s.send("x@remote.test", "alice@example.org"), /^250 /);
    await s.cmd("MAIL FROM:<x@remote.test>");
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^452 /);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../main.ts", import.meta.url).pathname,
        "plan",
        "set",
        "p",
        "--received-per-day",
        "2",
        "--data-dir",
        env.dir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(await s.cmd("RCPT TO:<alice@example.org>"), /^250 /);
  } finally {
    s.close();
    await env.close();
  }
});

Deno.test("tenancy smtp: usage is exact after 50 concurrent nodemailer sessions", async () => {
  // 50 sessions from one address: above the default per-IP limit of 20.
  const env = await startTenancyServer({}, { policy: { max_connections_per_ip: 100 } });
  try {
    const sends = Array.from({ length: 50 }, async (_, i) => {
      const t = nodemailer.createTransport({ host: "127.0.0.1", port: env.port("smtp"), ignoreTLS: true });
      try {
        await t.sendMail({
          envelope: { from: "x@remote.test", to: [i % 2 ? "alice@example.org" : "bob@example.org"] },
          raw: `Subject: ${i}\r\n\r\nbody ${i}\r\n`,
        });
      } finally {
        t.close();
      }
    });
    await Promise.all(sends);
    const policy = tenancyOf(env.srv.context);
    assert.equal((await policy.usage.current("acme")).day.received, 50);
    await policy.usage.flush();
    const day = utcDay(new Date());
    assert.deepEqual(await env.srv.context.store.usage.sum("acme", day, day), {
      received: 50,
      sent: 0,
      apiCalls: 0,
    });
  } finally {
    await env.close();
  }
});
