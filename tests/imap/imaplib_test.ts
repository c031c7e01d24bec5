/**
 * Python imaplib as the client: plaintext, STARTTLS and implicit TLS (imaps), plus a STARTTLS
 * command-injection check (pipelined plaintext after STARTTLS is never executed).
 */
import assert from "node:assert/strict";
import { python } from "../support/line_client.ts";
import { setupImap } from "./_imap_client.ts";

const SCRIPT = `
import imaplib, json, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == "ssl":
    M = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=10)
else:
    M = imaplib.IMAP4("127.0.0.1", port, timeout=10)
out = {"caps_before": sorted(M.capabilities)}
if mode == "stls":
    M.starttls(ssl_context=ctx)
    out["caps_after_tls"] = sorted(M.capabilities)
out["login"] = M.login("u@example.org", "s3cret pass")[0]
out["list"] = [l.decode() for l in M.list()[1]]
typ, data = M.select("INBOX")
out["select"] = [typ, data[0].decode()]
typ, data = M.fetch("1", "(RFC822)")
out["rfc822"] = data[0][1].decode()
out["append"] = M.append("INBOX", "(\\\\Seen)", imaplib.Time2Internaldate(1700000000), b"Subject: py\\r\\n\\r\\nfrom python\\r\\n")[1][0].decode()
out["search"] = M.search(None, "SUBJECT", "py")[1][0].decode()
out["uid_search"] = M.uid("SEARCH", "ALL")[1][0].decode()
out["store"] = [x.decode() for x in M.store("1", "+FLAGS", "(\\\\Deleted)")[1]]
out["copy"] = M.copy("2", "Trash")[0]
out["expunge"] = [x.decode() for x in M.expunge()[1]]
out["status"] = M.status("Trash", "(MESSAGES)")[1][0].decode()
M.close()
out["logout"] = M.logout()[0]
print(json.dumps(out))
`;

for (const mode of ["plain", "stls", "ssl"] as const) {
  Deno.test(`imaplib session over ${mode}`, async () => {
    const { t, user } = await setupImap();
    await t.deliver(user, "From: a@example.org\r\nSubject: first\r\n\r\nhello\r\n");
    try {
      const port = t.port(mode === "ssl" ? "imaps" : "imap");
      const out = JSON.parse(await python(SCRIPT, [String(port), mode]));
      if (mode === "stls") {
        assert.ok(out.caps_before.includes("STARTTLS"));
        assert.ok(!out.caps_after_tls.includes("STARTTLS"));
        assert.ok(out.caps_after_tls.includes("AUTH=PLAIN"));
      }
      if (mode === "ssl") assert.ok(!out.caps_before.includes("STARTTLS"));
      assert.equal(out.login, "OK");
      assert.ok(out.list.includes('(\\HasNoChildren \\Trash) "/" Trash'));
      assert.deepEqual(out.select, ["OK", "1"]);
      assert.equal(out.rfc822, "From: a@example.org\r\nSubject: first\r\n\r\nhello\r\n");
      assert.match(out.append, /^\[APPENDUID \d+ 2\] APPEND completed$/);
      assert.equal(out.search, "2");
      assert.equal(out.uid_search, "1 2");
      // The session's SELECT claimed the message as \Recent (RFC 3501 §2.3.2).
      assert.deepEqual(out.store, ["1 (FLAGS (\\Seen \\Deleted \\Recent))"]);
      assert.equal(out.copy, "OK");
      assert.deepEqual(out.expunge, ["1"]);
      assert.equal(out.status, "Trash (MESSAGES 1)");
      assert.equal(out.logout, "BYE");
    } finally {
      await t.close();
    }
  });
}

Deno.test("imap STARTTLS discards pipelined plaintext and LOGINDISABLED applies before TLS", async () => {
  const { t } = await setupImap({ listeners: { imap: { allow_plaintext_auth: false } } });
  try {
    const out = JSON.parse(
      await python(
        `
import socket, ssl, json, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
out = {"greeting": f.readline().decode().strip()}
s.sendall(b"a0 LOGIN u@example.org x\\r\\n")
out["login_plain"] = f.readline().decode().strip()
s.sendall(b"a9 AUTHENTICATE PLAIN AHVAZXhhbXBsZS5vcmcAeA==\\r\\n")
out["auth_plain"] = f.readline().decode().strip()
s.sendall(b"a1 STARTTLS\\r\\na2 LOGOUT\\r\\n")
out["starttls"] = f.readline().decode().strip()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
g = t.makefile("rb")
t.sendall(b"a3 CAPABILITY\\r\\n")
out["caps"] = g.readline().decode().strip()
out["after"] = g.readline().decode().strip()
print(json.dumps(out))
`,
        [String(t.port("imap"))],
      ),
    );
    assert.match(out.greeting, /LOGINDISABLED/);
    assert.doesNotMatch(out.greeting, /AUTH=/);
    assert.equal(out.login_plain, "a0 NO [PRIVACYREQUIRED] LOGIN not allowed before STARTTLS");
    assert.equal(out.auth_plain, "a9 NO [PRIVACYREQUIRED] Authentication not allowed before STARTTLS");
    assert.equal(out.starttls, "a1 OK Begin TLS negotiation now");
    // a2 LOGOUT was sent in plaintext with STARTTLS and must have been dropped.
    assert.match(out.caps, /^\* CAPABILITY IMAP4rev1 IMAP4rev2 .*AUTH=PLAIN/);
    assert.doesNotMatch(out.caps, /STARTTLS|LOGINDISABLED/);
    assert.equal(out.after, "a3 OK CAPABILITY completed");
  } finally {
    await t.close();
  }
});
