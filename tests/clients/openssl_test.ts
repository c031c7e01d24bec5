/**
 * `openssl s_client` against every TLS listener: STARTTLS on SMTP, submission, IMAP and POP3
 * (OpenSSL's own client side of each protocol's upgrade dance) and implicit TLS on submissions,
 * imaps and pop3s, with the certificate verified by name or IP. After the handshake a command is
 * sent and the reply checked: the upgrade offer is gone (RFC 3207 §4.2, RFC 9051 §6.2.1,
 * RFC 2595 §4) and authentication is offered.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { certFile, installed, run } from "./_clients.ts";

const ignore = !installed("openssl");

/** Runs s_client; `-ign_eof` keeps reading after our input ends until the server closes. */
async function sClient(t: TestServer, home: string, args: string[], input: string): Promise<string> {
  const r = await run(
    "openssl",
    ["s_client", "-quiet", "-ign_eof", "-CAfile", certFile(t), "-verify_return_error", ...args],
    { home, stdin: input },
  );
  assert.equal(r.code, 0, `openssl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /verify return:1/);
  return r.stdout;
}

async function withServer(fn: (t: TestServer, home: string) => Promise<void>): Promise<void> {
  const t = await startTestServer();
  const home = await Deno.makeTempDir({ prefix: "tern-openssl-" });
  try {
    await fn(t, home);
  } finally {
    await t.close();
    await Deno.remove(home, { recursive: true });
  }
}

const SMTP_AFTER_TLS = "EHLO client.test\r\nQUIT\r\n";

function checkSmtp(out: string): void {
  const start = out.indexOf("250-localhost Hello client.test");
  assert.ok(start >= 0, out);
  const after = out.slice(start);
  assert.match(after, /\r\n250-AUTH PLAIN LOGIN/);
  assert.doesNotMatch(after, /STARTTLS/);
  assert.match(after, /\r\n221 /);
}

Deno.test({
  name: "openssl s_client -starttls smtp (MX and submission): verified, EHLO after TLS drops STARTTLS",
  ignore,
  async fn() {
    await withServer(async (t, home) => {
      for (const listener of ["smtp", "submission"] as const) {
        const out = await sClient(
          t,
          home,
          ["-connect", `127.0.0.1:${t.port(listener)}`, "-starttls", "smtp", "-verify_hostname", "localhost"],
          SMTP_AFTER_TLS,
        );
        checkSmtp(out);
      }
    });
  },
});

Deno.test({
  name: "openssl s_client -starttls imap: verified, CAPABILITY after TLS drops STARTTLS",
  ignore,
  async fn() {
    await withServer(async (t, home) => {
      const out = await sClient(
        t,
        home,
        ["-connect", `127.0.0.1:${t.port("imap")}`, "-starttls", "imap", "-verify_hostname", "localhost"],
        "a1 CAPABILITY\r\na2 LOGOUT\r\n",
      );
      const caps = out.split("\r\n").find((l) => l.startsWith("* CAPABILITY "));
      assert.ok(caps, out);
      assert.ok(caps.includes(" AUTH=PLAIN"));
      assert.ok(!caps.includes("STARTTLS") && !caps.includes("LOGINDISABLED"), caps);
      assert.match(out, /\r\na1 OK [^\r\n]*\r\n/);
      assert.match(out, /\r\n\* BYE [^\r\n]*\r\na2 OK /);
    });
  },
});

Deno.test({
  name: "openssl s_client -starttls pop3: verified, CAPA after TLS drops STLS",
  ignore,
  async fn() {
    await withServer(async (t, home) => {
      const out = await sClient(
        t,
        home,
        ["-connect", `127.0.0.1:${t.port("pop3")}`, "-starttls", "pop3", "-verify_hostname", "localhost"],
        "CAPA\r\nQUIT\r\n",
      );
      const capa = out.slice(out.indexOf("+OK Capability"));
      assert.ok(out.includes("\r\nUSER\r\n"), out);
      assert.match(out, /\r\nSASL [^\r\n]*PLAIN/);
      assert.doesNotMatch(capa, /\r\nSTLS\r\n/);
      assert.match(out, /\r\n\.\r\n\+OK [^\r\n]*\r\n$/);
    });
  },
});

Deno.test({
  name: "openssl s_client implicit TLS on submissions, imaps and pop3s: verified by IP, greeting",
  ignore,
  async fn() {
    await withServer(async (t, home) => {
      const cases = [
        ["submissions", "QUIT\r\n", /^220 [^\r\n]*\r\n221 /],
        ["imaps", "a LOGOUT\r\n", /^\* OK [^\r\n]*\r\n\* BYE [^\r\n]*\r\na OK /],
        ["pop3s", "QUIT\r\n", /^\+OK [^\r\n]*\r\n\+OK /],
      ] as const;
      for (const [listener, input, expected] of cases) {
        const out = await sClient(t, home, [
          "-connect",
          `127.0.0.1:${t.port(listener)}`,
          "-verify_ip",
          "127.0.0.1",
        ], input);
        assert.match(out, expected, `${listener}: ${out}`);
      }
    });
  },
});
