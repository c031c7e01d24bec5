/**
 * Support for the adversarial suite and the wire fuzzer (not a test file): a real server on
 * 127.0.0.1 port 0 with its JSON log in a file, two accounts (alice@ and bob@example.org), attack
 * friendly policy settings (no throttle delays, bans or rate limits, so one test's many failures
 * do not change the next probe's answer), and the checks every probe ends with: the server still
 * serves a normal client on SMTP, IMAP, POP3 and JMAP, and logged nothing at error level.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { deepMerge, type DeepPartial } from "../../core/config/test_config.ts";
import type { Config, ListenerName } from "../../core/config/types.ts";
import type { Account } from "../../core/store/types.ts";
import { logLines, startTestServer, type TestServer } from "../runtime/_server_helpers.ts";
import { LineClient } from "../support/line_client.ts";

/** Passwords of the two accounts. */
export const PASSWORDS = { alice: "alice-Pw-1", bob: "bob-Pw-2" } as const;

/** A running server with two accounts. */
export interface AttackEnv {
  t: TestServer;
  alice: Account;
  bob: Account;
  /** The bound port of a listener. */
  port(name: ListenerName): number;
  /** Basic authorization header value for an account. */
  basic(who: "alice" | "bob"): string;
  /** Base URL of the HTTP (JMAP) listener. */
  http: string;
  /** Log lines at error level or above so far. */
  errorLogs(): Promise<Record<string, unknown>[]>;
  /** Asserts a normal client is served on every protocol and no error was logged. */
  assertHealthy(): Promise<void>;
  close(): Promise<void>;
}

/** Settings that keep one probe's failures from throttling or banning the next probe. */
export const ATTACK_SETTINGS: DeepPartial<Config> = {
  auth: { throttle_free_failures: 1000, throttle_base_delay_ms: 0, lockout_failures: 100_000 },
  policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0, ban_failures: 0 },
  smtp: { rate_limit_per_minute: 0 },
};

/** Starts the server (log level warning, so the file holds problems only) and adds the accounts. */
export async function startAttackEnv(overrides: DeepPartial<Config> = {}): Promise<AttackEnv> {
  const dir = await Deno.makeTempDir({ prefix: "tern-attack-" });
  const settings = deepMerge<DeepPartial<Config>>(structuredClone(ATTACK_SETTINGS), {
    local_domains: ["example.org"],
    hostname: "mx.example.org",
    log: { level: "warning", output: join(dir, "tern.log") },
  });
  const t = await startTestServer(deepMerge(settings, overrides), undefined, dir);
  const { store, auth } = t.srv.context;
  const alice = await store.createAccount({
    address: "alice@example.org",
    secrets: await auth.deriveSecrets(PASSWORDS.alice),
  });
  const bob = await store.createAccount({
    address: "bob@example.org",
    secrets: await auth.deriveSecrets(PASSWORDS.bob),
  });
  const port = (name: ListenerName) => t.srv.addresses[name].port;
  const env: AttackEnv = {
    t,
    alice,
    bob,
    port,
    http: `http://127.0.0.1:${port("http")}`,
    basic: (who) => "Basic " + btoa(`${who}@example.org:${PASSWORDS[who]}`),
    async errorLogs() {
      const lines = await logLines(t.logPath).catch(() => []);
      return lines.filter((l) => l.level === "error" || l.level === "fatal");
    },
    async assertHealthy() {
      await assertServesSmtp(port("smtp"));
      await assertServesImap(port("imap"));
      await assertServesPop3(port("pop3"));
      await assertServesJmap(env.http, env.basic("alice"));
      assert.deepEqual(await env.errorLogs(), [], "no error-level log line");
    },
    async close() {
      await t.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return env;
}

/** Reads an SMTP reply (all its lines); returns the lines. */
export async function smtpReply(c: LineClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null) throw new Error(`EOF in SMTP reply after ${JSON.stringify(out)}`);
    out.push(l);
    if (/^\d{3} /.test(l) || l.length === 3) return out;
  }
}

/** Sends an SMTP command and returns the last line of its reply. */
export async function smtpCmd(c: LineClient, line: string): Promise<string> {
  await c.line(line);
  return (await smtpReply(c)).at(-1)!;
}

/** A normal SMTP transaction to a local user succeeds (greeting, EHLO, MAIL, RCPT, DATA, QUIT). */
export async function assertServesSmtp(port: number): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    assert.match((await smtpReply(c)).at(-1)!, /^220 /);
    assert.match(await smtpCmd(c, "EHLO client.example.net"), /^250 /);
    assert.match(await smtpCmd(c, "MAIL FROM:<probe@example.net>"), /^250 /);
    assert.match(await smtpCmd(c, "RCPT TO:<alice@example.org>"), /^250 /);
    assert.match(await smtpCmd(c, "DATA"), /^354 /);
    assert.match(
      await smtpCmd(c, "Subject: health\r\nMessage-ID: <health@example.net>\r\n\r\nstill here\r\n."),
      /^250 /,
    );
    assert.match(await smtpCmd(c, "QUIT"), /^221 /);
  } finally {
    c.close();
  }
}

/** IMAP LOGIN + SELECT + NOOP + LOGOUT as alice succeed. */
export async function assertServesImap(port: number): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    assert.match((await c.read()) ?? "", /^\* OK /);
    await c.line(`h1 LOGIN alice@example.org ${PASSWORDS.alice}`);
    assert.match((await readTagged(c, "h1")).at(-1)!, /^h1 OK /);
    await c.line("h2 SELECT INBOX");
    assert.match((await readTagged(c, "h2")).at(-1)!, /^h2 OK /);
    await c.line("h3 NOOP");
    assert.match((await readTagged(c, "h3")).at(-1)!, /^h3 OK /);
    await c.line("h4 LOGOUT");
    assert.match((await readTagged(c, "h4")).at(-1)!, /^h4 OK /);
  } finally {
    c.close();
  }
}

/** POP3 USER/PASS + STAT + QUIT as bob succeed. */
export async function assertServesPop3(port: number): Promise<void> {
  const c = await LineClient.connect(port);
  try {
    assert.match((await c.read()) ?? "", /^\+OK/);
    await c.line("USER bob@example.org");
    assert.match((await c.read()) ?? "", /^\+OK/);
    await c.line(`PASS ${PASSWORDS.bob}`);
    assert.match((await c.read()) ?? "", /^\+OK/);
    await c.line("STAT");
    assert.match((await c.read()) ?? "", /^\+OK \d+ \d+$/);
    await c.line("QUIT");
    assert.match((await c.read()) ?? "", /^\+OK/);
  } finally {
    c.close();
  }
}

/** The JMAP session resource and a Mailbox/get are served. */
export async function assertServesJmap(base: string, authorization: string): Promise<void> {
  const s = await fetch(`${base}/jmap/session`, { headers: { authorization } });
  assert.equal(s.status, 200);
  const session = await s.json() as { primaryAccounts: Record<string, string> };
  const accountId = session.primaryAccounts["urn:ietf:params:jmap:mail"]!;
  const r = await fetch(`${base}/jmap/api`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({
      using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
      methodCalls: [["Mailbox/get", { accountId, ids: null }, "0"]],
    }),
  });
  assert.equal(r.status, 200);
  const body = await r.json() as { methodResponses: [string, unknown, string][] };
  assert.equal(body.methodResponses[0]![0], "Mailbox/get");
}

/** Reads lines through the tagged reply of `tag`. */
export async function readTagged(c: LineClient, tag: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null) throw new Error(`EOF before ${tag} reply; got ${JSON.stringify(out)}`);
    out.push(l);
    if (l.startsWith(tag + " ")) return out;
  }
}
