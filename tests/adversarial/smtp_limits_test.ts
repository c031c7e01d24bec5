/**
 * SMTP limits, each on both sides (just inside is served, just over is refused with the exact
 * reply) and each followed by a normal transaction on the same connection and on the server:
 * recipients per transaction (452, RFC 5321 §4.5.3.1.10), the command line (998 octets before
 * CRLF), SIZE declared at MAIL (552, RFC 1870) and the size of the data itself, header included.
 */
import assert from "node:assert/strict";
import { smtpCmd, smtpReply, startAttackEnv } from "./_env.ts";
import { LineClient, python } from "../support/line_client.ts";

const LIMITS = { smtp: { max_recipients: 3, max_message_size: 2000 } };

async function mx(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  await smtpReply(c);
  assert.match(await smtpCmd(c, "EHLO limits.example.net"), /^250 /);
  return c;
}

/** A whole transaction with `message` as the data; returns the reply to the final dot. */
async function send(c: LineClient, message: string): Promise<string> {
  assert.match(await smtpCmd(c, "MAIL FROM:<sender@example.net>"), /^250 /);
  assert.match(await smtpCmd(c, "RCPT TO:<alice@example.org>"), /^250 /);
  assert.match(await smtpCmd(c, "DATA"), /^354 /);
  return await smtpCmd(c, message + ".");
}

Deno.test("SMTP recipient limit: max_recipients RCPTs are accepted, the next is 452 4.5.3, the message still goes", async () => {
  const env = await startAttackEnv(LIMITS);
  const c = await mx(env.port("smtp"));
  try {
    assert.match(await smtpCmd(c, "MAIL FROM:<sender@example.net>"), /^250 /);
    const replies = [];
    for (const r of ["alice", "bob", "alice", "bob"]) {
      replies.push(await smtpCmd(c, `RCPT TO:<${r}@example.org>`));
    }
    assert.deepEqual(replies, [
      "250 2.1.5 Recipient ok",
      "250 2.1.5 Recipient ok",
      "250 2.1.5 Recipient ok",
      "452 4.5.3 Too many recipients",
    ]);
    assert.match(await smtpCmd(c, "DATA"), /^354 /);
    assert.match(await smtpCmd(c, "Subject: three\r\n\r\nbody\r\n."), /^250 /);
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});

Deno.test("SMTP line limit: a 998-octet command is parsed, 999 octets is 500 5.5.2 Line too long", async () => {
  const env = await startAttackEnv(LIMITS);
  const c = await mx(env.port("smtp"));
  try {
    const noop = (n: number) => `NOOP ${"x".repeat(n - 5)}`;
    assert.equal(noop(998).length, 998);
    assert.equal(await smtpCmd(c, noop(998)), "250 2.0.0 Ok");
    assert.equal(await smtpCmd(c, noop(999)), "500 5.5.2 Line too long");
    assert.equal(await smtpCmd(c, noop(100_000)), "500 5.5.2 Line too long");
    assert.match(await send(c, "Subject: after\r\n\r\nok\r\n"), /^250 /);
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});

Deno.test("SMTP size limit: SIZE=max is accepted at MAIL, SIZE=max+1 is 552 5.3.4 (smtplib)", async () => {
  const env = await startAttackEnv(LIMITS);
  try {
    const out = await python(
      `
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("limits.example.net")
print(s.esmtp_features.get("size"))
for size in (2000, 2001):
    print(size, *s.mail("sender@example.net", ["SIZE=%d" % size]))
    s.rset()
s.quit()
`,
      [String(env.port("smtp"))],
    );
    assert.equal(
      out.trim(),
      "2000\n2000 250 b'2.1.0 Sender ok'\n2001 552 b'5.3.4 Message size exceeds fixed maximum message size'",
    );
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("SMTP size limit: data of max_message_size octets is delivered, one more (a big header) is 552 5.3.4", async () => {
  const env = await startAttackEnv(LIMITS);
  const c = await mx(env.port("smtp"));
  try {
    // The size counts the data as sent without the final ".\r\n" (RFC 1870 §4).
    const message = (size: number) => {
      const head = "X-Big: ";
      const rest = "\r\n\r\nbody\r\n";
      return head + "h".repeat(size - head.length - rest.length) + rest;
    };
    assert.equal(message(2000).length, 2000);
    assert.match(await send(c, message(2000)), /^250 2\.0\.0 Ok/);
    assert.equal(await send(c, message(2001)), "552 5.3.4 Message size exceeds fixed maximum message size");
    assert.match(await send(c, "Subject: after\r\n\r\nok\r\n"), /^250 /);
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});
