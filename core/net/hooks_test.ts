/**
 * `composeHooks`: hooks run in order, the first refusal wins, every `onClose` runs; and a set of
 * hooks that all answer at once answers at once (no promise per HTTP request).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Session } from "../session.ts";
import { composeHooks, type ConnectDecision, isThenable, type ServerHooks } from "./hooks.ts";

const SESSION = { id: "s1", remoteAddress: "192.0.2.1" } as Session;

/** A hook set that records its calls and answers `decision`, at once or in a promise. */
function part(name: string, calls: string[], decision: ConnectDecision, later = false): ServerHooks {
  return {
    onConnect: () => {
      calls.push(`connect ${name}`);
      return later ? Promise.resolve(decision) : decision;
    },
    onClose: () => {
      calls.push(`close ${name}`);
      if (later) return Promise.resolve();
    },
  };
}

Deno.test("composeHooks: hooks that answer at once give their answer at once; the first refusal wins", () => {
  const calls: string[] = [];
  const hooks = composeHooks(
    part("a", calls, { allow: true }),
    undefined,
    part("b", calls, { allow: false, reason: "no" }),
    part("c", calls, { allow: true }),
  );
  const answer = hooks.onConnect!(SESSION);
  assert.equal(isThenable(answer), false);
  assert.deepEqual(answer, { allow: false, reason: "no" });
  assert.deepEqual(calls, ["connect a", "connect b"]);
  const closed = hooks.onClose!(SESSION);
  assert.equal(isThenable(closed), false);
  assert.deepEqual(calls.slice(2), ["close a", "close b", "close c"]);
  assert.deepEqual(composeHooks(part("x", [], { allow: true })).onConnect!(SESSION), { allow: true });
});

Deno.test("composeHooks: after a hook that answers in a promise the others still run in order", async () => {
  const calls: string[] = [];
  const allowAll = composeHooks(
    part("a", calls, { allow: true }),
    part("b", calls, { allow: true }, true),
    part("c", calls, { allow: true }),
  );
  const answer = allowAll.onConnect!(SESSION);
  assert.equal(isThenable(answer), true);
  assert.deepEqual(await answer, { allow: true });
  assert.deepEqual(calls, ["connect a", "connect b", "connect c"]);
  const refused = composeHooks(
    part("d", calls, { allow: false, reason: "later" }, true),
    part("e", calls, { allow: true }),
  );
  assert.deepEqual(await refused.onConnect!(SESSION), { allow: false, reason: "later" });
  assert.equal(calls.includes("connect e"), false);
});

Deno.test("composeHooks: every onClose runs; one failure is thrown as it is, several as an AggregateError", async () => {
  const calls: string[] = [];
  const failing = (name: string, later: boolean): ServerHooks => ({
    onClose: () => {
      calls.push(name);
      if (later) return Promise.reject(new Error(name));
      throw new Error(name);
    },
  });
  assert.throws(
    () => composeHooks(failing("x", false), part("ok", calls, { allow: true })).onClose!(SESSION),
    /x/,
  );
  assert.deepEqual(calls, ["x", "close ok"]);
  const both = composeHooks(
    failing("y", false),
    failing("z", true),
    part("ok2", calls, { allow: true }, true),
  );
  await assert.rejects(async () => await both.onClose!(SESSION), (err: unknown) => {
    assert.ok(err instanceof AggregateError);
    assert.deepEqual(err.errors.map((e: Error) => e.message), ["y", "z"]);
    return true;
  });
  assert.deepEqual(calls.slice(2), ["y", "z", "close ok2"]);
});
