/**
 * REQUIRETLS (RFC 8689) on the receiving side, with Python's smtplib: the EHLO keyword appears only
 * once the session is encrypted, the MAIL parameter is refused in clear text (555, as any parameter
 * not offered) and takes no value, and a message relayed with it is queued with the flag.
 */
import assert from "node:assert/strict";
import { PASSWORDS, python, startServer } from "./_server.ts";

const SCRIPT = `
import smtplib, ssl, sys
smtp, sub = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl._create_unverified_context()
s = smtplib.SMTP("127.0.0.1", smtp)
s.ehlo()
print("plain-ehlo", s.has_extn("requiretls"))
print("plain-mail", s.docmd("MAIL FROM:<x@remote.test> REQUIRETLS")[0])
s.rset()
s.starttls(context=ctx)
s.ehlo()
print("tls-ehlo", s.has_extn("requiretls"))
print("tls-value", s.docmd("MAIL FROM:<x@remote.test> REQUIRETLS=YES")[0])
s.rset()
s.sendmail("x@remote.test", ["alice@example.org"], "Subject: local\\r\\n\\r\\nhi\\r\\n", mail_options=["REQUIRETLS"])
print("local", "sent")
s.quit()
t = smtplib.SMTP("127.0.0.1", sub)
t.starttls(context=ctx)
t.login("alice@example.org", sys.argv[3])
t.sendmail("alice@example.org", ["carol@remote.test"], "Subject: relay\\r\\n\\r\\nhi\\r\\n", mail_options=["REQUIRETLS"])
t.sendmail("alice@example.org", ["dave@remote.test"], "Subject: relay\\r\\n\\r\\nhi\\r\\n")
print("relay", "sent")
t.quit()
`;

Deno.test("smtp wire: REQUIRETLS offered only after STARTTLS, refused in clear text, kept on the queued message", async () => {
  // remote.test's MX is a closed loopback port: the relayed messages stay queued (deferred).
  const env = await startServer({
    queue: {
      static_dns: [
        { name: "remote.test", type: "MX", value: "10 mx.remote.test" },
        { name: "mx.remote.test", type: "A", value: "127.0.0.1:1" },
      ],
    },
  });
  try {
    const r = await python(SCRIPT, String(env.port("smtp")), String(env.port("submission")), PASSWORDS.alice);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plain-ehlo False/);
    assert.match(r.stdout, /plain-mail 555/);
    assert.match(r.stdout, /tls-ehlo True/);
    assert.match(r.stdout, /tls-value 501/);
    assert.match(r.stdout, /local sent/);
    assert.match(r.stdout, /relay sent/);
    assert.equal((await env.inbox(env.alice)).length, 1);
    const queue = env.srv.context.store.queue;
    const flags = new Map<string, boolean>();
    for (const row of await queue.list()) {
      const msg = await queue.getMessage(row.id);
      const rcpt = (await queue.recipients(row.id))[0]!;
      flags.set(rcpt.address, msg?.requireTls === true);
    }
    assert.deepEqual(Object.fromEntries(flags), { "carol@remote.test": true, "dave@remote.test": false });
  } finally {
    await env.close();
  }
});
