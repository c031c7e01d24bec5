/**
 * Defect 4 of the hardening issue: an IMAP session could be held open forever by trickling bytes,
 * because the idle timer restarted on every byte. A command line, and each literal, must now
 * arrive within `imap.command_timeout` once begun, and a session may stay unauthenticated for at
 * most `imap.unauthenticated_timeout` in total, whatever it sends.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startAttackEnv } from "./_env.ts";
import { LineClient } from "../support/line_client.ts";

/**
 * Sends `text` one byte at a time, a byte every `gapMs`, until the server closes the connection or
 * the text is exhausted. The gap is the attack (a slow client), not synchronisation.
 */
async function trickle(
  c: LineClient,
  text: string,
  gapMs: number,
  closed: Promise<unknown>,
): Promise<boolean> {
  let over = false;
  closed.then(() => (over = true));
  for (const ch of text) {
    if (over) return true;
    try {
      await c.send(ch);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return over;
}

/** Reads every line until EOF. */
async function rest(c: LineClient): Promise<string[]> {
  return await c.readAll();
}

Deno.test("defect: an IMAP command line trickled a byte at a time gets * BYE after imap.command_timeout", async () => {
  const env = await startAttackEnv({ imap: { command_timeout: 1, unauthenticated_timeout: 600 } });
  try {
    const c = await LineClient.connect(env.port("imap"));
    assert.match((await c.read())!, /^\* OK /);
    const lines = rest(c);
    // 40 bytes at 100 ms each: 4 s, well past the 1 s deadline, each gap far below the idle timeout.
    const cut = await trickle(c, "a1 LOGIN alice@example.org alice-Pw-1 x\r\n", 100, lines);
    assert.equal(cut, true, "the server closed the connection before the line was complete");
    assert.deepEqual(await lines, ["* BYE Command not completed in time"]);
    c.close();
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("defect: an IMAP literal trickled a byte at a time gets * BYE after imap.command_timeout", async () => {
  const env = await startAttackEnv({ imap: { command_timeout: 1, unauthenticated_timeout: 600 } });
  try {
    const c = await LineClient.connect(env.port("imap"));
    assert.match((await c.read())!, /^\* OK /);
    await c.line("a1 LOGIN alice@example.org {40}");
    assert.equal(await c.read(), "+ Ready for literal data");
    const lines = rest(c);
    const cut = await trickle(c, "x".repeat(40), 100, lines);
    assert.equal(cut, true);
    assert.deepEqual(await lines, ["* BYE Command not completed in time"]);
    c.close();
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("defect: an IMAP session that never logs in gets * BYE after imap.unauthenticated_timeout", async () => {
  const env = await startAttackEnv({ imap: { command_timeout: 60, unauthenticated_timeout: 2 } });
  try {
    const c = await LineClient.connect(env.port("imap"));
    assert.match((await c.read())!, /^\* OK /);
    // Complete commands keep the idle timer away; only the total bound can end this.
    let n = 0;
    for (;;) {
      // Bounded: 50 NOOPs (10 s) without the BYE is the defect.
      if (++n > 50) assert.fail("still unauthenticated after 50 NOOPs");
      await c.line(`n${n} NOOP`);
      const l = await c.read();
      if (/^n\d+ OK /.test(l ?? "")) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      assert.equal(l, "* BYE Not authenticated in time");
      assert.equal(await c.read(), null);
      break;
    }
    assert.ok(n >= 5, `the session lasted ${n} NOOPs`);
    c.close();
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("defect: an IDLE ended by a trickled DONE gets * BYE after imap.command_timeout", async () => {
  const env = await startAttackEnv({ imap: { command_timeout: 1, unauthenticated_timeout: 600 } });
  try {
    const c = await LineClient.connect(env.port("imap"));
    assert.match((await c.read())!, /^\* OK /);
    await c.line("a1 LOGIN alice@example.org alice-Pw-1");
    for (;;) if ((await c.read())?.startsWith("a1 ")) break;
    await c.line("a2 SELECT INBOX");
    for (;;) if ((await c.read())?.startsWith("a2 ")) break;
    await c.line("a3 IDLE");
    assert.equal(await c.read(), "+ idling");
    const lines = rest(c);
    const cut = await trickle(c, "DONE".repeat(10) + "\r\n", 100, lines);
    assert.equal(cut, true);
    assert.deepEqual(await lines, ["* BYE Command not completed in time"]);
    c.close();
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
