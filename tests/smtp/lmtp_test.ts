import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { LineClient } from "../support/line_client.ts";
import { python, startServer, stripTrace, type WireEnv } from "./_server.ts";

const dec = new TextDecoder();
const LMTP_ON = { listeners: { lmtp: { enabled: true } } } as const;

/** Reads one (possibly multi-line) reply, lines joined with "\n". */
async function reply(c: LineClient): Promise<string> {
  const lines: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null) throw new Error(`EOF after ${JSON.stringify(lines)}`);
    lines.push(l);
    if (/^\d{3} /.test(l)) return lines.join("\n");
  }
}

async function replies(c: LineClient, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await reply(c));
  return out;
}

async function cmd(c: LineClient, line: string): Promise<string> {
  await c.line(line);
  return await reply(c);
}

async function withLmtp(fn: (env: WireEnv, c: LineClient) => Promise<void>): Promise<void> {
  const env = await startServer(LMTP_ON);
  const c = await LineClient.connect(env.port("lmtp"));
  try {
    assert.equal(await reply(c), "220 mx.test LMTP Tern ready");
    await fn(env, c);
  } finally {
    c.close();
    await env.close();
  }
}

Deno.test("lmtp wire: the listener is off by default and absent from the addresses", async () => {
  const env = await startServer();
  try {
    assert.equal(env.srv.addresses.lmtp, undefined);
    assert.ok(env.srv.addresses.smtp.port > 0);
  } finally {
    await env.close();
  }
});

Deno.test("lmtp wire: LHLO, EHLO refused, and per-recipient replies with one mailbox over quota", async () => {
  await withLmtp(async (env, c) => {
    assert.equal(await cmd(c, "EHLO mta.test"), "500 5.5.1 This is LMTP: use LHLO");
    assert.equal(await cmd(c, "HELO mta.test"), "500 5.5.1 This is LMTP: use LHLO");
    assert.equal(
      await cmd(c, "LHLO mta.test"),
      [
        "250-mx.test Hello mta.test [127.0.0.1]",
        "250-PIPELINING",
        "250-SIZE 52428800",
        "250-8BITMIME",
        "250-SMTPUTF8",
        "250-CHUNKING",
        "250-BINARYMIME",
        "250-DSN",
        "250-ENHANCEDSTATUSCODES",
        "250 HELP",
      ].join("\n"),
    );
    await env.srv.context.store.updateAccount(env.alice.id, { quotaBytes: 10 });
    assert.equal(await cmd(c, "MAIL FROM:<sender@remote.test>"), "250 2.1.0 Sender ok");
    assert.equal(await cmd(c, "RCPT TO:<alice@example.org>"), "250 2.1.5 Recipient ok");
    assert.equal(await cmd(c, "RCPT TO:<bob@example.org>"), "250 2.1.5 Recipient ok");
    assert.equal(await cmd(c, "DATA"), "354 End data with <CR><LF>.<CR><LF>");
    const raw = "From: sender@remote.test\r\nSubject: per recipient\r\n\r\n..dot\r\nbody\r\n";
    await c.send(raw.replace("\r\n..dot", "\r\n...dot") + ".\r\n");
    const [a, b] = await replies(c, 2);
    assert.equal(a, "552 5.2.2 <alice@example.org> Mailbox full");
    assert.match(b!, /^250 2\.0\.0 <bob@example\.org> Ok: delivered as \S+$/);
    assert.equal(await cmd(c, "QUIT"), "221 2.0.0 Bye");
    assert.deepEqual(await env.inbox(env.alice), []);
    const [msg, extra] = await env.inbox(env.bob);
    assert.equal(extra, undefined);
    const { trace, body } = stripTrace(msg!);
    assert.equal(dec.decode(body), raw);
    assert.match(
      trace,
      /^Return-Path: <sender@remote\.test>\r\nReceived: from mta\.test \(\[127\.0\.0\.1\]\)/,
    );
    assert.match(trace, /with LMTP id /);
  });
});

Deno.test("lmtp wire: unknown and non-local recipients are refused at RCPT", async () => {
  await withLmtp(async (env, c) => {
    await cmd(c, "LHLO mta.test");
    await cmd(c, "MAIL FROM:<>");
    assert.equal(await cmd(c, "RCPT TO:<nobody@example.org>"), "550 5.1.1 No such user here");
    assert.equal(
      await cmd(c, "RCPT TO:<victim@elsewhere.test>"),
      "550 5.7.1 Relaying denied: LMTP accepts local recipients only",
    );
    assert.equal(await cmd(c, "DATA"), "503 5.5.1 Need RCPT command first");
    assert.equal(await cmd(c, "QUIT"), "221 2.0.0 Bye");
    assert.deepEqual(await env.inbox(env.alice), []);
  });
});

Deno.test("lmtp wire: a pipelined batch gets its replies in order, then one per recipient", async () => {
  await withLmtp(async (env, c) => {
    await c.send(
      "LHLO mta.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<bob@example.org>\r\n" +
        "RCPT TO:<zed@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n",
    );
    const r = await replies(c, 6);
    assert.match(r[0]!, /^250-mx\.test Hello mta\.test /);
    assert.deepEqual(r.slice(1), [
      "250 2.1.0 Sender ok",
      "250 2.1.5 Recipient ok",
      "550 5.1.1 No such user here",
      "250 2.1.5 Recipient ok",
      "354 End data with <CR><LF>.<CR><LF>",
    ]);
    await c.send("Subject: batch\r\n\r\nx\r\n.\r\nRSET\r\nQUIT\r\n");
    const [bob, alice, rset, bye] = await replies(c, 4);
    assert.match(bob!, /^250 2\.0\.0 <bob@example\.org> Ok: delivered as /);
    assert.match(alice!, /^250 2\.0\.0 <alice@example\.org> Ok: delivered as /);
    assert.equal(rset, "250 2.0.0 Ok");
    assert.equal(bye, "221 2.0.0 Bye");
    assert.equal((await env.inbox(env.alice)).length, 1);
    assert.equal((await env.inbox(env.bob)).length, 1);
  });
});

// Python's smtplib.LMTP speaks LHLO; its data() returns the first recipient's reply, and the
// further per-recipient replies (RFC 2033 §4.2) are read with getreply().
const PY_LMTP = `
import smtplib, sys, json
port = int(sys.argv[1])
c = smtplib.LMTP("127.0.0.1", port)
code, _ = c.ehlo("pyclient.test")
out = {"lhlo": code, "esmtp": sorted(c.esmtp_features.keys())}
out["mail"] = c.mail("py@remote.test")[0]
out["rcpt"] = [c.rcpt(r)[0] for r in ["alice@example.org", "nobody@example.org", "bob@example.org"]]
first = c.data(b"Subject: from python\\r\\n\\r\\nhi\\r\\n")
rest = c.getreply()
out["data"] = [[first[0], first[1].decode()], [rest[0], rest[1].decode()]]
out["quit"] = c.quit()[0]
print(json.dumps(out))
`;

Deno.test("lmtp wire: python smtplib.LMTP delivers with per-recipient results", async () => {
  const env = await startServer(LMTP_ON);
  try {
    await env.srv.context.store.updateAccount(env.bob.id, { quotaBytes: 10 });
    const r = await python(PY_LMTP, String(env.port("lmtp")));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.lhlo, 250);
    for (const f of ["pipelining", "size", "8bitmime", "chunking", "enhancedstatuscodes"]) {
      assert.ok(out.esmtp.includes(f), f);
    }
    assert.ok(!out.esmtp.includes("auth"));
    assert.equal(out.mail, 250);
    assert.deepEqual(out.rcpt, [250, 550, 250]);
    assert.equal(out.data[0][0], 250);
    assert.match(out.data[0][1], /^2\.0\.0 <alice@example\.org> Ok: delivered as /);
    assert.deepEqual(out.data[1], [552, "5.2.2 <bob@example.org> Mailbox full"]);
    assert.equal(out.quit, 221);
    const [msg] = await env.inbox(env.alice);
    assert.ok(dec.decode(msg!).endsWith("\r\nSubject: from python\r\n\r\nhi\r\n"));
    assert.deepEqual(await env.inbox(env.bob), []);
  } finally {
    await env.close();
  }
});

Deno.test("lmtp wire: nodemailer in LMTP mode reports the over-quota recipient as rejected", async () => {
  const env = await startServer(LMTP_ON);
  try {
    await env.srv.context.store.updateAccount(env.alice.id, { quotaBytes: 10 });
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: env.port("lmtp"),
      lmtp: true,
      ignoreTLS: true,
    });
    const raw = "From: n@remote.test\r\nSubject: nodemailer lmtp\r\n\r\nhello\r\n";
    const info = await transport.sendMail({
      envelope: { from: "n@remote.test", to: ["alice@example.org", "bob@example.org"] },
      raw,
    });
    transport.close();
    assert.deepEqual(info.accepted, ["bob@example.org"]);
    assert.deepEqual(info.rejected, ["alice@example.org"]);
    const errors = (info as unknown as { rejectedErrors: { responseCode: number; response: string }[] })
      .rejectedErrors;
    assert.equal(errors[0]!.responseCode, 552);
    assert.equal(errors[0]!.response, "552 5.2.2 <alice@example.org> Mailbox full");
    assert.deepEqual(await env.inbox(env.alice), []);
    const [msg] = await env.inbox(env.bob);
    assert.equal(dec.decode(stripTrace(msg!).body), raw);
  } finally {
    await env.close();
  }
});
