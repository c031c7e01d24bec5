import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "./errors.ts";
import { loadConfig, parseConfig } from "./load.ts";
import { defaultConfig } from "./defaults.ts";

function errorOf(text: string, file = "/etc/tern/tern.toml"): ConfigError {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("parseConfig returns the defaults for an empty file, paths resolved", () => {
  const config = parseConfig("", "/etc/tern/tern.toml");
  const expected = defaultConfig();
  expected.data_dir = "/etc/tern/data";
  assert.deepEqual(config, expected);
});

Deno.test("parseConfig merges a listener table over its defaults", () => {
  const config = parseConfig('[listeners.imap]\nport = 143\naddress = "::"\n', "tern.toml");
  assert.equal(config.listeners.imap.port, 143);
  assert.equal(config.listeners.imap.address, "::");
  assert.equal(config.listeners.imap.tls, "starttls");
  assert.equal(config.listeners.imaps.port, 2993);
});

Deno.test("parseConfig accepts dotted keys and inline tables", () => {
  const config = parseConfig(
    'smtp.max_recipients = 500\nlisteners.http = { port = 8443, tls = "implicit" }\n',
    "tern.toml",
  );
  assert.equal(config.smtp.max_recipients, 500);
  assert.equal(config.listeners.http.port, 8443);
  assert.equal(config.listeners.http.tls, "implicit");
});

Deno.test("parseConfig resolves relative paths against the file's directory", () => {
  const config = parseConfig(
    'data_dir = "var"\n[tls]\ncert = "certs/c.pem"\nkey = "/abs/k.pem"\n[log]\noutput = "log/tern.log"\n',
    "/srv/tern/tern.toml",
  );
  assert.equal(config.data_dir, "/srv/tern/var");
  assert.equal(config.tls.cert, "/srv/tern/certs/c.pem");
  assert.equal(config.tls.key, "/abs/k.pem");
  assert.equal(config.log.output, "/srv/tern/log/tern.log");
});

Deno.test("parseConfig keeps log output stderr as is", () => {
  assert.equal(parseConfig('[log]\noutput = "stderr"\n', "/x/tern.toml").log.output, "stderr");
});

Deno.test("parseConfig reports a TOML syntax error with line and column", () => {
  const e = errorOf('hostname = "a"\n\n[smtp]\nmax_recipients = = 3\n');
  assert.equal(e.issues[0]?.line, 4);
  assert.match(e.message, /^\/etc\/tern\/tern\.toml:4:\d+: TOML syntax error/);
});

Deno.test("parseConfig reports an unknown key with its line, path and a suggestion", () => {
  const e = errorOf("[smtp]\nmax_recipients = 10\nmax_mesage_size = 1000\n");
  assert.equal(e.issues.length, 1);
  assert.match(e.message, /^\/etc\/tern\/tern\.toml:3: smtp\.max_mesage_size: unknown key/);
  assert.match(e.message, /did you mean "max_message_size"\?/);
});

Deno.test("parseConfig reports an unknown top-level section", () => {
  const e = errorOf('hostname = "a.example"\n[smpt]\nx = 1\n');
  assert.match(e.message, /:2: smpt: unknown key .*did you mean "smtp"/);
});

Deno.test("parseConfig reports an unknown listener name", () => {
  const e = errorOf("[listeners.imap4]\nport = 143\n");
  assert.match(e.message, /:1: listeners\.imap4: unknown listener \(expected one of: smtp, submission/);
});

Deno.test("parseConfig reports a wrong type with what was expected", () => {
  const e = errorOf('[listeners.imap]\nenabled = true\nport = "143"\n');
  assert.match(e.message, /:3: listeners\.imap\.port: expected an integer from 0 to 65535, got "143"/);
});

Deno.test("parseConfig reports a port out of range", () => {
  const e = errorOf("[listeners.imap]\nport = 70000\n");
  assert.match(e.message, /:2: listeners\.imap\.port: expected an integer from 0 to 65535, got 70000/);
});

Deno.test("parseConfig rejects floats where integers are expected", () => {
  const e = errorOf("shutdown_grace = 1.5\n");
  assert.match(e.message, /:1: shutdown_grace: expected an integer from 0 to 3600, got the float 1.5/);
});

Deno.test("parseConfig reports a bad enum value", () => {
  const e = errorOf('[listeners.smtp]\ntls = "ssl"\n');
  assert.match(
    e.message,
    /:2: listeners\.smtp\.tls: expected one of "none", "starttls", "implicit", got "ssl"/,
  );
});

Deno.test("parseConfig reports a bad CIDR on the element's own line", () => {
  const e = errorOf('[smtp]\nrelay_networks = [\n  "10.0.0.0/8",\n  "10.0.0.0/33",\n  "fe80::1",\n]\n');
  assert.equal(e.issues.length, 2);
  assert.match(e.issues[0]?.message ?? "", /prefix length from 0 to 32/);
  assert.equal(e.issues[0]?.line, 4);
  assert.equal(e.issues[0]?.keyPath, "smtp.relay_networks[1]");
  assert.equal(e.issues[1]?.line, 5);
  assert.match(e.issues[1]?.message ?? "", /expected a CIDR block/);
});

Deno.test("parseConfig reports a bad bind address, host name, origin and address", () => {
  const e = errorOf(
    [
      'hostname = "mail_server"',
      'local_domains = ["example.com", "bad domain"]',
      "[listeners.imap]",
      'address = "1.2.3"',
      "[jmap]",
      'cors_origins = ["https://a.example/path"]',
      "[smtp]",
      'sender_any_accounts = ["nobody"]',
    ].join("\n"),
  );
  assert.deepEqual(e.issues.map((i) => [i.line, i.keyPath]), [
    [1, "hostname"],
    [2, "local_domains[1]"],
    [4, "listeners.imap.address"],
    [6, "jmap.cors_origins[0]"],
    [8, "smtp.sender_any_accounts[0]"],
  ]);
});

Deno.test("parseConfig reports a table given where a value is expected and vice versa", () => {
  const e = errorOf("listeners = 3\n[hostname]\nx = 1\n");
  assert.match(e.message, /:2: hostname: expected a host name \(a string\), got a table/);
  assert.match(e.message, /:1: listeners: expected a table, got 3/);
});

Deno.test("parseConfig reports a certificate without its key", () => {
  const e = errorOf('[listeners.imaps]\ncert = "c.pem"\n');
  assert.match(e.message, /:2: listeners\.imaps\.cert: key must be set too/);
});

Deno.test("parseConfig reports two listeners on the same port", () => {
  const e = errorOf("[listeners.imap]\nport = 2525\n");
  assert.match(e.message, /:2: listeners\.imap\.port: port 2525 is already used by listener "smtp"/);
});

Deno.test("parseConfig allows the same port on a disabled listener", () => {
  const config = parseConfig("[listeners.imap]\nport = 2525\nenabled = false\n", "tern.toml");
  assert.equal(config.listeners.imap.enabled, false);
});

Deno.test("parseConfig rejects STARTTLS on the HTTP listener", () => {
  const e = errorOf('[listeners.http]\ntls = "starttls"\n');
  assert.match(e.message, /:2: listeners\.http\.tls: expected "none" or "implicit"/);
});

Deno.test("parseConfig reports every issue, sorted by line", () => {
  const e = errorOf("[pop3]\nidle_timeout = 0\n[imap]\nidle_timeout = -5\nfoo = 1\n");
  assert.deepEqual(e.issues.map((i) => i.line), [2, 4, 5]);
  assert.equal(e.message.split("\n").length, 3);
});

Deno.test("parseConfig lowercases domains and drops duplicates", () => {
  const config = parseConfig('local_domains = ["Example.COM", "example.com"]\n', "tern.toml");
  assert.deepEqual(config.local_domains, ["example.com"]);
});

Deno.test("loadConfig returns the defaults without a path", async () => {
  assert.deepEqual(await loadConfig(), defaultConfig());
});

Deno.test("loadConfig reads a file and reports a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "tern.toml");
    await Deno.writeTextFile(file, "[listeners.smtp]\nport = 25\n");
    const config = await loadConfig(file);
    assert.equal(config.listeners.smtp.port, 25);
    assert.equal(config.data_dir, join(dir, "data"));
    await assert.rejects(() => loadConfig(join(dir, "missing.toml")), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /missing\.toml: file not found/);
      return true;
    });
    await assert.rejects(() => loadConfig(dir), /not a regular file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig accepts trusted services and resolves client_ca", () => {
  const config = parseConfig(
    [
      "[jmap]",
      'client_ca = "ca.pem"',
      "[[jmap.trusted_services]]",
      'name = "webmail"',
      `hmac_secret = "${"s".repeat(32)}"`,
      "[[jmap.trusted_services]]",
      'name = "gateway"',
      'client_cert_subject = "CN=gw.example.com"',
    ].join("\n"),
    "/etc/tern/tern.toml",
  );
  assert.equal(config.jmap.client_ca, "/etc/tern/ca.pem");
  assert.deepEqual(config.jmap.trusted_services?.map((s) => s.name), ["webmail", "gateway"]);
});

Deno.test("parseConfig reports trusted service errors on the element's lines", () => {
  const e = errorOf(
    [
      "[[jmap.trusted_services]]", // 1
      'name = "webmail"',
      'hmac_secret = "short"', // 3
      "[[jmap.trusted_services]]", // 4
      'nmae = "x"', // 5
      "[[jmap.trusted_services]]", // 6
      'name = "gw"',
      'client_cert_subject = "CN=gw"', // 8
    ].join("\n"),
  );
  assert.deepEqual(e.issues.map((i) => [i.line, i.keyPath]), [
    [3, "jmap.trusted_services[0].hmac_secret"],
    [4, "jmap.trusted_services[1].name"],
    [5, "jmap.trusted_services[1].nmae"],
  ]);
  assert.match(e.issues[1]?.message ?? "", /missing/);
  // Cross-key rules run once the values themselves are valid.
  const cross = errorOf('[[jmap.trusted_services]]\nname = "gw"\nclient_cert_subject = "CN=gw"\n');
  assert.match(cross.message, /:3: jmap\.trusted_services\[0\]\.client_cert_subject: needs jmap\.client_ca/);
});
