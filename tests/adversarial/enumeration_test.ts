/**
 * No user enumeration: an unknown user and a known user with a wrong password get byte-identical
 * replies in SMTP AUTH (PLAIN, LOGIN), IMAP LOGIN and AUTHENTICATE PLAIN, POP3 USER/PASS and JMAP
 * Basic authentication; SCRAM hands an unknown user a server-first message of the same shape
 * (a salt stable per name, the same iteration count) as a real one.
 *
 * Timing is not asserted (no timed assertions). Instead: both failures go through the same path
 * to the end, visible here as identical failed-login log lines (reason "invalid", apart from the
 * attempted name), and at unit level core/auth/authenticator_test.ts asserts that the credential
 * check runs (given null) for an unknown user and core/auth/password_test.ts that it then verifies
 * a dummy scrypt hash, so the expensive work is the same.
 *
 * RCPT to an unknown local user is refused with 550 5.1.1 on purpose: an MX
 * must not accept mail it cannot deliver (RFC 5321 §3.3; accepting and bouncing would make
 * backscatter), so that reply is documented here, not hidden.
 */
import assert from "node:assert/strict";
import { type AttackEnv, readTagged, smtpCmd, smtpReply, startAttackEnv } from "./_env.ts";
import { LineClient, python } from "../support/line_client.ts";
import { logLines } from "../runtime/_server_helpers.ts";

const KNOWN = "alice@example.org";
const UNKNOWN = "nobody@example.org";
const WRONG = "not-the-password";

/** The failed-login lines of the log (info level), without the per-attempt fields. */
async function failureLines(env: AttackEnv): Promise<string[]> {
  const lines = await logLines(env.t.logPath);
  return lines.filter((l) => /^(authentication|\w+ login) failed$/.test(String(l.message))).map((l) => {
    assert.doesNotMatch(JSON.stringify(l), new RegExp(WRONG), "no password in the log");
    const { timestamp: _t, session_id: _s, username: _u, ...rest } = l;
    return JSON.stringify(rest);
  });
}

/** Runs `attempt` for the unknown and the known user; asserts identical replies and log lines. */
async function sameForBoth(env: AttackEnv, attempt: (user: string) => Promise<string[]>): Promise<string[]> {
  const before = (await failureLines(env)).length;
  const unknown = await attempt(UNKNOWN);
  const afterUnknown = (await failureLines(env)).slice(before);
  const known = await attempt(KNOWN);
  const afterKnown = (await failureLines(env)).slice(before + afterUnknown.length);
  assert.deepEqual(unknown, known);
  assert.equal(afterUnknown.length, 1, "one failure logged");
  assert.deepEqual(afterUnknown, afterKnown);
  assert.doesNotMatch(
    afterUnknown[0]!,
    /nobody|alice|not-the-password/,
    "no name or password in the log line",
  );
  return unknown;
}

Deno.test("enumeration: SMTP AUTH PLAIN and LOGIN answer an unknown user exactly as a wrong password", async () => {
  const env = await startAttackEnv({ log: { level: "info" } });
  try {
    const plain = await sameForBoth(env, async (user) => {
      const c = await LineClient.connect(env.port("submission"));
      try {
        await smtpReply(c);
        await smtpCmd(c, "EHLO probe.example.net");
        return [await smtpCmd(c, `AUTH PLAIN ${btoa(`\0${user}\0${WRONG}`)}`)];
      } finally {
        c.close();
      }
    });
    assert.deepEqual(plain, ["535 5.7.8 Authentication credentials invalid"]);
    const login = await sameForBoth(env, async (user) => {
      const c = await LineClient.connect(env.port("submission"));
      try {
        await smtpReply(c);
        await smtpCmd(c, "EHLO probe.example.net");
        return [
          await smtpCmd(c, "AUTH LOGIN"),
          await smtpCmd(c, btoa(user)),
          await smtpCmd(c, btoa(WRONG)),
        ];
      } finally {
        c.close();
      }
    });
    assert.equal(login.at(-1), "535 5.7.8 Authentication credentials invalid");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("enumeration: IMAP LOGIN and AUTHENTICATE PLAIN answer an unknown user exactly as a wrong password", async () => {
  const env = await startAttackEnv({ log: { level: "info" } });
  try {
    for (const command of ["LOGIN", "AUTHENTICATE"]) {
      const reply = await sameForBoth(env, async (user) => {
        const c = await LineClient.connect(env.port("imap"));
        try {
          await c.read();
          await c.line(
            command === "LOGIN"
              ? `a LOGIN "${user}" "${WRONG}"`
              : `a AUTHENTICATE PLAIN ${btoa(`\0${user}\0${WRONG}`)}`,
          );
          return await readTagged(c, "a");
        } finally {
          c.close();
        }
      });
      assert.deepEqual(reply, ["a NO [AUTHENTICATIONFAILED] Authentication failed"]);
    }
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("enumeration: POP3 USER accepts any name and PASS answers an unknown user exactly as a wrong password", async () => {
  const env = await startAttackEnv({ log: { level: "info" } });
  try {
    const reply = await sameForBoth(env, async (user) => {
      const c = await LineClient.connect(env.port("pop3"));
      try {
        await c.read();
        await c.line(`USER ${user}`);
        const u = (await c.read())!;
        await c.line(`PASS ${WRONG}`);
        return [u, (await c.read())!];
      } finally {
        c.close();
      }
    });
    assert.deepEqual(reply, ["+OK Send your password", "-ERR [AUTH] Authentication failed"]);
    // The same through poplib.
    const out = await python(
      `
import poplib, sys
for user in sys.argv[2:]:
    p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=30)
    ok = p.user(user)
    try:
        p.pass_("${WRONG}")
        print("logged in")
    except poplib.error_proto as e:
        print(ok, e)
    p.quit()
`,
      [String(env.port("pop3")), UNKNOWN, KNOWN],
    );
    assert.deepEqual(out.trim().split("\n"), [
      "b'+OK Send your password' b'-ERR [AUTH] Authentication failed'",
      "b'+OK Send your password' b'-ERR [AUTH] Authentication failed'",
    ]);
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("enumeration: JMAP Basic answers an unknown user exactly as a wrong password", async () => {
  const env = await startAttackEnv({ log: { level: "info" } });
  try {
    const reply = await sameForBoth(env, async (user) => {
      const r = await fetch(`${env.http}/jmap/session`, {
        headers: { authorization: "Basic " + btoa(`${user}:${WRONG}`) },
      });
      return [String(r.status), r.headers.get("www-authenticate") ?? "", await r.text()];
    });
    assert.equal(reply[0], "401");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("enumeration: SCRAM-SHA-256 gives an unknown user a stable salt and the same iteration count", async () => {
  const env = await startAttackEnv({ log: { level: "info" } });
  try {
    const serverFirst = async (user: string): Promise<Map<string, string>> => {
      const c = await LineClient.connect(env.port("imap"));
      try {
        await c.read();
        await c.line(`a AUTHENTICATE SCRAM-SHA-256 ${btoa(`n,,n=${user},r=clientnonce123`)}`);
        const line = (await c.read())!;
        assert.match(line, /^\+ /);
        const text = atob(line.slice(2));
        await c.line("*");
        assert.match((await readTagged(c, "a")).at(-1)!, /^a BAD /);
        return new Map(text.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)]));
      } finally {
        c.close();
      }
    };
    const known = await serverFirst(KNOWN);
    const unknown1 = await serverFirst(UNKNOWN);
    const unknown2 = await serverFirst(UNKNOWN);
    assert.deepEqual([...unknown1.keys()], [...known.keys()]);
    assert.equal(unknown1.get("i"), known.get("i"));
    assert.equal(atob(unknown1.get("s")!).length, atob(known.get("s")!).length);
    // A salt that changed per attempt would give the unknown name away.
    assert.equal(unknown1.get("s"), unknown2.get("s"));
    assert.notEqual(unknown1.get("r"), unknown2.get("r"));
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("enumeration: RCPT to an unknown local user is refused with 550 5.1.1 (by design, an MX must not backscatter)", async () => {
  const env = await startAttackEnv({ log: { level: "info" } });
  const c = await LineClient.connect(env.port("smtp"));
  try {
    await smtpReply(c);
    await smtpCmd(c, "EHLO probe.example.net");
    await smtpCmd(c, "MAIL FROM:<probe@example.net>");
    assert.equal(await smtpCmd(c, `RCPT TO:<${UNKNOWN}>`), "550 5.1.1 No such user here");
    assert.equal(await smtpCmd(c, `RCPT TO:<${KNOWN}>`), "250 2.1.5 Recipient ok");
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});
