/**
 * Defect 7 of the hardening issue: with the default settings the cross-protocol ban could never
 * trigger. The per-IP lockout (auth.lockout_failures = 10) refused attempts as "throttled" before
 * policy.ban_failures = 20 was reached, and refused attempts were not counted: 93 failed logins
 * from one IP left `tern ban list` empty. Refused attempts now count towards the ban.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultConfig } from "../../core/config/defaults.ts";
import { assertServesSmtp, readTagged, startAttackEnv } from "./_env.ts";
import { LineClient } from "../support/line_client.ts";
import { tern } from "../cli/_tern.ts";

Deno.test("defect: with the default auth and policy settings, repeated IMAP login failures ban the IP", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "tern-ban-defaults-" });
  const defaults = defaultConfig();
  // The shipped defaults, not the attack suite's relaxed ones.
  const env = await startAttackEnv({
    data_dir: join(cwd, "data"),
    auth: defaults.auth,
    policy: defaults.policy,
  });
  try {
    assert.equal(env.t.config.policy.ban_failures, 20);
    assert.equal(env.t.config.auth.lockout_failures, 10);
    const c = await LineClient.connect(env.port("imap"));
    assert.match((await c.read())!, /^\* OK /);
    const answers: string[] = [];
    for (let i = 1; i <= defaults.policy.ban_failures; i++) {
      await c.line(`a${i} LOGIN alice@example.org wrong-${i}`);
      answers.push((await readTagged(c, `a${i}`)).at(-1)!);
    }
    c.close();
    // Bad credentials first, then refusals while throttled: both are failed logins.
    assert.match(answers[0]!, /^a1 NO \[AUTHENTICATIONFAILED\] /);
    assert.ok(
      answers.every((a) => /^a\d+ NO \[(AUTHENTICATIONFAILED|UNAVAILABLE)\] /.test(a)),
      answers.join("\n"),
    );
    assert.ok(answers.some((a) => a.includes("[UNAVAILABLE]")), "the lockout refused some attempts");

    // The ban is in the database, where `tern ban list` sees it.
    const listed = await tern(cwd, ["ban", "list", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const bans = JSON.parse(listed.stdout) as { address: string }[];
    assert.deepEqual(bans.map((b) => b.address), ["127.0.0.1"]);

    // The next connection, on any protocol, is refused with the protocol's own refusal.
    const next = await LineClient.connect(env.port("imap"));
    assert.equal(await next.read(), "* BYE Too many authentication failures; try again later");
    assert.equal(await next.read(), null);
    next.close();
    const pop = await LineClient.connect(env.port("pop3"));
    assert.equal(await pop.read(), "-ERR Too many authentication failures; try again later");
    pop.close();

    // Cleared by the operator, the address is served again. (Whether a login succeeds now depends on
    // how much of the auth throttle's delay or lockout is left, so only the session is checked.)
    const cleared = await tern(cwd, ["ban", "clear", "127.0.0.1"]);
    assert.equal(cleared.code, 0, cleared.stderr);
    const again = await LineClient.connect(env.port("imap"));
    assert.match((await again.read())!, /^\* OK /);
    await again.line("b1 CAPABILITY");
    assert.match((await readTagged(again, "b1")).at(-1)!, /^b1 OK /);
    again.close();
    await assertServesSmtp(env.port("smtp"));
    assert.deepEqual(await env.errorLogs(), []);
  } finally {
    await env.close();
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
