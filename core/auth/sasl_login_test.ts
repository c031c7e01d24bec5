import assert from "node:assert/strict";
import { createLoginExchange } from "./sasl_login.ts";
import { authContext, authFixture, text, utf8 } from "./_test_support.ts";

Deno.test("createLoginExchange asks Username: then Password:", async () => {
  const f = authFixture();
  const account = await f.addUser("ada@example.org", "pencil");
  const x = createLoginExchange(f.auth, authContext());
  assert.equal(x.mechanism, "LOGIN");
  const first = await x.step(null);
  assert.ok(!first.done);
  assert.equal(text(first.challenge), "Username:");
  const second = await x.step(utf8("ada@example.org"));
  assert.ok(!second.done);
  assert.equal(text(second.challenge), "Password:");
  assert.deepEqual(await x.step(utf8("pencil")), { done: true, result: { ok: true, account } });
});

Deno.test("createLoginExchange takes the user name as an initial response", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  const x = createLoginExchange(f.auth, authContext());
  const step = await x.step(utf8("ada@example.org"));
  assert.ok(!step.done);
  assert.equal(text(step.challenge), "Password:");
  const last = await x.step(utf8("pencil"));
  assert.equal(last.done && last.result.ok, true);
});

Deno.test("createLoginExchange rejects a wrong password", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  const x = createLoginExchange(f.auth, authContext());
  await x.step(utf8("ada@example.org"));
  assert.deepEqual(await x.step(utf8("crayon")), { done: true, result: { ok: false, reason: "invalid" } });
  assert.deepEqual(await x.step(utf8("pencil")), { done: true, result: { ok: false, reason: "invalid" } });
});

Deno.test("createLoginExchange turns malformed responses into invalid without throwing", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  for (const username of [new Uint8Array(0), new Uint8Array([0xc3]), utf8("a\0b")]) {
    const x = createLoginExchange(f.auth, authContext());
    await x.step(null);
    assert.deepEqual(await x.step(username), { done: true, result: { ok: false, reason: "invalid" } });
  }
  for (const password of [new Uint8Array(0), new Uint8Array([0xff]), null]) {
    const x = createLoginExchange(f.auth, authContext());
    await x.step(utf8("ada@example.org"));
    assert.deepEqual(await x.step(password), { done: true, result: { ok: false, reason: "invalid" } });
  }
  assert.equal(f.failures.length, 0); // malformed input is not a password guess
});
