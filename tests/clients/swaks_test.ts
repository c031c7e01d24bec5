/**
 * swaks (the Swiss Army Knife for SMTP) against Tern's SMTP listeners: submission with STARTTLS
 * and certificate verification, implicit TLS, AUTH PLAIN and LOGIN, PIPELINING, MX delivery,
 * refusals. Results are checked in the store: the message in the Inbox equals what swaks sent
 * (CRLF, dot-unstuffed) once the trace fields Tern prepends are removed.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { certFile, installed, mailbox, PASSWORD, redact, run, stripTrace, toCrlf, USER } from "./_clients.ts";

const ignore = !installed("swaks");

/** A message with a leading-dot line (dot-stuffing) and an 8-bit-free body. */
const MESSAGE =
  "From: u@example.org\nTo: u@example.org\nSubject: swaks interop\nMessage-ID: <swaks-1@example.org>\n\n" +
  "first line\n.leading dot\n..two dots\nlast line\n";

async function setup(
  overrides?: Parameters<typeof startTestServer>[0],
): Promise<{ t: TestServer; accountId: string; home: string }> {
  const t = await startTestServer(overrides);
  const account = await t.addUser(USER, PASSWORD);
  const home = await Deno.makeTempDir({ prefix: "tern-swaks-" });
  // swaks reads default options from ~/.swaksrc: the password stays off the command line.
  await Deno.writeTextFile(`${home}/.swaksrc`, `auth-password ${PASSWORD}\n`, { mode: 0o600 });
  return { t, accountId: account.id, home };
}

async function teardown(s: { t: TestServer; home: string }): Promise<void> {
  await s.t.close();
  await Deno.remove(s.home, { recursive: true });
}

/** swaks ends DATA with CRLF "." CRLF itself: the data it reads must not end in a newline. */
function swaks(home: string, args: string[], data = MESSAGE.slice(0, -1)) {
  return run("swaks", ["-f", USER, "-t", USER, "--data", "-", "--timeout", "10", ...args], {
    home,
    stdin: data,
  });
}

Deno.test({
  name: "swaks submission STARTTLS (verified) + AUTH PLAIN + PIPELINING delivers byte-exact",
  ignore,
  async fn() {
    const s = await setup();
    try {
      const r = await swaks(s.home, [
        "-s",
        `127.0.0.1:${s.t.port("submission")}`,
        "--tls",
        "--tls-verify",
        "--tls-ca-path",
        certFile(s.t),
        "-a",
        "PLAIN",
        "-au",
        USER,
        "--pipeline",
      ]);
      assert.equal(r.code, 0, redact(r.stdout + r.stderr));
      assert.match(redact(r.stdout), /<~ {2}250-PIPELINING/);
      assert.match(redact(r.stdout), /<~ {2}235 /);
      const inbox = await mailbox(s.t, s.accountId);
      assert.equal(inbox.length, 1);
      assert.equal(stripTrace(inbox[0]!.raw), toCrlf(MESSAGE));
      assert.match(inbox[0]!.raw, /^Return-Path: <u@example\.org>\r\nReceived: from /);
      // RFC 3848: ESMTP + STARTTLS + AUTH is recorded as "with ESMTPSA".
      assert.match(inbox[0]!.raw, /\r\n\tby localhost \(Tern\) with ESMTPSA id /);
    } finally {
      await teardown(s);
    }
  },
});

Deno.test({
  name: "swaks submissions implicit TLS + AUTH LOGIN delivers",
  ignore,
  async fn() {
    const s = await setup();
    try {
      const r = await swaks(s.home, [
        "-s",
        `127.0.0.1:${s.t.port("submissions")}`,
        "--tls-on-connect",
        "--tls-verify",
        "--tls-ca-path",
        certFile(s.t),
        "-a",
        "LOGIN",
        "-au",
        USER,
      ]);
      assert.equal(r.code, 0, redact(r.stdout + r.stderr));
      const inbox = await mailbox(s.t, s.accountId);
      assert.equal(inbox.length, 1);
      assert.equal(stripTrace(inbox[0]!.raw), toCrlf(MESSAGE));
    } finally {
      await teardown(s);
    }
  },
});

Deno.test({
  name: "swaks MX delivery without AUTH to a local user; unknown recipient refused with 5xx",
  ignore,
  async fn() {
    const s = await setup();
    try {
      // No AUTH on the MX: a password in ~/.swaksrc would make swaks try to authenticate.
      await Deno.remove(`${s.home}/.swaksrc`);
      const mx = ["-s", `127.0.0.1:${s.t.port("smtp")}`, "-f", "sender@remote.test"];
      const ok = await swaks(s.home, mx);
      assert.equal(ok.code, 0, redact(ok.stdout + ok.stderr));
      const bad = await swaks(s.home, [...mx, "-t", "nobody@example.org"]);
      // swaks exits 24 when every recipient was refused.
      assert.equal(bad.code, 24, redact(bad.stdout + bad.stderr));
      assert.match(bad.stdout, /<\*\* 5\d\d[ -]/);
      const inbox = await mailbox(s.t, s.accountId);
      assert.equal(inbox.length, 1);
      assert.match(inbox[0]!.raw, /^Return-Path: <sender@remote\.test>\r\n/);
      assert.match(inbox[0]!.raw, /\r\n\tby localhost \(Tern\) with ESMTP id /);
      assert.equal(stripTrace(inbox[0]!.raw), toCrlf(MESSAGE));
    } finally {
      await teardown(s);
    }
  },
});

Deno.test({
  name: "swaks wrong password gets 535 and nothing is stored",
  ignore,
  async fn() {
    const s = await setup();
    try {
      await Deno.writeTextFile(`${s.home}/.swaksrc`, "auth-password wrong password\n", { mode: 0o600 });
      const r = await swaks(s.home, [
        "-s",
        `127.0.0.1:${s.t.port("submission")}`,
        "--tls",
        "--tls-ca-path",
        certFile(s.t),
        "-a",
        "PLAIN",
        "-au",
        USER,
      ]);
      // swaks exits 28 when authentication fails.
      assert.equal(r.code, 28, redact(r.stdout + r.stderr));
      assert.match(redact(r.stdout), /<~\* 535 /);
      assert.equal((await mailbox(s.t, s.accountId)).length, 0);
    } finally {
      await teardown(s);
    }
  },
});

Deno.test({
  name: "swaks MX PIPELINING with one unknown recipient among three: the others get the message",
  ignore,
  async fn() {
    const s = await setup();
    try {
      await Deno.remove(`${s.home}/.swaksrc`);
      const other = await s.t.addUser("v@example.org", PASSWORD);
      const r = await swaks(s.home, [
        "-s",
        `127.0.0.1:${s.t.port("smtp")}`,
        "-f",
        "sender@remote.test",
        "-t",
        `${USER},nobody@example.org,v@example.org`,
        "--pipeline",
      ]);
      assert.equal(r.code, 0, redact(r.stdout + r.stderr));
      // The pipelined replies come back in order: 250, 250, 550 (unknown), 250, 354, 250.
      const replies = r.stdout.split("\n").filter((l) => /^<[-*~]* +\d{3} /.test(l)).map((l) =>
        l.trim().split(/ +/)[1]
      );
      assert.deepEqual(replies.slice(-7), ["250", "250", "550", "250", "354", "250", "221"]);
      for (const id of [s.accountId, other.id]) {
        const box = await mailbox(s.t, id);
        assert.equal(box.length, 1);
        assert.equal(stripTrace(box[0]!.raw), toCrlf(MESSAGE));
      }
    } finally {
      await teardown(s);
    }
  },
});

Deno.test({
  name: "swaks message over the SIZE limit is refused with 552 after DATA and not stored",
  ignore,
  async fn() {
    const s = await setup({ smtp: { max_message_size: 2000 } });
    try {
      await Deno.remove(`${s.home}/.swaksrc`);
      const big = "Subject: big\n\n" + ("x".repeat(70) + "\n").repeat(40);
      const r = await swaks(s.home, ["-s", `127.0.0.1:${s.t.port("smtp")}`, "-f", "sender@remote.test"], big);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout, /250-SIZE 2000\r?\n/);
      assert.match(r.stdout, /<\*\* 552 5\.3\.4 /);
      assert.equal((await mailbox(s.t, s.accountId)).length, 0);
    } finally {
      await teardown(s);
    }
  },
});

// RFC 5321 §4.3.2: the reply to the end of mail data is 250, 552, 554, 451, 452, 450 or 550; a
// forged From: header is refused there with 554 5.7.1 (found by this test: it was 553).
Deno.test({
  name: "swaks submission with a From: header the user does not own is refused at end of DATA with 550/554",
  ignore,
  async fn() {
    const s = await setup();
    try {
      const forged = MESSAGE.replace("From: u@example.org", "From: boss@example.org");
      const r = await swaks(s.home, [
        "-s",
        `127.0.0.1:${s.t.port("submission")}`,
        "--tls",
        "--tls-ca-path",
        certFile(s.t),
        "-a",
        "PLAIN",
        "-au",
        USER,
      ], forged.slice(0, -1));
      assert.notEqual(r.code, 0);
      const out = redact(r.stdout);
      assert.match(out, /<~\* 5\d\d 5\.7\.1 /);
      assert.match(out, /<~\* 55[04] 5\.7\.1 /, "end-of-data refusal must be 550 or 554 (RFC 5321 §4.3.2)");
      assert.equal((await mailbox(s.t, s.accountId)).length, 0);
    } finally {
      await teardown(s);
    }
  },
});
