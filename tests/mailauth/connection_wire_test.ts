/**
 * Wire tests of the connection checks on the MX listener (`[smtp.checks]`): DNS blocklists and
 * allowlists, reverse DNS with forward confirmation, HELO sanity and greylisting with an injected
 * clock. DNS answers come from the server's static records; replies are read byte-exact with the
 * raw line client.
 */
import assert from "node:assert/strict";
import type { Clock } from "../../core/clock.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Config, SmtpChecksConfig } from "../../core/config/types.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createServer, type TernServer } from "../../protocols/server.ts";
import { LineClient } from "../support/line_client.ts";
import type { ZoneRecord } from "./_support.ts";

type DeepChecks = Partial<SmtpChecksConfig>;

/** Reads one (possibly multi-line) reply, lines joined with "\n". */
async function reply(c: LineClient): Promise<string> {
  const lines: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null) throw new Error(`EOF after ${JSON.stringify(lines)}`);
    lines.push(l);
    if (/^\d{3} /.test(l)) return lines.join("\n");
  }
}

async function cmd(c: LineClient, line: string): Promise<string> {
  await c.line(line);
  return await reply(c);
}

interface Env {
  srv: TernServer;
  port: number;
  close(): Promise<void>;
}

async function start(checks: DeepChecks, records: ZoneRecord[], clock?: Clock): Promise<Env> {
  const dir = await Deno.makeTempDir({ prefix: "tern-mailauth-conn-" });
  const config: Config = testConfig(dir, {
    hostname: "mx.test",
    local_domains: ["example.org"],
    smtp: { checks },
    queue: { static_dns: [{ name: "tern-test.invalid", type: "A", value: "127.0.0.1" }, ...records] },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger, ...(clock ? { clock } : {}) });
  const { store, auth } = srv.context;
  await store.createAccount({
    address: "alice@example.org",
    secrets: await auth.deriveSecrets("pw-alice-1"),
  });
  await srv.start();
  return {
    srv,
    port: srv.addresses.smtp.port,
    async close() {
      await srv.stop({ graceSeconds: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Connects, greets with `helo`, and returns the MAIL FROM reply (the client stays open). */
async function mailFrom(
  env: Env,
  helo: string,
  from = "x@sender.test",
): Promise<{ c: LineClient; reply: string }> {
  const c = await LineClient.connect(env.port);
  await reply(c);
  await cmd(c, `EHLO ${helo}`);
  return { c, reply: await cmd(c, `MAIL FROM:<${from}>`) };
}

const A = (name: string, value: string): ZoneRecord => ({ name, type: "A", value });

Deno.test("connection checks wire: a client listed on a DNS blocklist gets 554 5.7.1 at MAIL FROM", async () => {
  const env = await start({ dnsbl: [{ zone: "bl.test" }] }, [A("1.0.0.127.bl.test", "127.0.0.2")]);
  try {
    const { c, reply: r } = await mailFrom(env, "client.sender.test");
    assert.equal(r, "554 5.7.1 Client host [127.0.0.1] blocked using bl.test");
    // The session goes on: every later transaction is refused the same way.
    assert.equal(await cmd(c, "MAIL FROM:<y@sender.test>"), r);
    assert.match(await cmd(c, "QUIT"), /^221 /);
    c.close();
  } finally {
    await env.close();
  }
});

Deno.test("connection checks wire: blocklist return codes filter listings; an allowlist entry wins over a listing", async () => {
  const records = [A("1.0.0.127.bl.test", "127.0.0.2"), A("1.0.0.127.wl.test", "127.0.10.2")];
  // Only 127.0.0.4 means "listed" for this zone: 127.0.0.2 does not count.
  let env = await start({ dnsbl: [{ zone: "bl.test", codes: ["127.0.0.4"] }] }, records);
  try {
    const { c, reply: r } = await mailFrom(env, "client.sender.test");
    assert.equal(r, "250 2.1.0 Sender ok");
    c.close();
  } finally {
    await env.close();
  }
  env = await start({ dnsbl: [{ zone: "bl.test" }], dnswl: [{ zone: "wl.test" }] }, records);
  try {
    const { c, reply: r } = await mailFrom(env, "client.sender.test");
    assert.equal(r, "250 2.1.0 Sender ok");
    c.close();
  } finally {
    await env.close();
  }
});

Deno.test("connection checks wire: rdns = reject refuses a client without PTR or whose PTR does not resolve back (550 5.7.25)", async () => {
  for (
    const [records, expected] of [
      [[], "550 5.7.25 Client host [127.0.0.1] reverse DNS validation failed: no PTR record"],
      [
        [{ name: "127.0.0.1", type: "PTR", value: "liar.sender.test" }, A("liar.sender.test", "192.0.2.9")],
        "550 5.7.25 Client host [127.0.0.1] reverse DNS validation failed: PTR liar.sender.test does not resolve back to 127.0.0.1",
      ],
      [
        [{ name: "127.0.0.1", type: "PTR", value: "mail.sender.test." }, A("mail.sender.test", "127.0.0.1")],
        "250 2.1.0 Sender ok",
      ],
    ] as [ZoneRecord[], string][]
  ) {
    const env = await start({ rdns: "reject" }, records);
    try {
      const { c, reply: r } = await mailFrom(env, "mail.sender.test");
      assert.equal(r, expected);
      c.close();
    } finally {
      await env.close();
    }
  }
});

Deno.test("connection checks wire: helo = reject refuses our own name and bare words, accepts an FQDN and address literals", async () => {
  const env = await start({ helo: "reject", rdns: "off" }, []);
  try {
    const cases: [string, string][] = [
      ["mx.test", "550 5.7.1 HELO/EHLO name rejected: HELO claims to be us"],
      ["example.org", "550 5.7.1 HELO/EHLO name rejected: HELO claims to be us"],
      ["workstation", "550 5.7.1 HELO/EHLO name rejected: not a fully qualified domain name"],
      ["127.0.0.1", "550 5.7.1 HELO/EHLO name rejected: bare IP address instead of an address literal"],
      ["client.sender.test", "250 2.1.0 Sender ok"],
      ["[127.0.0.1]", "250 2.1.0 Sender ok"],
      // RFC 5321 §4.1.4: a HELO that does not match the client is no reason to refuse.
      ["[192.0.2.77]", "250 2.1.0 Sender ok"],
    ];
    for (const [helo, expected] of cases) {
      const { c, reply: r } = await mailFrom(env, helo);
      assert.equal(r, expected, helo);
      c.close();
    }
  } finally {
    await env.close();
  }
});

Deno.test("connection checks wire: greylisting defers a new triplet with 451 4.7.1 and accepts the retry after the delay (injected clock)", async () => {
  let now = Date.UTC(2026, 11, 6, 12, 0, 0);
  const clock: Clock = { now: () => new Date(now) };
  const env = await start(
    { greylist: true, greylist_delay: 300, greylist_exempt_domains: ["friendly.test"] },
    [],
    clock,
  );
  try {
    const attempt = async (from: string) => {
      const { c, reply: m } = await mailFrom(env, "client.sender.test", from);
      assert.equal(m, "250 2.1.0 Sender ok");
      const r = await cmd(c, "RCPT TO:<alice@example.org>");
      if (r.startsWith("250")) {
        assert.match(await cmd(c, "DATA"), /^354 /);
        await c.send(`From: ${from}\r\nSubject: grey\r\n\r\nhello\r\n.\r\n`);
        assert.match(await reply(c), /^250 /);
      }
      await cmd(c, "QUIT");
      c.close();
      return r;
    };
    assert.equal(await attempt("x@sender.test"), "451 4.7.1 Greylisted, please try again in 300 seconds");
    now += 120_000;
    assert.equal(await attempt("x@sender.test"), "451 4.7.1 Greylisted, please try again in 180 seconds");
    now += 181_000;
    assert.equal(await attempt("x@sender.test"), "250 2.1.5 Recipient ok");
    // Known now: passes at once; another sender is a new triplet; an exempt domain never waits.
    assert.equal(await attempt("x@sender.test"), "250 2.1.5 Recipient ok");
    assert.match(await attempt("other@sender.test"), /^451 4\.7\.1 /);
    assert.equal(await attempt("y@friendly.test"), "250 2.1.5 Recipient ok");
  } finally {
    await env.close();
  }
});
