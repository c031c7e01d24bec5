import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import type { OutboundEnvelope, OutboundQueue } from "../../core/delivery/outbound.ts";
import { b64, PASSWORDS, setup, type SmtpTestEnv, type TestClient } from "./_test_support.ts";

async function greet(c: TestClient, name = "client.test"): Promise<string | null> {
  assert.match((await c.reply())!, /^220 mx\.test ESMTP/);
  return await c.cmd(`EHLO ${name}`);
}

async function inbox(env: SmtpTestEnv, accountId: string): Promise<Uint8Array[]> {
  const box = await env.store.getMailboxByRole(accountId, "inbox");
  const out: Uint8Array[] = [];
  for (const p of await env.store.listPlacements(accountId, box!.id)) {
    out.push((await env.store.readMessage(accountId, p.messageId))!);
  }
  return out;
}

const dec = new TextDecoder();

Deno.test("SmtpSession advertises the ESMTP extensions after EHLO", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    const ehlo = (await greet(c))!;
    for (
      const ext of [
        "PIPELINING",
        `SIZE ${env.config.smtp.max_message_size}`,
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "BINARYMIME",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
        "AUTH PLAIN LOGIN SCRAM-SHA-256",
      ]
    ) assert.match(ehlo, new RegExp(`^250[- ]${ext}$`, "m"), ext);
    assert.match(ehlo, /^250-mx\.test Hello client\.test \[192\.0\.2\.10\]$/m);
    assert.equal(await c.cmd("QUIT"), "221 2.0.0 Bye");
    assert.equal(await c.reply(), null);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession answers out-of-sequence, unknown and malformed commands and goes on", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    assert.match((await c.reply())!, /^220 /);
    assert.match((await c.cmd("MAIL FROM:<a@example.org>"))!, /^503 /); // no enhanced codes before EHLO
    await c.cmd("EHLO client.test");
    assert.match((await c.cmd("RCPT TO:<alice@example.org>"))!, /^503 5\.5\.1 /);
    assert.match((await c.cmd("DATA"))!, /^503 5\.5\.1 /);
    assert.match((await c.cmd("XYZZY"))!, /^500 5\.5\.2 /);
    assert.match((await c.cmd("MAIL FROM:bad"))!, /^501 5\.5\.4 /);
    assert.match((await c.cmd("MAIL FROM:<a@example.org>"))!, /^250 2\.1\.0 /);
    assert.match((await c.cmd("MAIL FROM:<a@example.org>"))!, /^503 5\.5\.1 /);
    assert.match((await c.cmd("DATA"))!, /^503 5\.5\.1 /);
    assert.match((await c.cmd("VRFY alice"))!, /^252 2\.5\.0 /);
    assert.match((await c.cmd("EXPN list"))!, /^502 5\.5\.1 /);
    assert.match((await c.cmd("HELP"))!, /^214-2\.0\.0 /);
    assert.equal(await c.cmd("NOOP"), "250 2.0.0 Ok");
    assert.equal(await c.cmd("RSET"), "250 2.0.0 Ok");
    assert.match((await c.cmd("X".repeat(1200)))!, /^500 5\.5\.2 Line too long/);
    assert.equal(await c.cmd("NOOP"), "250 2.0.0 Ok");
    assert.equal(await c.cmd("QUIT"), "221 2.0.0 Bye");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession delivers DATA to local Inboxes with trace headers, byte-identical", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    assert.equal(await c.cmd("MAIL FROM:<sender@remote.test>"), "250 2.1.0 Sender ok");
    assert.equal(await c.cmd("RCPT TO:<alice@example.org>"), "250 2.1.5 Recipient ok");
    assert.equal(await c.cmd("RCPT TO:<Bob@EXAMPLE.org>"), "250 2.1.5 Recipient ok");
    assert.match((await c.cmd("RCPT TO:<nobody@example.org>"))!, /^550 5\.1\.1 /);
    assert.match((await c.cmd("DATA"))!, /^354 /);
    const body = "Subject: dots\r\n\r\n.leading dot\r\n..two\r\nbare\nlf and bare\rcr\r\n.\r\n";
    const stuffed = body.replace(/(^|\r\n)\./g, "$1..");
    await c.write(stuffed + ".\r\n");
    const r = (await c.reply())!;
    const m = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(r);
    assert.ok(m, r);
    for (const account of [env.alice, env.bob]) {
      const msgs = await inbox(env, account.id);
      assert.equal(msgs.length, 1);
      const text = dec.decode(msgs[0]!);
      const [trace, rest] = [text.slice(0, text.indexOf("Subject:")), text.slice(text.indexOf("Subject:"))];
      assert.equal(rest, body);
      assert.match(
        trace,
        /^Return-Path: <sender@remote\.test>\r\nReceived: from client\.test \(\[192\.0\.2\.10\]\)\r\n/,
      );
      assert.match(trace, new RegExp(`with ESMTP id ${m[1]};`));
      assert.ok(!trace.includes(" for <"), "no recipient disclosed with several recipients");
    }
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession PIPELINING: a batch gets its replies in order and data is not read ahead", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    await c.write("MAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<zed@example.org>\r\nDATA\r\n");
    assert.deepEqual(await c.replies(4), [
      "250 2.1.0 Sender ok",
      "250 2.1.5 Recipient ok",
      "550 5.1.1 No such user here",
      "354 End data with <CR><LF>.<CR><LF>",
    ]);
    await c.write("Subject: p\r\n\r\nx\r\n.\r\nMAIL FROM:<a@b.test>\r\nQUIT\r\n");
    const [queued, mail, bye] = await c.replies(3);
    assert.match(queued!, /^250 2\.0\.0 Ok: queued as /);
    assert.equal(mail, "250 2.1.0 Sender ok");
    assert.equal(bye, "221 2.0.0 Bye");
    const msgs = await inbox(env, env.alice.id);
    assert.match(dec.decode(msgs[0]!), /^Return-Path: <>\r\n/);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession BDAT: chunks, BDAT 0 LAST, and the mixing rules of RFC 3030", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    // BDAT before RCPT: the chunk is read and discarded, then 503.
    await c.write("BDAT 5\r\nQUIT!");
    assert.match((await c.reply())!, /^503 5\.5\.1 /);
    await c.cmd("MAIL FROM:<s@remote.test> BODY=BINARYMIME");
    await c.cmd("RCPT TO:<alice@example.org>");
    assert.match((await c.cmd("DATA"))!, /^503 5\.5\.1 /);
    const part1 = "Subject: chunked\r\n\r\nline1\r\n.dot\r\n";
    const part2 = "bin\x00ary\r\n";
    await c.write(`BDAT ${part1.length}\r\n${part1}BDAT ${part2.length}\r\n${part2}`);
    assert.deepEqual(await c.replies(2), [
      `250 2.0.0 ${part1.length} octets received`,
      `250 2.0.0 ${part2.length} octets received`,
    ]);
    assert.match((await c.cmd("DATA"))!, /^503 5\.5\.1 /);
    assert.match((await c.cmd("BDAT 0 LAST"))!, /^250 2\.0\.0 Ok: queued as /);
    const text = dec.decode((await inbox(env, env.alice.id))[0]!);
    assert.ok(text.endsWith("\r\n" + part1 + part2), "BDAT data is stored without unstuffing");
    assert.match(text, /\tfor <alice@example\.org>;/);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession refuses oversized messages at MAIL and after the data, keeping nothing", async () => {
  const env = await setup({ smtp: { max_message_size: 100 } });
  try {
    const c = env.connect();
    await greet(c);
    assert.match((await c.cmd("MAIL FROM:<s@remote.test> SIZE=101"))!, /^552 5\.3\.4 /);
    await c.cmd("MAIL FROM:<s@remote.test> SIZE=50");
    await c.cmd("RCPT TO:<alice@example.org>");
    await c.cmd("DATA");
    await c.write("Subject: big\r\n\r\n" + "y".repeat(300) + "\r\n.\r\n");
    assert.match((await c.reply())!, /^552 5\.3\.4 /);
    assert.equal((await inbox(env, env.alice.id)).length, 0);
    // The session goes on, and BDAT overflow fails the transaction too.
    await c.cmd("MAIL FROM:<s@remote.test>");
    await c.cmd("RCPT TO:<alice@example.org>");
    await c.write(`BDAT 200\r\n${"z".repeat(200)}BDAT 3 LAST\r\nabc`);
    assert.match((await c.reply())!, /^552 5\.3\.4 /);
    assert.match((await c.reply())!, /^503 5\.5\.1 /);
    assert.equal(await c.cmd("NOOP"), "250 2.0.0 Ok");
    assert.equal((await inbox(env, env.alice.id)).length, 0);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession is not an open relay", async () => {
  const env = await setup({ smtp: { relay_networks: ["198.51.100.0/24"] } });
  try {
    const c = env.connect("smtp", { clientAddress: "192.0.2.10" });
    await greet(c);
    await c.cmd("MAIL FROM:<s@remote.test>");
    assert.equal(await c.cmd("RCPT TO:<victim@elsewhere.test>"), "554 5.7.1 Relaying denied");
    assert.equal(await c.cmd("RCPT TO:<x@[203.0.113.1]>"), "554 5.7.1 Relaying denied");
    // From a relay network, without an outbound queue: 451, never a silent drop.
    const r = env.connect("smtp", { clientAddress: "198.51.100.7" });
    await greet(r);
    await r.cmd("MAIL FROM:<s@remote.test>");
    assert.match((await r.cmd("RCPT TO:<friend@elsewhere.test>"))!, /^451 4\.3\.0 /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession hands relayed recipients to the outbound queue with DSN parameters", async () => {
  const queued: { env: OutboundEnvelope; blobId: string }[] = [];
  const outbound: OutboundQueue = {
    enqueue(envelope, blob) {
      queued.push({ env: envelope, blobId: blob.blobId });
      return Promise.resolve({ id: "q1" });
    },
  };
  const env = await setup({}, { outbound });
  try {
    const c = env.connect("submission");
    await greet(c);
    assert.equal(
      await c.cmd(`AUTH PLAIN ${b64(`\0alice@example.org\0${PASSWORDS.alice}`)}`),
      "235 2.7.0 Authentication successful",
    );
    await c.cmd("MAIL FROM:<alice@example.org> RET=HDRS ENVID=e1");
    assert.equal(
      await c.cmd("RCPT TO:<friend@elsewhere.test> NOTIFY=FAILURE ORCPT=rfc822;friend@elsewhere.test"),
      "250 2.1.5 Recipient ok",
    );
    await c.cmd("DATA");
    await c.write("From: alice@example.org\r\nSubject: out\r\n\r\nhi\r\n.\r\n");
    assert.match((await c.reply())!, /^250 2\.0\.0 /);
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.env.from, "alice@example.org");
    assert.deepEqual(queued[0]!.env.recipients, [{
      address: "friend@elsewhere.test",
      notify: ["FAILURE"],
      orcpt: "rfc822;friend@elsewhere.test",
    }]);
    assert.equal(queued[0]!.env.ret, "HDRS");
    const blob = dec.decode((await env.store.blobs.get(queued[0]!.blobId))!);
    assert.match(blob, /^Received: from client\.test .*\r\n\tby mx\.test \(Tern\) with ESMTPA id /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession submission requires AUTH and refuses spoofed senders", async () => {
  const env = await setup();
  try {
    const c = env.connect("submission");
    await greet(c);
    assert.match((await c.cmd("MAIL FROM:<alice@example.org>"))!, /^530 5\.7\.0 /);
    assert.match((await c.cmd(`AUTH PLAIN ${b64("\0alice@example.org\0wrong")}`))!, /^535 5\.7\.8 /);
    assert.match((await c.cmd("AUTH LOGIN"))!, /^334 VXNlcm5hbWU6$/);
    assert.match((await c.cmd(b64("alice@example.org")))!, /^334 /);
    assert.equal(await c.cmd(b64(PASSWORDS.alice)), "235 2.7.0 Authentication successful");
    assert.match((await c.cmd("AUTH PLAIN"))!, /^503 5\.5\.1 /);
    assert.match((await c.cmd("MAIL FROM:<bob@example.org>"))!, /^553 5\.7\.1 /);
    assert.equal(await c.cmd("MAIL FROM:<alice+lists@example.org>"), "250 2.1.0 Sender ok");
    await c.cmd("RCPT TO:<bob@example.org>");
    await c.cmd("DATA");
    await c.write("From: Bob <bob@example.org>\r\nSubject: spoof\r\n\r\nx\r\n.\r\n");
    assert.match((await c.reply())!, /^554 5\.7\.1 From: header/);
    assert.equal((await inbox(env, env.bob.id)).length, 0);
    await c.cmd("MAIL FROM:<alice@example.org>");
    await c.cmd("RCPT TO:<bob@example.org>");
    await c.cmd("DATA");
    await c.write("From: Alice <alice@example.org>\r\nSubject: ok\r\n\r\nx\r\n.\r\n");
    assert.match((await c.reply())!, /^250 2\.0\.0 /);
    assert.match(dec.decode((await inbox(env, env.bob.id))[0]!), /with ESMTPA id /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession AUTH handles =, * and bad base64", async () => {
  const env = await setup();
  try {
    const c = env.connect("submission");
    await greet(c);
    assert.equal(await c.cmd("AUTH PLAIN ="), "535 5.7.8 Authentication credentials invalid");
    assert.equal(await c.cmd("AUTH PLAIN"), "334 ");
    assert.equal(await c.cmd("*"), "501 5.7.0 Authentication cancelled");
    assert.equal(await c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6");
    assert.equal(await c.cmd("!!notbase64"), "501 5.5.2 Cannot decode response");
    assert.match((await c.cmd("AUTH NTLM"))!, /^504 5\.5\.4 /);
    assert.match((await c.cmd("AUTH CRAM-MD5"))!, /^504 5\.5\.4 /); // not enabled
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession AUTH SCRAM-SHA-256 sends the server signature before 235", async () => {
  const env = await setup();
  try {
    const c = env.connect("submission");
    await greet(c);
    const cnonce = randomBytes(18).toString("base64");
    const clientFirstBare = `n=alice@example.org,r=${cnonce}`;
    const first = (await c.cmd(`AUTH SCRAM-SHA-256 ${b64("n,," + clientFirstBare)}`))!;
    assert.match(first, /^334 /);
    const serverFirst = atob(first.slice(4));
    const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
    assert.ok(attrs.r!.startsWith(cnonce));
    const salted = pbkdf2Sync(
      PASSWORDS.alice,
      Buffer.from(attrs.s!, "base64"),
      Number(attrs.i),
      32,
      "sha256",
    );
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const withoutProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const sig = createHmac("sha256", storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString("base64");
    const final = (await c.cmd(b64(`${withoutProof},p=${proof}`)))!;
    assert.match(final, /^334 /);
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    const expected = createHmac("sha256", serverKey).update(authMessage).digest("base64");
    assert.equal(atob(final.slice(4)), `v=${expected}`);
    assert.equal(await c.cmd(""), "235 2.7.0 Authentication successful");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession discards commands pipelined after STARTTLS (injection)", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    await c.write("STARTTLS\r\nEHLO evil\r\nMAIL FROM:<evil@remote.test>\r\n");
    assert.equal(await c.reply(), "220 2.0.0 Ready to start TLS");
    // The session restarted and the injected EHLO/MAIL never ran: the next reply is RCPT's own.
    assert.equal(await c.cmd("RCPT TO:<alice@example.org>"), "503 Send HELO/EHLO first");
    const ehlo = (await c.cmd("EHLO again.test"))!;
    assert.ok(!ehlo.includes("STARTTLS"));
    assert.match((await c.cmd("RCPT TO:<alice@example.org>"))!, /^503 5\.5\.1 Need MAIL/);
    assert.match((await c.cmd("STARTTLS"))!, /^503 5\.5\.1 /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession SMTPUTF8: non-ASCII addresses need the MAIL parameter", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    assert.match((await c.cmd("MAIL FROM:<δοκιμή@παράδειγμα.test>"))!, /^553 5\.6\.7 /);
    assert.equal(await c.cmd("MAIL FROM:<δοκιμή@παράδειγμα.test> SMTPUTF8"), "250 2.1.0 Sender ok");
    await c.cmd("RCPT TO:<alice@example.org>");
    await c.cmd("DATA");
    await c.write("Subject: ünïcödé\r\n\r\nκείμενο\r\n.\r\n");
    assert.match((await c.reply())!, /^250 /);
    const text = dec.decode((await inbox(env, env.alice.id))[0]!);
    assert.match(text, /^Return-Path: <δοκιμή@παράδειγμα\.test>\r\n/);
    assert.match(text, /with UTF8SMTP id /);
    assert.ok(text.endsWith("Subject: ünïcödé\r\n\r\nκείμενο\r\n"));
    // Without SMTPUTF8 a non-ASCII recipient is refused.
    await c.cmd("MAIL FROM:<a@remote.test>");
    assert.match((await c.cmd("RCPT TO:<δοκιμή@example.org>"))!, /^553 5\.6\.7 /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession limits recipients per message with 452 4.5.3", async () => {
  const env = await setup({ smtp: { max_recipients: 2 } });
  try {
    const c = env.connect();
    await greet(c);
    await c.cmd("MAIL FROM:<a@remote.test>");
    await c.cmd("RCPT TO:<alice@example.org>");
    await c.cmd("RCPT TO:<bob@example.org>");
    assert.equal(await c.cmd("RCPT TO:<alice@example.org>"), "452 4.5.3 Too many recipients");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession closes idle sessions with 421 4.4.2", async () => {
  const env = await setup({ smtp: { idle_timeout: 0.05 } });
  try {
    const c = env.connect();
    // Only the banner: whatever the machine's load, nothing else races the timer.
    assert.match((await c.reply())!, /^220 /);
    assert.equal(await c.reply(), "421 4.4.2 Idle timeout, closing connection");
    assert.equal(await c.reply(), null);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession says 421 4.3.2 on shutdown", async () => {
  const env = await setup();
  try {
    const abort = new AbortController();
    const c = env.connect("smtp", { abort });
    await greet(c);
    abort.abort();
    assert.equal(await c.reply(), "421 4.3.2 Service shutting down, closing connection");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession drops blocked networks before the banner and limits rate per IP+sender", async () => {
  const env = await setup({ smtp: { blocked_networks: ["203.0.113.0/24"], rate_limit_per_minute: 1 } });
  try {
    const blocked = env.connect("smtp", { clientAddress: "203.0.113.9" });
    assert.equal(await blocked.reply(), null);
    const c = env.connect();
    await greet(c);
    assert.match((await c.cmd("MAIL FROM:<a@remote.test>"))!, /^250 /);
    await c.cmd("RSET");
    assert.equal(
      await c.cmd("MAIL FROM:<a@remote.test>"),
      "450 4.7.1 Message rate limit exceeded, try again later",
    );
    assert.match((await c.cmd("MAIL FROM:<other@remote.test>"))!, /^250 /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession answers 451 4.3.0 when the store fails, and keeps nothing", async () => {
  let failures = 1;
  const env = await setup({}, {
    // Failure injection around the real store: the first call that stores a message fails.
    wrapStore: (store) =>
      new Proxy(store, {
        get(target, prop) {
          if ((prop === "addMessages" || prop === "storeMessages") && failures > 0) {
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
    const c = env.connect();
    await greet(c);
    const send = async () => {
      await c.write("MAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n");
      await c.replies(3);
      await c.write("Subject: s\r\n\r\nx\r\n.\r\n");
      return await c.reply();
    };
    assert.equal(await send(), "451 4.3.0 Temporary failure, try again later");
    assert.equal((await inbox(env, env.alice.id)).length, 0);
    assert.match((await send())!, /^250 2\.0\.0 Ok: queued as /);
    assert.equal((await inbox(env, env.alice.id)).length, 1);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession limits concurrent connections per IP with 421 4.7.0", async () => {
  const env = await setup({ smtp: { max_connections_per_ip: 1 } });
  try {
    const first = env.connect();
    await greet(first);
    const second = env.connect();
    assert.equal(await second.reply(), "421 4.7.0 Too many connections from your address, try again later");
    assert.equal(await second.reply(), null);
    const other = env.connect("smtp", { clientAddress: "192.0.2.11" });
    assert.match((await other.reply())!, /^220 /);
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession ends sessions over the total time limit with 421 4.4.2", async () => {
  const env = await setup({ smtp: { session_timeout: 0.1 } });
  try {
    const c = env.connect();
    assert.match((await c.reply())!, /^220 /);
    assert.equal(await c.reply(), "421 4.4.2 Session time limit, closing connection");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession offers AUTH only over TLS unless plaintext is allowed", async () => {
  const env = await setup({ listeners: { submission: { allow_plaintext_auth: false } } });
  try {
    const c = env.connect("submission");
    const ehlo = (await greet(c))!;
    assert.ok(!ehlo.includes("AUTH"));
    assert.equal(
      await c.cmd(`AUTH PLAIN ${b64("\0alice@example.org\0x")}`),
      "530 5.7.0 Must issue a STARTTLS command first",
    );
    assert.equal(
      await c.cmd("MAIL FROM:<alice@example.org>"),
      "530 5.7.0 Must issue a STARTTLS command first",
    );
    assert.equal(await c.cmd("STARTTLS"), "220 2.0.0 Ready to start TLS");
    assert.match((await c.cmd("EHLO client.test"))!, /^250-AUTH PLAIN LOGIN SCRAM-SHA-256$/m);
    assert.equal(
      await c.cmd(`AUTH PLAIN ${b64(`\0alice@example.org\0${PASSWORDS.alice}`)}`),
      "235 2.7.0 Authentication successful",
    );
  } finally {
    await env.close();
  }
});
