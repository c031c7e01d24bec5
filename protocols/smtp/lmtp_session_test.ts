import assert from "node:assert/strict";
import { setup, type SmtpTestEnv, type TestClient } from "./_test_support.ts";

const dec = new TextDecoder();

async function lhlo(c: TestClient): Promise<string | null> {
  assert.equal(await c.reply(), "220 mx.test LMTP Tern ready");
  return await c.cmd("LHLO mta.test");
}

async function inbox(env: SmtpTestEnv, accountId: string): Promise<string[]> {
  const box = await env.store.getMailboxByRole(accountId, "inbox");
  const out: string[] = [];
  for (const p of await env.store.listPlacements(accountId, box!.id)) {
    out.push(dec.decode((await env.store.readMessage(accountId, p.messageId))!));
  }
  return out;
}

Deno.test("SmtpSession lmtp: LHLO replaces HELO/EHLO, no AUTH, enhanced codes throughout", async () => {
  const env = await setup();
  try {
    const c = env.connect("lmtp");
    assert.equal(await c.reply(), "220 mx.test LMTP Tern ready");
    assert.equal(await c.cmd("MAIL FROM:<a@remote.test>"), "503 5.5.1 Send LHLO first");
    assert.equal(await c.cmd("EHLO mta.test"), "500 5.5.1 This is LMTP: use LHLO");
    assert.equal(await c.cmd("HELO mta.test"), "500 5.5.1 This is LMTP: use LHLO");
    assert.equal(await c.cmd("MAIL FROM:<a@remote.test>"), "503 5.5.1 Send LHLO first");
    assert.equal(
      await c.cmd("LHLO mta.test"),
      [
        "250-mx.test Hello mta.test [192.0.2.10]",
        "250-PIPELINING",
        `250-SIZE ${env.config.smtp.max_message_size}`,
        "250-8BITMIME",
        "250-SMTPUTF8",
        "250-CHUNKING",
        "250-BINARYMIME",
        "250-DSN",
        "250-ENHANCEDSTATUSCODES",
        "250 HELP",
      ].join("\n"),
    );
    assert.equal(await c.cmd("AUTH PLAIN"), "502 5.5.1 AUTH not available in LMTP");
    assert.equal(await c.cmd("STARTTLS"), "502 5.5.1 STARTTLS not available");
    assert.match((await c.cmd("HELP"))!, /^214-2\.0\.0 Commands: LHLO MAIL /);
    // EHLO inside a transaction is refused without resetting it.
    assert.equal(await c.cmd("MAIL FROM:<a@remote.test>"), "250 2.1.0 Sender ok");
    assert.equal(await c.cmd("EHLO mta.test"), "500 5.5.1 This is LMTP: use LHLO");
    assert.equal(await c.cmd("MAIL FROM:<a@remote.test>"), "503 5.5.1 Nested MAIL command");
    assert.equal(await c.cmd("QUIT"), "221 2.0.0 Bye");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession smtp: LHLO is not an SMTP command", async () => {
  const env = await setup();
  try {
    const c = env.connect("smtp");
    assert.match((await c.reply())!, /^220 mx\.test ESMTP/);
    assert.equal(await c.cmd("LHLO mta.test"), "500 Command not recognized");
    await c.cmd("EHLO client.test");
    assert.equal(await c.cmd("LHLO mta.test"), "500 5.5.2 Command not recognized");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession lmtp: one reply per accepted recipient after DATA, in RCPT order", async () => {
  const env = await setup();
  try {
    await env.store.updateAccount(env.alice.id, { quotaBytes: 10 });
    const c = env.connect("lmtp");
    await lhlo(c);
    await c.write(
      "MAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\n" +
        "RCPT TO:<bob@example.org>\r\nRCPT TO:<BOB@example.org>\r\nDATA\r\n",
    );
    assert.deepEqual(await c.replies(6), [
      "250 2.1.0 Sender ok",
      "250 2.1.5 Recipient ok",
      "550 5.1.1 No such user here",
      "250 2.1.5 Recipient ok",
      "250 2.1.5 Recipient ok",
      "354 End data with <CR><LF>.<CR><LF>",
    ]);
    await c.write("Subject: lmtp\r\n\r\nhello\r\n.\r\n");
    const [a, b, b2] = await c.replies(3);
    assert.equal(a, "552 5.2.2 <alice@example.org> Mailbox full");
    const m = /^250 2\.0\.0 <bob@example\.org> Ok: delivered as (\S+)$/.exec(b!);
    assert.ok(m, b!);
    assert.equal(b2, `250 2.0.0 <BOB@example.org> Ok: delivered as ${m[1]}`);
    assert.deepEqual(await inbox(env, env.alice.id), []);
    const bobs = await inbox(env, env.bob.id);
    assert.equal(bobs.length, 1, "the same mailbox twice gets one copy");
    assert.match(
      bobs[0]!,
      new RegExp(
        `^Return-Path: <s@remote\\.test>\\r\\nReceived: from mta\\.test .* with LMTP id ${m[1]};`,
        "s",
      ),
    );
    assert.ok(bobs[0]!.endsWith("\r\nSubject: lmtp\r\n\r\nhello\r\n"));
    // The session goes on with a fresh transaction.
    assert.equal(await c.cmd("MAIL FROM:<>"), "250 2.1.0 Sender ok");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession lmtp: never relays, even for relay networks", async () => {
  const env = await setup({ smtp: { relay_networks: ["192.0.2.0/24"] } });
  try {
    const c = env.connect("lmtp");
    await lhlo(c);
    await c.cmd("MAIL FROM:<s@remote.test>");
    assert.equal(
      await c.cmd("RCPT TO:<someone@remote.test>"),
      "550 5.7.1 Relaying denied: LMTP accepts local recipients only",
    );
    assert.equal(await c.cmd("DATA"), "503 5.5.1 Need RCPT command first");
    assert.equal(await c.cmd("RCPT TO:<Postmaster>"), "550 5.1.1 No such user here");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession lmtp: BDAT LAST and failures after the data answer per recipient", async () => {
  const env = await setup({ smtp: { max_message_size: 200 } });
  try {
    const c = env.connect("lmtp");
    await lhlo(c);
    const body = "Subject: chunk\r\n\r\nx\r\n";
    await c.write(
      "MAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n" +
        `BDAT 10\r\n${body.slice(0, 10)}BDAT ${body.length - 10} LAST\r\n${body.slice(10)}`,
    );
    const r = await c.replies(6);
    assert.deepEqual(r.slice(0, 4), [
      "250 2.1.0 Sender ok",
      "250 2.1.5 Recipient ok",
      "250 2.1.5 Recipient ok",
      "250 2.0.0 10 octets received",
    ]);
    assert.match(r[4]!, /^250 2\.0\.0 <alice@example\.org> Ok: delivered as /);
    assert.match(r[5]!, /^250 2\.0\.0 <bob@example\.org> Ok: delivered as /);
    assert.ok((await inbox(env, env.alice.id))[0]!.endsWith("\r\n" + body));
    // Too big: after DATA's terminator, and on BDAT LAST, every recipient gets the 552.
    const big = "x".repeat(300);
    await c.write(`MAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n`);
    await c.replies(4);
    await c.write(`${big}\r\n.\r\n`);
    assert.deepEqual(await c.replies(2), [
      "552 5.3.4 <alice@example.org> Message size exceeds fixed maximum message size",
      "552 5.3.4 <bob@example.org> Message size exceeds fixed maximum message size",
    ]);
    await c.write(`MAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nBDAT ${big.length} LAST\r\n${big}`);
    assert.deepEqual(await c.replies(3), [
      "250 2.1.0 Sender ok",
      "250 2.1.5 Recipient ok",
      "552 5.3.4 <bob@example.org> Message size exceeds fixed maximum message size",
    ]);
    assert.equal((await inbox(env, env.bob.id)).length, 1);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession lmtp: a store failure fails only the recipient it hit", async () => {
  let failures = 1;
  const env = await setup({}, {
    // Failure injection around the real store: the first addMessages call fails.
    wrapStore: (store) =>
      new Proxy(store, {
        get(target, prop) {
          if (prop === "addMessages" && failures > 0) {
            return () => {
              failures--;
              return Promise.reject(new Error("disk on fire"));
            };
          }
          const v = Reflect.get(target, prop, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      }),
  });
  try {
    const c = env.connect("lmtp");
    await lhlo(c);
    await c.write("MAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
    await c.replies(4);
    await c.write("Subject: s\r\n\r\nx\r\n.\r\n");
    const [a, b] = await c.replies(2);
    assert.equal(a, "451 4.3.0 <alice@example.org> Temporary failure, try again later");
    assert.match(b!, /^250 2\.0\.0 <bob@example\.org> Ok: delivered as /);
    assert.equal((await inbox(env, env.alice.id)).length, 0);
    assert.equal((await inbox(env, env.bob.id)).length, 1);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession lmtp: STARTTLS when the listener says so, then LHLO again", async () => {
  const env = await setup({ listeners: { lmtp: { tls: "starttls" } } });
  try {
    const c = env.connect("lmtp");
    assert.match((await lhlo(c))!, /^250-STARTTLS$/m);
    await c.write("STARTTLS\r\nMAIL FROM:<evil@remote.test>\r\n");
    assert.equal(await c.reply(), "220 2.0.0 Ready to start TLS");
    // RFC 3207 §4.2: the pipelined MAIL was dropped and the client must greet again.
    assert.equal(await c.cmd("RCPT TO:<alice@example.org>"), "503 5.5.1 Send LHLO first");
    assert.ok(!(await c.cmd("LHLO mta.test"))!.includes("STARTTLS"));
    await c.write("MAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: t\r\n\r\nx\r\n.\r\n");
    const r = await c.replies(4);
    assert.match(r[3]!, /^250 2\.0\.0 <alice@example\.org> Ok: delivered as /);
    assert.match(
      (await inbox(env, env.alice.id))[0]!,
      / with LMTPS id .*\(using TLSv1\.3 with cipher MEMORY\)/s,
    );
  } finally {
    await env.close();
  }
});
