/**
 * The compiled-script cache (core/sieve/cache.ts): a changed script is compiled again (never a
 * stale compiled form), versions with the same text share one compiled script, and a shared
 * script answers for each account's own message as its own copy would.
 */
import assert from "node:assert/strict";
import { CompiledScriptCache } from "../../core/sieve/cache.ts";
import { runSieve, type SieveAction } from "../../core/sieve/interpreter.ts";
import type { CompiledScript } from "../../core/sieve/validate.ts";
import { SieveSyntaxError } from "../../core/sieve/parser.ts";

const enc = new TextEncoder();

async function actions(
  script: CompiledScript,
  subject: string,
  to = "me@example.org",
): Promise<SieveAction[]> {
  const r = await runSieve(script, {
    raw: enc.encode(`From: a@remote.example\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nHello\r\n`),
    envelope: { from: "a@remote.example", to },
    now: new Date("2026-12-07T00:00:00Z"),
  });
  assert.equal(r.error, null);
  return r.actions;
}

const into = (mailbox: string): SieveAction => ({ type: "fileinto", mailbox, flags: [], create: false });
const KEEP: SieveAction = { type: "keep", flags: [] };
const script = (box: string) =>
  `require ["fileinto", "variables", "envelope"];
if header :matches "subject" "*report*" { fileinto "${box}/\${2}"; stop; }
if envelope :localpart :is "to" "bob" { fileinto "Bob"; stop; }`;

Deno.test("sieve cache: a new version of a script with a new text runs the new text", async () => {
  const cache = new CompiledScriptCache();
  const v1 = cache.get("s1", 1, script("Old"));
  assert.deepEqual(await actions(v1, "the report 7"), [into("Old/ 7")]);
  const v2 = cache.get("s1", 2, script("New"));
  assert.deepEqual(await actions(v2, "the report 7"), [into("New/ 7")]);
  // The first version is still its own text (an include of an older version, say).
  assert.deepEqual(await actions(cache.get("s1", 1, script("Old")), "the report 7"), [into("Old/ 7")]);
  // A version back to an earlier text is that text again.
  assert.deepEqual(await actions(cache.get("s1", 3, script("Old")), "the report 7"), [into("Old/ 7")]);
});

Deno.test("sieve cache: scripts of different ids with the same text share one compiled script", async () => {
  const cache = new CompiledScriptCache();
  const a = cache.get("alice-script", 1, script("Box"));
  const b = cache.get("bob-script", 4, script("Box"));
  assert.equal(a, b);
  assert.equal(cache.size, 2);
  // The shared script answers each run from that run's message and envelope alone.
  assert.deepEqual(await actions(b, "quarterly report 9", "bob@example.org"), [into("Box/ 9")]);
  assert.deepEqual(await actions(a, "hello", "bob@example.org"), [into("Bob")]);
  assert.deepEqual(await actions(a, "hello"), [KEEP]);
  assert.deepEqual(await actions(b, "report: Q3"), [into("Box/: Q3")]);
  // A different text is never shared.
  assert.notEqual(cache.get("carol-script", 1, script("Other")), a);
});

Deno.test("sieve cache: bounded, least recently used first; a script that does not compile is not kept", () => {
  const cache = new CompiledScriptCache(2);
  const one = cache.get("a", 1, script("One"));
  cache.get("b", 1, script("Two"));
  assert.equal(cache.get("a", 1, script("One")), one); // "a" used last: "b" goes first
  cache.get("c", 1, script("Three"));
  assert.equal(cache.size, 2);
  assert.equal(cache.get("a", 1, script("One")), one);
  assert.notEqual(cache.get("b", 1, script("Two")), undefined);
  for (let i = 0; i < 2; i++) {
    assert.throws(() => cache.get("bad", 1, `if true { stop`), SieveSyntaxError);
  }
  assert.equal(cache.size, 2);
});
