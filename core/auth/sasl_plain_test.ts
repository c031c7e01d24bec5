import assert from "node:assert/strict";
import { createPlainExchange, parsePlain } from "./sasl_plain.ts";
import { authContext, authFixture, utf8 } from "./_test_support.ts";

Deno.test("createPlainExchange accepts an initial response with empty authzid", async () => {
  const f = authFixture();
  const account = await f.addUser("ada@example.org", "pencil");
  const x = createPlainExchange(f.auth, authContext());
  assert.equal(x.mechanism, "PLAIN");
  assert.deepEqual(await x.step(utf8("\0ada@example.org\0pencil")), {
    done: true,
    result: { ok: true, account },
  });
});

Deno.test("createPlainExchange sends an empty challenge when there is no initial response", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  const x = createPlainExchange(f.auth, authContext());
  assert.deepEqual(await x.step(null), { done: false, challenge: new Uint8Array(0) });
  const step = await x.step(utf8("ada@example.org\0ada@example.org\0pencil"));
  assert.equal(step.done && step.result.ok, true);
});

Deno.test("createPlainExchange rejects a wrong password and a foreign authzid", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  await f.addUser("bob@example.org", "pencil");
  const wrong = await createPlainExchange(f.auth, authContext()).step(utf8("\0ada@example.org\0pencil2"));
  assert.deepEqual(wrong, { done: true, result: { ok: false, reason: "invalid" } });
  const proxy = await createPlainExchange(f.auth, authContext()).step(
    utf8("bob@example.org\0ada@example.org\0pencil"),
  );
  assert.deepEqual(proxy, { done: true, result: { ok: false, reason: "invalid" } });
});

Deno.test("createPlainExchange turns malformed responses into invalid without throwing", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  const bad = [
    new Uint8Array(0),
    utf8("ada@example.org pencil"),
    utf8("\0ada@example.org"),
    utf8("\0\0pencil"),
    utf8("\0ada@example.org\0"),
    utf8("\0ada@example.org\0pencil\0extra"),
    new Uint8Array([0, 0x61, 0, 0xff, 0xfe]), // not UTF-8
    new Uint8Array(100_000),
  ];
  for (const response of bad) {
    assert.deepEqual(await createPlainExchange(f.auth, authContext()).step(response), {
      done: true,
      result: { ok: false, reason: "invalid" },
    });
  }
});

Deno.test("createPlainExchange refuses further steps once done", async () => {
  const f = authFixture();
  await f.addUser("ada@example.org", "pencil");
  const x = createPlainExchange(f.auth, authContext());
  await x.step(utf8("\0ada@example.org\0pencil"));
  assert.deepEqual(await x.step(utf8("\0ada@example.org\0pencil")), {
    done: true,
    result: { ok: false, reason: "invalid" },
  });
  const y = createPlainExchange(f.auth, authContext());
  await y.step(null);
  assert.deepEqual(await y.step(null), { done: true, result: { ok: false, reason: "invalid" } });
});

Deno.test("parsePlain splits authzid, authcid and password, keeping UTF-8", () => {
  assert.deepEqual(parsePlain(utf8("z\0ü@example.org\0päss wörd")), {
    authzid: "z",
    authcid: "ü@example.org",
    password: "päss wörd",
  });
});
