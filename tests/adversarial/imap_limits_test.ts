/**
 * IMAP limits, each probed on both sides (just inside is served, just over is refused) and each
 * followed by proof that the session and the server go on: literals (RFC 9051 §7.1 [TOOBIG] for
 * synchronizing and non-synchronizing ones, the skipped literal bytes never run as commands), the
 * command line length (`imap.max_line_length`, CRLF excluded) and parenthesis nesting (32 levels).
 * tests/imap/limits_test.ts covers the replies for garbage; this file the boundaries.
 */
import assert from "node:assert/strict";
import { type AttackEnv, PASSWORDS, readTagged, startAttackEnv } from "./_env.ts";
import { LineClient, python } from "../support/line_client.ts";

const LIMITS = { imap: { max_literal_size: 1000, max_line_length: 2000 } };

async function session(env: AttackEnv): Promise<LineClient> {
  const c = await LineClient.connect(env.port("imap"));
  await c.read();
  await c.line(`l LOGIN alice@example.org ${PASSWORDS.alice}`);
  assert.match((await readTagged(c, "l")).at(-1)!, /^l OK /);
  await c.line("s SELECT INBOX");
  assert.match((await readTagged(c, "s")).at(-1)!, /^s OK /);
  return c;
}

async function tagged(c: LineClient, tag: string, command: string): Promise<string> {
  await c.line(`${tag} ${command}`);
  return (await readTagged(c, tag)).at(-1)!;
}

Deno.test("IMAP literal limit: imaplib APPENDs max_literal_size octets, one more is NO [TOOBIG]", async () => {
  const env = await startAttackEnv(LIMITS);
  try {
    const out = await python(
      `
import imaplib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=30)
M.login("alice@example.org", sys.argv[2])
head = b"Subject: limit\\r\\n\\r\\n"
for size in (1000, 1001):
    try:
        typ, data = M.append("INBOX", None, None, head + b"x" * (size - len(head)))
        print(size, typ, data[0].decode())
    except imaplib.IMAP4.error as e:
        print(size, str(e))
print(M.noop()[0])
M.logout()
`,
      [String(env.port("imap")), PASSWORDS.alice],
    );
    assert.match(
      out.trim(),
      /^1000 OK \[APPENDUID \d+ \d+\] APPEND completed\n1001 NO \[TOOBIG\] Literal too large\nOK$/,
    );
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("IMAP literal limit: a too large non-synchronizing literal is refused and its bytes are skipped, not run", async () => {
  const env = await startAttackEnv(LIMITS);
  const c = await session(env);
  try {
    // The literal's bytes look like a command; they must be discarded, not executed.
    const smuggled = "x CREATE Smuggled\r\n".padEnd(1001, "z");
    await c.send(`a APPEND INBOX {1001+}\r\n${smuggled}\r\n`);
    assert.deepEqual(await readTagged(c, "a"), ["a NO [TOOBIG] Literal too large"]);
    assert.equal(await tagged(c, "n", "NOOP"), "n OK NOOP completed");
    assert.equal(
      await tagged(c, "t", "STATUS Smuggled (MESSAGES)"),
      "t NO [NONEXISTENT] Mailbox does not exist",
    );
    await c.send(`b APPEND INBOX {1000+}\r\n${"Subject: ok\r\n\r\n".padEnd(1000, "y")}\r\n`);
    assert.match((await readTagged(c, "b")).at(-1)!, /^b OK \[APPENDUID \d+ \d+\] /);
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});

Deno.test("IMAP line limit: max_line_length octets are parsed, one more is BAD [TOOBIG]", async () => {
  const env = await startAttackEnv(LIMITS);
  const c = await session(env);
  try {
    const line = (n: number) => `SEARCH SUBJECT "${"x".repeat(n - `q SEARCH SUBJECT ""`.length)}"`;
    assert.equal(`q ${line(2000)}`.length, 2000);
    assert.equal(await tagged(c, "q", line(2000)), "q OK SEARCH completed");
    assert.equal(await tagged(c, "q", line(2001)), "q BAD [TOOBIG] Command line too long");
    assert.equal(await tagged(c, "q", line(200_000)), "q BAD [TOOBIG] Command line too long");
    assert.equal(await tagged(c, "n", "NOOP"), "n OK NOOP completed");
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});

Deno.test("IMAP nesting limit: 32 levels of parentheses are parsed, 33 are BAD [LIMIT]", async () => {
  const env = await startAttackEnv(LIMITS);
  const c = await session(env);
  try {
    const nested = (n: number) => `SEARCH ${"(".repeat(n)}ALL${")".repeat(n)}`;
    assert.equal(await tagged(c, "q", nested(32)), "q OK SEARCH completed");
    assert.equal(await tagged(c, "q", nested(33)), "q BAD [LIMIT] Lists nested too deeply");
    assert.equal(await tagged(c, "q", nested(900)), "q BAD [LIMIT] Lists nested too deeply");
    assert.equal(
      await tagged(c, "f", `FETCH 1:* (${"(".repeat(33)}FLAGS${")".repeat(33)})`),
      "f BAD [LIMIT] Lists nested too deeply",
    );
    assert.equal(await tagged(c, "n", "NOOP"), "n OK NOOP completed");
    await env.assertHealthy();
  } finally {
    c.close();
    await env.close();
  }
});
