/**
 * Client autoconfiguration on the real HTTP listener, fetched with curl and read with parsers others
 * wrote (Python's xml.etree and plistlib): Thunderbird's config-v1.1.xml, Outlook's POX
 * autodiscover, the Apple .mobileconfig, and the MTA-STS policy (RFC 8461 §3.2).
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { installed, run } from "../clients/_clients.ts";
import { python } from "../support/line_client.ts";

const ignore = !installed("curl");

async function curl(
  t: TestServer,
  path: string,
  extra: string[] = [],
): Promise<{ status: number; headers: string; body: string }> {
  const home = t.dir;
  const r = await run(
    "curl",
    [
      "-sS",
      "--max-time",
      "10",
      "-D",
      "-",
      "-H",
      "Host: autoconfig.example.org",
      ...extra,
      `http://127.0.0.1:${t.port("http")}${path}`,
    ],
    { home },
  );
  assert.equal(r.code, 0, r.stderr);
  const split = r.stdout.indexOf("\r\n\r\n");
  const headers = r.stdout.slice(0, split);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(headers)?.[1]),
    headers,
    body: r.stdout.slice(split + 4),
  };
}

/** Parses XML with Python's ElementTree and prints tag paths with their text, one per line. */
const FLATTEN_XML = `
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read().encode())
def strip(t): return t.split('}')[-1]
def walk(e, path):
    p = path + '/' + strip(e.tag)
    attrs = ''.join(f'[{k}={v}]' for k, v in sorted(e.attrib.items()))
    text = (e.text or '').strip()
    print(p + attrs + ('=' + text if text else ''))
    for c in e: walk(c, p + attrs)
walk(root, '')
`;

Deno.test({
  name: "Thunderbird autoconfig lists IMAP, POP3 and SMTP with implicit TLS first, as well-formed XML",
  ignore,
  async fn() {
    const t = await startTestServer({ hostname: "mail.example.org" });
    try {
      for (
        const path of [
          "/.well-known/autoconfig/mail/config-v1.1.xml",
          "/mail/config-v1.1.xml?emailaddress=ada%40example.org",
        ]
      ) {
        const r = await curl(t, path);
        assert.equal(r.status, 200);
        assert.match(r.headers, /content-type: application\/xml/i);
        const lines = (await python(FLATTEN_XML, [], r.body)).trim().split("\n");
        const p = "/clientConfig[version=1.1]/emailProvider[id=example.org]";
        assert.ok(lines.includes(`${p}/domain=example.org`), lines.join("\n"));
        const servers = lines.filter((l) => /\/(incoming|outgoing)Server\[type=\w+\]\/port=/.test(l));
        assert.deepEqual(servers.map((l) => l.replace(/^.*Server\[type=(\w+)\]\/port=(\d+)$/, "$1:$2")), [
          `imap:${t.config.listeners.imaps.port}`,
          `imap:${t.config.listeners.imap.port}`,
          `pop3:${t.config.listeners.pop3s.port}`,
          `pop3:${t.config.listeners.pop3.port}`,
          `smtp:${t.config.listeners.submissions.port}`,
          `smtp:${t.config.listeners.submission.port}`,
        ]);
        assert.ok(lines.includes(`${p}/incomingServer[type=imap]/socketType=SSL`));
        assert.ok(lines.includes(`${p}/incomingServer[type=imap]/socketType=STARTTLS`));
        assert.ok(lines.includes(`${p}/incomingServer[type=imap]/hostname=mail.example.org`));
        assert.ok(lines.includes(`${p}/outgoingServer[type=smtp]/username=%EMAILADDRESS%`));
      }
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "Outlook autodiscover answers a POX request with the address as login and SSL/TLS encryption",
  ignore,
  async fn() {
    const t = await startTestServer({ hostname: "mail.example.org" });
    try {
      const req = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request><EMailAddress>Ada@Example.ORG</EMailAddress>
  <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request></Autodiscover>`;
      const r = await curl(t, "/Autodiscover/Autodiscover.xml", [
        "-H",
        "Content-Type: text/xml",
        "--data-binary",
        req,
      ]);
      assert.equal(r.status, 200, r.body);
      const lines = (await python(FLATTEN_XML, [], r.body)).trim().split("\n");
      const acct = "/Autodiscover/Response/Account";
      assert.ok(lines.includes(`${acct}/AccountType=email`), lines.join("\n"));
      const protocols = lines.filter((l) => l.startsWith(`${acct}/Protocol/Type=`)).map((l) =>
        l.split("=")[1]
      );
      assert.deepEqual(protocols, ["IMAP", "POP3", "SMTP"]);
      assert.ok(lines.includes(`${acct}/Protocol/LoginName=Ada@example.org`));
      assert.ok(lines.includes(`${acct}/Protocol/Port=${t.config.listeners.imaps.port}`));
      assert.ok(lines.includes(`${acct}/Protocol/Encryption=SSL`));

      const bad = await curl(t, "/autodiscover/autodiscover.xml", ["--data-binary", "<Autodiscover/>"]);
      assert.equal(bad.status, 400);
      const big = await curl(t, "/autodiscover/autodiscover.xml", ["--data-binary", "x".repeat(20_000)]);
      assert.equal(big.status, 413);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "the Apple .mobileconfig for a local address is a property list with one IMAP mail payload",
  ignore,
  async fn() {
    const t = await startTestServer({ hostname: "mail.example.org" });
    try {
      const r = await curl(t, "/apple/mobileconfig?email=ada%40example.org");
      assert.equal(r.status, 200, r.body);
      assert.match(r.headers, /content-type: application\/x-apple-aspen-config/i);
      assert.match(r.headers, /content-disposition: attachment; filename="example\.org\.mobileconfig"/i);
      const out = JSON.parse(
        await python(
          "import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))",
          [],
          r.body,
        ),
      );
      assert.equal(out.PayloadType, "Configuration");
      assert.equal(out.PayloadVersion, 1);
      assert.equal(out.PayloadContent.length, 1);
      const mail = out.PayloadContent[0];
      assert.equal(mail.PayloadType, "com.apple.mail.managed");
      assert.equal(mail.EmailAccountType, "EmailTypeIMAP");
      assert.equal(mail.EmailAddress, "ada@example.org");
      assert.equal(mail.IncomingMailServerHostName, "mail.example.org");
      assert.equal(mail.IncomingMailServerPortNumber, t.config.listeners.imaps.port);
      assert.equal(mail.IncomingMailServerUseSSL, true);
      assert.equal(mail.OutgoingMailServerPortNumber, t.config.listeners.submissions.port);
      assert.match(out.PayloadUUID, /^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
      // The same address gets the same UUIDs, so a new download replaces the installed profile.
      const again = await curl(t, "/apple/mobileconfig?email=ada%40example.org");
      assert.equal(again.body, r.body);

      assert.equal((await curl(t, "/apple/mobileconfig?email=ada%40elsewhere.test")).status, 404);
      assert.equal((await curl(t, "/apple/mobileconfig?email=nonsense")).status, 400);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "the MTA-STS policy is served as text/plain with the configured mode, MX and max_age",
  ignore,
  async fn() {
    const t = await startTestServer({
      hostname: "mail.example.org",
      mta_sts: { mode: "enforce", max_age: 86400 },
    });
    try {
      const r = await curl(t, "/.well-known/mta-sts.txt");
      assert.equal(r.status, 200);
      assert.match(r.headers, /content-type: text\/plain/i);
      assert.equal(r.body, "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 86400\r\n");
    } finally {
      await t.close();
    }
  },
});
