import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { PASSWORDS, python, startServer, stripTrace } from "./_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("smtp wire: nodemailer delivers over plain SMTP, byte-identical plus trace", async () => {
  const env = await startServer();
  try {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: env.port("smtp"),
      ignoreTLS: true,
    });
    const raw =
      "From: x@remote.test\r\nTo: alice@example.org\r\nSubject: plain\r\n\r\n.starts with dot\r\nend\r\n";
    const info = await transport.sendMail({
      envelope: { from: "x@remote.test", to: ["alice@example.org"] },
      raw,
    });
    assert.match(info.response, /^250 2\.0\.0 Ok: queued as /);
    transport.close();
    const [msg] = await env.inbox(env.alice);
    const { trace, body } = stripTrace(msg!);
    assert.equal(dec.decode(body), raw);
    assert.match(trace, /with ESMTP id .*\r\n\tfor <alice@example\.org>;/);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: nodemailer STARTTLS + AUTH PLAIN and LOGIN on submission, bad password refused", async () => {
  const env = await startServer();
  try {
    for (const method of ["PLAIN", "LOGIN"]) {
      const t = nodemailer.createTransport({
        host: "127.0.0.1",
        port: env.port("submission"),
        requireTLS: true,
        tls: { rejectUnauthorized: false },
        auth: { user: "alice@example.org", pass: PASSWORDS.alice },
        authMethod: method,
      });
      const info = await t.sendMail({
        from: "alice@example.org",
        to: "bob@example.org",
        subject: `via ${method}`,
        text: "hello",
      });
      assert.match(info.response, /^250 /);
      t.close();
      const bad = nodemailer.createTransport({
        host: "127.0.0.1",
        port: env.port("submission"),
        requireTLS: true,
        tls: { rejectUnauthorized: false },
        auth: { user: "alice@example.org", pass: "wrong" },
        authMethod: method,
      });
      await assert.rejects(
        bad.sendMail({ from: "alice@example.org", to: "bob@example.org", text: "x" }),
        /535/,
      );
      bad.close();
    }
    const msgs = await env.inbox(env.bob);
    assert.equal(msgs.length, 2);
    assert.match(stripTrace(msgs[0]!).trace, /with ESMTPSA id .*\r\n\t\(using TLSv1\.[23] with cipher /);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: nodemailer over implicit TLS (submissions) and spoofed sender refusal", async () => {
  const env = await startServer();
  try {
    const t = nodemailer.createTransport({
      host: "127.0.0.1",
      port: env.port("submissions"),
      secure: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "alice@example.org", pass: PASSWORDS.alice },
    });
    const ok = await t.sendMail({
      from: "alice@example.org",
      to: "bob@example.org",
      subject: "tls",
      text: "x",
    });
    assert.match(ok.response, /^250 /);
    await assert.rejects(t.sendMail({ from: "bob@example.org", to: "alice@example.org", text: "x" }), /553/);
    await assert.rejects(
      t.sendMail({
        envelope: { from: "alice@example.org", to: ["bob@example.org"] },
        from: "bob@example.org",
        text: "x",
      }),
      /554 5\.7\.1 From: header/,
    );
    t.close();
    assert.equal((await env.inbox(env.bob)).length, 1);
    assert.equal((await env.inbox(env.alice)).length, 0);
  } finally {
    await env.close();
  }
});

const SMTPLIB_COMMON = `
import smtplib, ssl, sys
port = int(sys.argv[1])
ctx = ssl._create_unverified_context()
`;

Deno.test("smtp wire: python smtplib STARTTLS with CRAM-MD5, dot-stuffing round trip and SMTPUTF8", async () => {
  const env = await startServer({ auth: { cram_md5: true } });
  try {
    const r = await python(
      SMTPLIB_COMMON + `
s = smtplib.SMTP("127.0.0.1", port)
s.starttls(context=ctx)
s.ehlo()
assert "CRAM-MD5" in s.esmtp_features["auth"], s.esmtp_features
s.user, s.password = "alice@example.org", "${PASSWORDS.alice}"
code, _ = s.auth("CRAM-MD5", s.auth_cram_md5)
print("auth", code)
body = "Subject: dots\\r\\n\\r\\n.one\\r\\n..two\\r\\n.\\r\\nlast\\r\\n"
s.sendmail("alice@example.org", ["bob@example.org"], body)
s.sendmail("alice@example.org", ["bob@example.org"], "Subject: utf8\\r\\n\\r\\nκείμενο\\r\\n".encode(), mail_options=["SMTPUTF8", "BODY=8BITMIME"])
try:
    s.sendmail("alice@example.org", ["δοκιμή@example.org"], "Subject: x\\r\\n\\r\\nx\\r\\n")
except smtplib.SMTPRecipientsRefused as e:
    print("refused", list(e.recipients.values())[0][0])
s.quit()
`,
      String(env.port("submission")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /auth 235/);
    assert.match(r.stdout, /refused 553/);
    const msgs = await env.inbox(env.bob);
    assert.equal(
      dec.decode(stripTrace(msgs[0]!).body),
      "Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\nlast\r\n",
    );
    assert.equal(dec.decode(stripTrace(msgs[1]!).body), "Subject: utf8\r\n\r\nκείμενο\r\n");
    assert.match(stripTrace(msgs[1]!).trace, /with UTF8SMTPSA id /);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: python smtplib sees SIZE refusal, relay refusal and pipelined BDAT", async () => {
  const env = await startServer({ smtp: { max_message_size: 2000 } });
  try {
    const r = await python(
      SMTPLIB_COMMON + `
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo()
print("size", s.esmtp_features["size"])
try:
    s.sendmail("x@remote.test", ["alice@example.org"], "Subject: big\\r\\n\\r\\n" + "y" * 5000 + "\\r\\n")
except smtplib.SMTPSenderRefused as e:
    print("big", e.smtp_code)
s.rset()
try:
    s.sendmail("x@remote.test", ["someone@elsewhere.test"], "Subject: relay\\r\\n\\r\\nx\\r\\n")
except smtplib.SMTPRecipientsRefused as e:
    v = list(e.recipients.values())[0]
    print("relay", v[0], v[1].decode())
s.rset()
s.mail("x@remote.test")
s.rcpt("alice@example.org")
part = b"Subject: bdat\\r\\n\\r\\nchunk\\r\\n"
s.send(b"BDAT %d\\r\\n" % len(part) + part + b"BDAT 0 LAST\\r\\n")
print("bdat1", s.getreply()[0])
print("bdat2", s.getreply()[0])
s.quit()
`,
      String(env.port("smtp")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /size 2000/);
    assert.match(r.stdout, /big 552/);
    assert.match(r.stdout, /relay 554 5\.7\.1 Relaying denied/);
    assert.match(r.stdout, /bdat1 250\nbdat2 250/);
    const msgs = await env.inbox(env.alice);
    assert.equal(msgs.length, 1);
    assert.equal(dec.decode(stripTrace(msgs[0]!).body), "Subject: bdat\r\n\r\nchunk\r\n");
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: postmaster of every local domain, in any case and without a domain, reaches the postmaster (RFC 5321 §4.5.1)", async () => {
  const env = await startServer({ local_domains: ["example.org", "other.test"] });
  const { store, auth } = env.srv.context;
  try {
    // The primary domain's postmaster, as \`tern setup\` creates it; other.test has none of its own.
    const pm = await store.createAccount({
      address: "postmaster@example.org",
      secrets: await auth.deriveSecrets("pm-pw-3"),
    });
    const r = await python(
      SMTPLIB_COMMON + `
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo("client.test")
s.mail("x@remote.test")
for r in ["postmaster@other.test", "POSTMASTER@example.org", "Postmaster", "nobody@other.test"]:
    print(r, s.rcpt(r)[0])
s.rset()
s.sendmail("x@remote.test", ["PostMaster@other.test"], "Subject: to pm\\r\\n\\r\\nhi\\r\\n")
s.quit()
`,
      String(env.port("smtp")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /postmaster@other\.test 250\nPOSTMASTER@example\.org 250\nPostmaster 250\nnobody@other\.test 550/,
    );
    assert.equal((await env.inbox(pm)).length, 1);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: BODY=BINARYMIME over BDAT keeps every byte (RFC 3030 §3)", async () => {
  const env = await startServer();
  try {
    // NUL, bare CR and LF, a lone dot line and 8-bit bytes: BDAT carries them untouched.
    const r = await python(
      SMTPLIB_COMMON + `
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo()
print("binarymime", s.has_extn("binarymime"), s.has_extn("chunking"))
s.mail("x@remote.test", ["BODY=BINARYMIME"])
s.rcpt("alice@example.org")
body = b"Subject: bin\\r\\nContent-Type: application/octet-stream\\r\\nContent-Transfer-Encoding: binary\\r\\n\\r\\n" + bytes(range(256)) + b"\\r\\n.\\r\\nend\\n\\r"
half = len(body) // 2
s.send(b"BDAT %d\\r\\n" % half + body[:half])
print("chunk", s.getreply()[0])
s.send(b"BDAT %d LAST\\r\\n" % (len(body) - half) + body[half:])
print("last", s.getreply()[0])
s.mail("x@remote.test", ["BODY=BINARYMIME"])
s.rcpt("alice@example.org")
code, _ = s.docmd("DATA")
print("data", code)
s.quit()
`,
      String(env.port("smtp")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /binarymime True True/);
    assert.match(r.stdout, /chunk 250\nlast 250/);
    // RFC 3030 §3: a BINARYMIME transaction must use BDAT.
    assert.match(r.stdout, /data 503/);
    const msgs = await env.inbox(env.alice);
    assert.equal(msgs.length, 1);
    const expected = new Uint8Array([
      ...enc.encode(
        "Subject: bin\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n",
      ),
      ...Array.from({ length: 256 }, (_, i) => i),
      ...enc.encode("\r\n.\r\nend\n\r"),
    ]);
    assert.deepEqual(stripTrace(msgs[0]!).body, expected);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: a command pipelined after STARTTLS is never executed", async () => {
  const env = await startServer();
  try {
    const r = await python(
      SMTPLIB_COMMON + `
import socket
raw = socket.create_connection(("127.0.0.1", port))
f = raw.makefile("rb")
def reply(f):
    lines = []
    while True:
        l = f.readline()
        if not l:
            return lines
        lines.append(l.decode().rstrip())
        if l[3:4] == b" ":
            return lines
reply(f)
raw.sendall(b"EHLO x\\r\\n"); reply(f)
raw.sendall(b"STARTTLS\\r\\nEHLO evil\\r\\nMAIL FROM:<evil@remote.test>\\r\\n")
print("starttls", reply(f))
try:
    t = ctx.wrap_socket(raw, server_hostname="mx.test")
except Exception as e:
    print("handshake failed", e)
    sys.exit(0)
tf = t.makefile("rb")
t.sendall(b"NOOP\\r\\n")
print("after", reply(tf))
t.sendall(b"QUIT\\r\\n")
print("quit", reply(tf))
`,
      String(env.port("smtp")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /starttls \['220 2\.0\.0 Ready to start TLS'\]/);
    if (!r.stdout.includes("handshake failed")) {
      // Had the injected EHLO run, its reply would come first, and NOOP would carry 2.0.0.
      assert.match(r.stdout, /after \['250 Ok'\]/);
    }
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: idle sessions get 421 4.4.2", async () => {
  const env = await startServer({ smtp: { idle_timeout: 0.2 } });
  try {
    const r = await python(
      SMTPLIB_COMMON + `
import socket
raw = socket.create_connection(("127.0.0.1", port))
f = raw.makefile("rb")
print(f.readline().decode().rstrip())
print(f.readline().decode().rstrip())
print("eof", f.readline() == b"")
`,
      String(env.port("smtp")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^220 .*\n421 4\.4\.2 Idle timeout, closing connection\neof True/);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: a 30 MB message goes through the spill path intact", async () => {
  const env = await startServer({
    smtp: { max_message_size: 40 * 1024 * 1024, spill_threshold: 1024 * 1024 },
  });
  try {
    const line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n";
    const header = "From: x@remote.test\r\nSubject: big\r\n\r\n";
    const n = Math.ceil((30 * 1024 * 1024) / line.length);
    const body = header + line.repeat(n) + ".dot\r\n";
    const t = nodemailer.createTransport({ host: "127.0.0.1", port: env.port("smtp"), ignoreTLS: true });
    const info = await t.sendMail({
      envelope: { from: "x@remote.test", to: ["alice@example.org"] },
      raw: body,
    });
    assert.match(info.response, /^250 /);
    t.close();
    const [msg] = await env.inbox(env.alice);
    const got = stripTrace(msg!).body;
    const want = enc.encode(body);
    assert.equal(got.length, want.length);
    const digest = async (b: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", b.slice()));
    assert.deepEqual(await digest(got), await digest(want));
    // The temp file is gone.
    const tmp = [...Deno.readDirSync(`${env.dir}/tmp`)].filter((e) => e.name.startsWith("spool-"));
    assert.equal(tmp.length, 0);
  } finally {
    await env.close();
  }
});

Deno.test("smtp wire: SCRAM-SHA-256 and CRAM-MD5 with good and bad credentials (python client)", async () => {
  const env = await startServer({ auth: { cram_md5: true } });
  try {
    const r = await python(
      SMTPLIB_COMMON + `
import base64, hashlib, hmac, os
def scram(s, user, password):
    cnonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=%s,r=%s" % (user, cnonce)
    code, resp = s.docmd("AUTH", "SCRAM-SHA-256 " + base64.b64encode(("n,," + first_bare).encode()).decode())
    if code != 334:
        return code, None
    server_first = base64.b64decode(resp).decode()
    a = dict(kv.split("=", 1) for kv in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(a["s"]), int(a["i"]))
    ck = hmac.new(salted, b"Client Key", "sha256").digest()
    sk = hashlib.sha256(ck).digest()
    without = "c=biws,r=" + a["r"]
    msg = ",".join([first_bare, server_first, without]).encode()
    sig = hmac.new(sk, msg, "sha256").digest()
    proof = base64.b64encode(bytes(x ^ y for x, y in zip(ck, sig))).decode()
    code, resp = s.docmd(base64.b64encode((without + ",p=" + proof).encode()).decode())
    if code != 334:
        return code, None
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    expect = "v=" + base64.b64encode(hmac.new(server_key, msg, "sha256").digest()).decode()
    verified = base64.b64decode(resp).decode() == expect
    code, resp = s.docmd("")
    return code, verified
for user, pw in [("alice@example.org", "${PASSWORDS.alice}"), ("alice@example.org", "nope")]:
    s = smtplib.SMTP("127.0.0.1", port)
    s.starttls(context=ctx)
    s.ehlo()
    print("scram", scram(s, user, pw))
    s.close()
s = smtplib.SMTP("127.0.0.1", port)
s.starttls(context=ctx)
s.ehlo()
s.user, s.password = "alice@example.org", "bad"
try:
    s.auth("CRAM-MD5", s.auth_cram_md5)
except smtplib.SMTPAuthenticationError as e:
    print("cram bad", e.smtp_code)
s.close()
`,
      String(env.port("submission")),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /scram \(235, True\)\nscram \(535, None\)\ncram bad 535/);
  } finally {
    await env.close();
  }
});
