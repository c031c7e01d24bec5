import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestServer } from "./_server_helpers.ts";

/**
 * STARTTLS on the real listeners with an independent TLS stack (Python's ssl, i.e. OpenSSL),
 * verifying the generated self-signed certificate.
 */
const SCRIPT = `
import imaplib, poplib, smtplib, ssl, sys
cafile, smtp_port, imap_port, pop3_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ctx = ssl.create_default_context(cafile=cafile)
s = smtplib.SMTP("localhost", smtp_port, timeout=10)
s.ehlo("client.example")
s.starttls(context=ctx)
code, _ = s.ehlo("client.example")
print("smtp", code, s.sock.version())
s.quit()
i = imaplib.IMAP4("localhost", imap_port, timeout=10)
i.starttls(ssl_context=ctx)
typ, _ = i.noop()
print("imap", typ, i.sock.version())
i.logout()
p = poplib.POP3("localhost", pop3_port, timeout=10)
p.stls(context=ctx)
print("pop3", p.capa() is not None, p.sock.version())
p.quit()
`;

Deno.test("STARTTLS upgrades SMTP, IMAP and POP3 connections for a real TLS client", async () => {
  const t = await startTestServer();
  try {
    const out = await new Deno.Command("python3", {
      args: [
        "-c",
        SCRIPT,
        join(t.dir, "tls", "cert.pem"),
        String(t.srv.addresses.smtp.port),
        String(t.srv.addresses.imap.port),
        String(t.srv.addresses.pop3.port),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /^smtp 250 TLSv1\.[23]$/m);
    assert.match(stdout, /^imap OK TLSv1\.[23]$/m);
    assert.match(stdout, /^pop3 True TLSv1\.[23]$/m);
  } finally {
    await t.close();
  }
});
