/**
 * AUTHENTICATE (RFC 9051 §6.2.2): PLAIN with SASL-IR (RFC 4959) and with a continuation, LOGIN,
 * SCRAM-SHA-256 with the server's final message, cancellation and failure codes.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import { ScramClient } from "../auth/scram_client.ts";

const b64 = (s: string) => btoa(s);

Deno.test("imap AUTHENTICATE PLAIN with an initial response and with a continuation", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  const d = await RawImap.connect(port);
  try {
    const ok = await c.cmd(`AUTHENTICATE PLAIN ${b64("\0u@example.org\0s3cret pass")}`);
    assert.match(ok[0]!, /^TAG OK \[CAPABILITY .*\] Logged in$/);
    await d.c.line("x1 AUTHENTICATE PLAIN");
    assert.equal(await d.c.read(), "+ ");
    await d.c.line(b64("\0u@example.org\0wrong"));
    assert.deepEqual(await d.until("x1"), ["TAG NO [AUTHENTICATIONFAILED] Authentication failed"]);
    await d.c.line("x2 AUTHENTICATE PLAIN");
    assert.equal(await d.c.read(), "+ ");
    await d.c.line("*");
    assert.deepEqual(await d.until("x2"), ["TAG BAD Authentication cancelled"]);
    assert.deepEqual(await d.cmd("AUTHENTICATE X-UNKNOWN"), ["TAG NO [CANNOT] Unsupported mechanism"]);
    assert.deepEqual(await d.cmd("SELECT INBOX"), ["TAG BAD Log in first"]);
  } finally {
    c.close();
    d.close();
    await t.close();
  }
});

Deno.test("imap AUTHENTICATE LOGIN and SCRAM-SHA-256", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  const d = await RawImap.connect(port);
  try {
    await c.c.line("l1 AUTHENTICATE LOGIN");
    assert.equal(await c.c.read(), `+ ${b64("Username:")}`);
    await c.c.line(b64("u@example.org"));
    assert.equal(await c.c.read(), `+ ${b64("Password:")}`);
    await c.c.line(b64("s3cret pass"));
    assert.match((await c.until("l1"))[0]!, /^TAG OK \[CAPABILITY .*\] Logged in$/);

    const scram = new ScramClient("u@example.org", "s3cret pass");
    await d.c.line(`s1 AUTHENTICATE SCRAM-SHA-256 ${b64(scram.first())}`);
    const first = await d.c.read();
    assert.match(first!, /^\+ /);
    await d.c.line(b64(scram.final(atob(first!.slice(2)))));
    const fin = await d.c.read();
    assert.match(fin!, /^\+ /);
    assert.ok(scram.verifyServerFinal(atob(fin!.slice(2))));
    await d.c.line("");
    assert.match((await d.until("s1"))[0]!, /^TAG OK \[CAPABILITY .*\] Logged in$/);
  } finally {
    c.close();
    d.close();
    await t.close();
  }
});

Deno.test("imap LOGIN is throttled by the shared auth service: NO [UNAVAILABLE]", async () => {
  const { t, port } = await setupImap({
    auth: {
      throttle_free_failures: 1,
      throttle_base_delay_ms: 60_000,
      lockout_failures: 2,
      lockout_seconds: 60,
    },
  });
  const c = await RawImap.connect(port);
  try {
    assert.deepEqual(await c.cmd('LOGIN u@example.org "bad"'), [
      "TAG NO [AUTHENTICATIONFAILED] Authentication failed",
    ]);
    assert.deepEqual(await c.cmd('LOGIN u@example.org "bad"'), [
      "TAG NO [AUTHENTICATIONFAILED] Authentication failed",
    ]);
    // Even the right password is refused while the account/IP is blocked.
    assert.deepEqual(await c.cmd('LOGIN u@example.org "s3cret pass"'), [
      "TAG NO [UNAVAILABLE] Too many failed attempts, try again later",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});
