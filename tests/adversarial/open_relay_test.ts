/**
 * No open relay: on the MX listener without authentication, every address form that has made some
 * mail server relay (source routes, the percent hack, quoted local parts, IP literals, a trailing
 * dot, bang paths) is refused at RCPT with the exact reply, nothing is accepted for DATA, and the
 * server goes on serving. Unauthenticated submission refuses the transaction before RCPT.
 */
import assert from "node:assert/strict";
import { smtpCmd, smtpReply, startAttackEnv } from "./_env.ts";
import { LineClient, python } from "../support/line_client.ts";

const RELAY_DENIED = "554 5.7.1 Relaying denied";
const NO_SUCH_USER = "550 5.1.1 No such user here";
const BAD_SYNTAX = "501 5.5.4 Bad recipient address syntax";

/** Each address form and the exact RCPT reply. */
const FORMS: [string, string][] = [
  ["<u@ext.example>", RELAY_DENIED],
  // RFC 5321 §4.1.1.3: the source route is ignored, so the target is the remote mailbox.
  ["<@a.example,@b.example:u@ext.example>", RELAY_DENIED],
  ["<@example.org:u@ext.example>", RELAY_DENIED],
  // The percent hack: a local part with % is a local name, never a route.
  ["<u%ext.example@example.org>", NO_SUCH_USER],
  ["<u%ext.example%example.org@example.org>", NO_SUCH_USER],
  // Quoted local parts containing @ or %: local names that do not exist.
  ['<"u@ext.example"@example.org>', NO_SUCH_USER],
  ['<"u%ext.example"@example.org>', NO_SUCH_USER],
  // IP literals, even the server's own address, are not local domains.
  ["<u@[127.0.0.1]>", RELAY_DENIED],
  ["<postmaster@[127.0.0.1]>", RELAY_DENIED],
  ["<u@[IPv6:::1]>", RELAY_DENIED],
  // A trailing dot is not a domain (RFC 5321 §4.1.2).
  ["<u@ext.example.>", BAD_SYNTAX],
  ["<alice@example.org.>", BAD_SYNTAX],
  // Bang paths are local names.
  ["<ext.example!u@example.org>", NO_SUCH_USER],
  ["<ext.example!u>", BAD_SYNTAX],
];

Deno.test("open relay: MX refuses every routing trick at RCPT with the exact reply", async () => {
  const env = await startAttackEnv();
  const c = await LineClient.connect(env.port("smtp"));
  try {
    await smtpReply(c);
    assert.match(await smtpCmd(c, "EHLO attacker.example.net"), /^250 /);
    const got: [string, string][] = [];
    for (const [address] of FORMS) {
      assert.equal(await smtpCmd(c, "MAIL FROM:<spammer@ext.example>"), "250 2.1.0 Sender ok");
      got.push([address, await smtpCmd(c, `RCPT TO:${address}`)]);
      // Without an accepted recipient there is nothing to send.
      assert.equal(await smtpCmd(c, "DATA"), "503 5.5.1 Need RCPT command first");
      await smtpCmd(c, "RSET");
    }
    assert.deepEqual(got, FORMS);
    assert.match(await smtpCmd(c, "QUIT"), /^221 /);
    assert.deepEqual(
      await env.t.srv.context.store.listPlacements(
        env.alice.id,
        (await env.t.srv.context.store.getMailboxByRole(env.alice.id, "inbox"))!.id,
      ),
      [],
    );
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});

Deno.test("open relay: smtplib sendmail to a remote address through the MX is refused with 554", async () => {
  const env = await startAttackEnv();
  try {
    const out = await python(
      `
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
try:
    s.sendmail("spammer@ext.example", ["victim@ext.example", "u%ext.example@example.org"], "Subject: x\\r\\n\\r\\nspam\\r\\n")
    print("sent")
except smtplib.SMTPRecipientsRefused as e:
    print(sorted((k, v[0]) for k, v in e.recipients.items()))
s.quit()
`,
      [String(env.port("smtp"))],
    );
    assert.equal(out.trim(), "[('u%ext.example@example.org', 550), ('victim@ext.example', 554)]");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("open relay: unauthenticated submission refuses MAIL before any recipient", async () => {
  const env = await startAttackEnv();
  const c = await LineClient.connect(env.port("submission"));
  try {
    await smtpReply(c);
    assert.match(await smtpCmd(c, "EHLO attacker.example.net"), /^250 /);
    assert.equal(await smtpCmd(c, "MAIL FROM:<alice@example.org>"), "530 5.7.0 Authentication required");
    assert.equal(await smtpCmd(c, "RCPT TO:<u@ext.example>"), "503 5.5.1 Need MAIL command first");
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});
