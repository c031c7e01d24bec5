/**
 * Defect 3 of the hardening issue: `allow_plaintext_auth = false` on the HTTP listener was ignored,
 * and Basic credentials were accepted over plain HTTP. With it false, a password or token sent
 * without TLS is refused (403 problem JSON) before it is checked; with it true (the development
 * default on loopback) nothing changes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertServesImap, assertServesPop3, assertServesSmtp, PASSWORDS, startAttackEnv } from "./_env.ts";
import { createToken } from "../../core/jmap/tokens.ts";

async function curl(args: string[]): Promise<{ head: string; body: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "-D", "-", ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const [head, body] = new TextDecoder().decode(out.stdout).split("\r\n\r\n", 2) as [string, string];
  return { head, body };
}

function assertRefused(r: { head: string; body: string }): void {
  assert.match(r.head, /^HTTP\/1\.1 403 /);
  assert.match(r.head, /\r\ncontent-type: application\/problem\+json/i);
  const problem = JSON.parse(r.body);
  assert.equal(problem.status, 403);
  assert.match(problem.detail, /TLS/);
}

Deno.test("defect: allow_plaintext_auth = false refuses Basic and Bearer over plain HTTP with 403", async () => {
  const env = await startAttackEnv({ listeners: { http: { allow_plaintext_auth: false } } });
  try {
    const session = `${env.http}/jmap/session`;
    // The right password is refused as well as a wrong one: nothing is checked without TLS.
    assertRefused(await curl(["-u", `alice@example.org:${PASSWORDS.alice}`, session]));
    assertRefused(await curl(["-u", "alice@example.org:wrong", session]));
    const { token } = await createToken(env.t.srv.context.store, "alice@example.org", "t");
    assertRefused(await curl(["-H", `Authorization: Bearer ${token}`, session]));
    assertRefused(
      await curl([`${env.http}/jmap/eventsource?types=*&closeafter=state&ping=0&access_token=${token}`]),
    );
    // No credentials: still the 401 challenge.
    const anon = await curl([session]);
    assert.match(anon.head, /^HTTP\/1\.1 401 /);
    // Refusals are not failed logins: no throttling, no ban.
    assert.deepEqual(await env.t.srv.context.policy!.bans.list(new Date()), []);
    const health = await curl([`${env.http}/health`]);
    assert.match(health.head, /^HTTP\/1\.1 200 /);
    await assertServesSmtp(env.port("smtp"));
    await assertServesImap(env.port("imap"));
    await assertServesPop3(env.port("pop3"));
    assert.deepEqual(await env.errorLogs(), []);
  } finally {
    await env.close();
  }
});

Deno.test("defect: the http listener's default allows Basic over plain HTTP (task start on loopback)", async () => {
  const { defaultConfig } = await import("../../core/config/defaults.ts");
  assert.equal(defaultConfig().listeners.http.allow_plaintext_auth, true);
  assert.equal(defaultConfig().listeners.http.tls, "none");
  const env = await startAttackEnv({ listeners: { http: { allow_plaintext_auth: true } } });
  try {
    const ok = await curl(["-u", `alice@example.org:${PASSWORDS.alice}`, `${env.http}/jmap/session`]);
    assert.match(ok.head, /^HTTP\/1\.1 200 /);
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
