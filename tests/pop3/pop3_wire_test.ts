/**
 * POP3 over real sockets: Python poplib as the client, and raw conversations for exact bytes.
 */
import assert from "node:assert/strict";
import { LineClient, python } from "../support/line_client.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const MSG1 =
  "From: a@example.org\r\nTo: u@example.org\r\nSubject: one\r\n\r\nhello\r\n.dotted line\r\nbye\r\n";
const MSG2 = "From: b@example.org\r\nSubject: two\r\n\r\nsecond\r\n";

async function setup(overrides?: Parameters<typeof startTestServer>[0]) {
  const t = await startTestServer(overrides);
  const user = await t.addUser("u@example.org", "s3cret pass");
  await t.deliver(user, MSG1);
  await t.deliver(user, MSG2);
  return { t, user };
}

/** Logs in with USER/PASS over a raw connection and returns the client. */
async function rawLogin(t: TestServer): Promise<LineClient> {
  const c = await LineClient.connect(t.port("pop3"));
  assert.match((await c.read())!, /^\+OK /);
  await c.line("USER u@example.org");
  assert.match((await c.read())!, /^\+OK/);
  await c.line("PASS s3cret pass");
  assert.equal(await c.read(), `+OK Maildrop has 2 messages (${MSG1.length + MSG2.length} octets)`);
  return c;
}

const POPLIB = `
import poplib, sys, json, ssl
port, mode = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == "ssl":
    p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=10)
else:
    p = poplib.POP3("127.0.0.1", port, timeout=10)
out = {}
out["welcome"] = p.getwelcome().decode()
out["capa_before"] = sorted(p.capa().keys())
if mode == "stls":
    p.stls(context=ctx)
    out["capa_after"] = sorted(p.capa().keys())
p.user("u@example.org"); p.pass_("s3cret pass")
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
out["retr1"] = [l.decode() for l in p.retr(1)[1]]
out["top2"] = [l.decode() for l in p.top(2, 0)[1]]
p.dele(1)
out["stat_after_dele"] = list(p.stat())
p.rset()
out["stat_after_rset"] = list(p.stat())
p.dele(2)
out["quit"] = p.quit().decode()
print(json.dumps(out))
`;

for (const mode of ["plain", "stls", "ssl"] as const) {
  Deno.test(`POP3 poplib session (${mode}): STAT, LIST, UIDL, RETR, TOP, DELE, RSET, QUIT`, async () => {
    const { t, user } = await setup();
    try {
      const port = t.port(mode === "ssl" ? "pop3s" : "pop3");
      const out = JSON.parse(await python(POPLIB, [String(port), mode]));
      assert.match(out.welcome, /^\+OK /);
      assert.ok(out.capa_before.includes("UIDL") && out.capa_before.includes("TOP"));
      if (mode === "stls") {
        assert.ok(out.capa_before.includes("STLS"));
        assert.ok(!out.capa_after.includes("STLS"));
      }
      const total = MSG1.length + MSG2.length;
      assert.deepEqual(out.stat, [2, total]);
      assert.deepEqual(out.list, [`1 ${MSG1.length}`, `2 ${MSG2.length}`]);
      assert.equal(out.uidl.length, 2);
      assert.match(out.uidl[0], /^1 \d+\.1$/);
      // poplib unstuffs: the ".dotted line" comes back intact.
      assert.deepEqual(out.retr1, MSG1.split("\r\n").slice(0, -1));
      assert.deepEqual(out.top2, ["From: b@example.org", "Subject: two", ""]);
      assert.deepEqual(out.stat_after_dele, [1, MSG2.length]);
      assert.deepEqual(out.stat_after_rset, [2, total]);
      assert.match(out.quit, /^\+OK .*\(1 messages left\)/);
      // DELE + QUIT expunged message 2 through the store (IMAP and JMAP see it through the same store).
      const inbox = await t.srv.context.store.getMailboxByRole(user.id, "inbox");
      const left = await t.srv.context.store.listPlacements(user.id, inbox!.id);
      assert.deepEqual(left.map((p) => p.uid), [1]);
      assert.deepEqual(await t.srv.context.store.expungedSince(user.id, inbox!.id, 0), [2]);
    } finally {
      await t.close();
    }
  });
}

Deno.test("POP3 raw: greeting, CAPA, wrong state, unknown command, bad numbers", async () => {
  const { t } = await setup();
  try {
    const c = await LineClient.connect(t.port("pop3"));
    assert.equal(await c.read(), "+OK Tern POP3 server ready");
    await c.line("CAPA");
    const capa = await c.readUntil(".");
    assert.equal(capa[0], "+OK Capability list follows");
    for (
      const cap of [
        "TOP",
        "UIDL",
        "USER",
        "RESP-CODES",
        "PIPELINING",
        "STLS",
        "EXPIRE NEVER",
        "LOGIN-DELAY 0",
      ]
    ) {
      assert.ok(capa.includes(cap), cap);
    }
    assert.ok(capa.some((l) => /^SASL .*PLAIN/.test(l)));
    assert.ok(capa.some((l) => l.startsWith("IMPLEMENTATION ")));
    await c.line("STAT");
    assert.equal(await c.read(), "-ERR STAT not allowed now");
    await c.line("PASS x");
    assert.equal(await c.read(), "-ERR USER first");
    await c.line("FROB");
    assert.equal(await c.read(), "-ERR Unknown command");
    await c.line("X".repeat(300));
    assert.match((await c.read())!, /^-ERR /);
    await c.line("USER u@example.org");
    await c.read();
    await c.line("PASS wrong");
    assert.equal(await c.read(), "-ERR [AUTH] Authentication failed");
    await c.line("USER u@example.org");
    await c.read();
    await c.line("PASS s3cret pass");
    assert.match((await c.read())!, /^\+OK Maildrop has 2 messages/);
    await c.line("RETR 0");
    assert.equal(await c.read(), "-ERR Invalid message number");
    await c.line("RETR 3");
    assert.equal(await c.read(), "-ERR No such message");
    await c.line("LIST abc");
    assert.equal(await c.read(), "-ERR Invalid message number");
    await c.line("DELE 1");
    assert.equal(await c.read(), "+OK Message 1 deleted");
    await c.line("DELE 1");
    assert.equal(await c.read(), "-ERR Message already deleted");
    await c.line("RETR 1");
    assert.equal(await c.read(), "-ERR Message already deleted");
    await c.line("LIST");
    assert.deepEqual(await c.readUntil("."), [
      `+OK 1 messages (${MSG2.length} octets)`,
      `2 ${MSG2.length}`,
      ".",
    ]);
    await c.line("USER x");
    assert.equal(await c.read(), "-ERR USER not allowed now");
    await c.line("NOOP");
    assert.equal(await c.read(), "+OK");
    await c.line("QUIT");
    assert.equal(await c.read(), "+OK Tern POP3 server signing off (1 messages left)");
    assert.equal(await c.read(), null);
    c.close();
  } finally {
    await t.close();
  }
});

Deno.test("POP3 raw: pipelined commands are answered in order, RETR is dot-stuffed", async () => {
  const { t } = await setup();
  try {
    const c = await LineClient.connect(t.port("pop3"));
    await c.read();
    await c.send(
      "USER u@example.org\r\nPASS s3cret pass\r\nSTAT\r\nRETR 1\r\nTOP 1 1\r\nTOP 2 0\r\nQUIT\r\n",
    );
    assert.match((await c.read())!, /^\+OK/);
    assert.match((await c.read())!, /^\+OK Maildrop/);
    assert.equal(await c.read(), `+OK 2 ${MSG1.length + MSG2.length}`);
    assert.deepEqual(await c.readUntil("."), [
      `+OK ${MSG1.length} octets`,
      "From: a@example.org",
      "To: u@example.org",
      "Subject: one",
      "",
      "hello",
      "..dotted line",
      "bye",
      ".",
    ]);
    assert.deepEqual(await c.readUntil("."), [
      "+OK Top of message follows",
      "From: a@example.org",
      "To: u@example.org",
      "Subject: one",
      "",
      "hello",
      ".",
    ]);
    assert.deepEqual(await c.readUntil("."), [
      "+OK Top of message follows",
      "From: b@example.org",
      "Subject: two",
      "",
      ".",
    ]);
    assert.match((await c.read())!, /^\+OK .*signing off/);
    c.close();
  } finally {
    await t.close();
  }
});

Deno.test("POP3 raw: a dropped connection deletes nothing, and the maildrop lock is exclusive", async () => {
  const { t, user } = await setup();
  try {
    const a = await rawLogin(t);
    // A second session on the same maildrop is refused while the first holds it.
    const b = await LineClient.connect(t.port("pop3"));
    await b.read();
    await b.line("USER u@example.org");
    await b.read();
    await b.line("PASS s3cret pass");
    assert.equal(await b.read(), "-ERR [IN-USE] Maildrop already in use");
    await a.line("DELE 1");
    assert.match((await a.read())!, /^\+OK/);
    await a.line("DELE 2");
    assert.match((await a.read())!, /^\+OK/);
    a.close(); // dropped without QUIT: no UPDATE state
    // Once the server noticed the drop, the lock is free again and both messages are still there.
    for (;;) {
      await b.line("USER u@example.org");
      await b.read();
      await b.line("PASS s3cret pass");
      const reply = (await b.read())!;
      if (reply.startsWith("+OK")) {
        assert.equal(reply, `+OK Maildrop has 2 messages (${MSG1.length + MSG2.length} octets)`);
        break;
      }
      assert.equal(reply, "-ERR [IN-USE] Maildrop already in use");
    }
    b.close();
    const inbox = await t.srv.context.store.getMailboxByRole(user.id, "inbox");
    assert.equal((await t.srv.context.store.listPlacements(user.id, inbox!.id)).length, 2);
  } finally {
    await t.close();
  }
});

Deno.test("POP3 raw: AUTH PLAIN with initial response, AUTH LOGIN in steps, cancel with *", async () => {
  const { t } = await setup();
  try {
    const c = await LineClient.connect(t.port("pop3"));
    await c.read();
    await c.line("AUTH LOGIN");
    assert.equal(await c.read(), "+ " + btoa("Username:"));
    await c.line("*");
    assert.equal(await c.read(), "-ERR Authentication cancelled");
    await c.line("AUTH PLAIN " + btoa("\0u@example.org\0wrong"));
    assert.equal(await c.read(), "-ERR [AUTH] Authentication failed");
    await c.line("AUTH PLAIN !!!");
    assert.equal(await c.read(), "-ERR Invalid base64 in initial response");
    await c.line("AUTH NOSUCH");
    assert.equal(await c.read(), "-ERR Unsupported authentication mechanism");
    await c.line("AUTH LOGIN");
    await c.read();
    await c.line(btoa("u@example.org"));
    assert.equal(await c.read(), "+ " + btoa("Password:"));
    await c.line(btoa("s3cret pass"));
    assert.match((await c.read())!, /^\+OK Maildrop has 2 messages/);
    c.close();
    const d = await LineClient.connect(t.port("pop3"));
    await d.read();
    // Wait until the previous session released the lock.
    for (;;) {
      await d.line("AUTH PLAIN " + btoa("\0u@example.org\0s3cret pass"));
      const r = (await d.read())!;
      if (r.startsWith("+OK")) break;
      assert.equal(r, "-ERR [IN-USE] Maildrop already in use");
    }
    d.close();
  } finally {
    await t.close();
  }
});

const SCRAM_CLIENT = `
import base64, hashlib, hmac, os, socket, sys
port = int(sys.argv[1]); user = "u@example.org"; pw = b"s3cret pass"
s = socket.create_connection(("127.0.0.1", port), timeout=10); f = s.makefile("rb")
def rd(): return f.readline().decode().rstrip("\\r\\n")
def wr(x): s.sendall((x + "\\r\\n").encode())
rd()
cnonce = base64.b64encode(os.urandom(18)).decode()
bare = "n=" + user + ",r=" + cnonce
wr("AUTH SCRAM-SHA-256 " + base64.b64encode(("n,," + bare).encode()).decode())
line = rd(); assert line.startswith("+ "), line
sfirst = base64.b64decode(line[2:]).decode()
attrs = dict(kv.split("=", 1) for kv in sfirst.split(","))
assert attrs["r"].startswith(cnonce)
salted = hashlib.pbkdf2_hmac("sha256", pw, base64.b64decode(attrs["s"]), int(attrs["i"]))
ckey = hmac.new(salted, b"Client Key", "sha256").digest()
stored = hashlib.sha256(ckey).digest()
final_wo = "c=biws,r=" + attrs["r"]
authmsg = (bare + "," + sfirst + "," + final_wo).encode()
sig = hmac.new(stored, authmsg, "sha256").digest()
proof = bytes(a ^ b for a, b in zip(ckey, sig))
wr(base64.b64encode((final_wo + ",p=" + base64.b64encode(proof).decode()).encode()).decode())
line = rd(); assert line.startswith("+ "), line
sfinal = base64.b64decode(line[2:]).decode()
skey = hmac.new(salted, b"Server Key", "sha256").digest()
assert sfinal == "v=" + base64.b64encode(hmac.new(skey, authmsg, "sha256").digest()).decode(), sfinal
wr("")
print(rd())
wr("QUIT"); print(rd())
`;

Deno.test("POP3 AUTH SCRAM-SHA-256 with an independent Python client verifies the server signature", async () => {
  const { t } = await setup();
  try {
    const out = (await python(SCRAM_CLIENT, [String(t.port("pop3"))])).trim().split("\n");
    assert.match(out[0]!, /^\+OK Maildrop has 2 messages/);
    assert.match(out[1]!, /^\+OK .*signing off/);
  } finally {
    await t.close();
  }
});

Deno.test("POP3 raw: STLS discards pipelined plaintext, and plaintext login is refused when not allowed", async () => {
  const { t } = await setup({ listeners: { pop3: { allow_plaintext_auth: false } } });
  try {
    const c = await LineClient.connect(t.port("pop3"));
    await c.read();
    await c.line("CAPA");
    const capa = await c.readUntil(".");
    assert.ok(!capa.includes("USER"));
    assert.ok(capa.includes("STLS"));
    await c.line("USER u@example.org");
    assert.equal(await c.read(), "-ERR [AUTH] Plaintext login not allowed; use STLS first");
    await c.line("AUTH PLAIN " + btoa("\0u@example.org\0s3cret pass"));
    assert.equal(await c.read(), "-ERR [AUTH] Authentication requires TLS; use STLS first");
    c.close();
    // poplib over STLS can log in; a command pipelined behind STLS in plaintext is never executed.
    const script = `
import socket, ssl, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb"); f.readline()
s.sendall(b"STLS\\r\\nUSER u@example.org\\r\\n")
print(f.readline().decode().strip())
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s); g = t.makefile("rb")
t.sendall(b"PASS s3cret pass\\r\\n"); print(g.readline().decode().strip())
t.sendall(b"USER u@example.org\\r\\nPASS s3cret pass\\r\\n"); print(g.readline().decode().strip()); print(g.readline().decode().strip())
`;
    const out = (await python(script, [String(t.port("pop3"))])).trim().split("\n");
    assert.deepEqual(out.slice(0, 3), [
      "+OK Begin TLS negotiation",
      "-ERR USER first",
      "+OK Send your password",
    ]);
    assert.match(out[3]!, /^\+OK Maildrop has 2 messages/);
  } finally {
    await t.close();
  }
});

Deno.test("POP3 raw: a message stored with bare LF reports its exact CRLF size, equal to the bytes RETR sends", async () => {
  const t = await startTestServer();
  try {
    const user = await t.addUser("u@example.org", "s3cret pass");
    const lf = "From: a@example.org\nSubject: lf\n\nline one\n.dot\nlast\n";
    const wire = lf.replaceAll("\n", "\r\n");
    await t.deliver(user, lf);
    for (let round = 0; round < 2; round++) { // the second login reads the cached size
      const c = await LineClient.connect(t.port("pop3"));
      await c.read();
      await c.line("USER u@example.org");
      await c.read();
      await c.line("PASS s3cret pass");
      assert.equal(await c.read(), `+OK Maildrop has 1 messages (${wire.length} octets)`);
      await c.line("LIST 1");
      assert.equal(await c.read(), `+OK 1 ${wire.length}`);
      await c.line("RETR 1");
      const lines = await c.readUntil(".");
      assert.equal(lines[0], `+OK ${wire.length} octets`);
      // Undo the byte-stuffing as a client does and count what it received.
      const body = lines.slice(1, -1).map((l) => (l.startsWith(".") ? l.slice(1) : l) + "\r\n").join("");
      assert.equal(body, wire);
      await c.line("QUIT");
      await c.read();
      c.close();
    }
  } finally {
    await t.close();
  }
});
