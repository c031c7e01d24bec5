import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createCramMd5Exchange } from "./sasl_cram_md5.ts";
import { authContext, authFixture, text, utf8 } from "./_test_support.ts";

/** The client side of RFC 2195, written independently of the server code. */
function cramResponse(user: string, password: string, challenge: string): Uint8Array {
  return utf8(`${user} ${createHmac("md5", password).update(challenge).digest("hex")}`);
}

Deno.test("RFC 2195 example digest is what HMAC-MD5 gives", () => {
  // RFC 2195 §2: tim / tanstaaftanstaaf.
  const digest = createHmac("md5", "tanstaaftanstaaf").update("<1896.697170952@postoffice.reston.mci.net>")
    .digest("hex");
  assert.equal(digest, "b913a602c7eda7a495b4e6e7334d3890");
});

Deno.test("createCramMd5Exchange sends a unique msg-id challenge and accepts the right digest", async () => {
  const f = authFixture({ cram_md5: true });
  const account = await f.addUser("ada@example.org", "pencil");
  const x = createCramMd5Exchange(f.auth, authContext(), "mail.example.org", f.clock);
  assert.equal(x.mechanism, "CRAM-MD5");
  const first = await x.step(null);
  assert.ok(!first.done);
  const challenge = text(first.challenge);
  assert.match(challenge, /^<\d+\.\d+@mail\.example\.org>$/);
  const other = await createCramMd5Exchange(f.auth, authContext(), "mail.example.org", f.clock).step(null);
  assert.ok(!other.done);
  assert.notEqual(text(other.challenge), challenge);
  assert.deepEqual(await x.step(cramResponse("ada@example.org", "pencil", challenge)), {
    done: true,
    result: { ok: true, account },
  });
});

Deno.test("createCramMd5Exchange rejects a wrong password and a replayed response", async () => {
  const f = authFixture({ cram_md5: true });
  await f.addUser("ada@example.org", "pencil");
  const x = createCramMd5Exchange(f.auth, authContext(), "h", f.clock);
  const first = await x.step(null);
  assert.ok(!first.done);
  const good = cramResponse("ada@example.org", "pencil", text(first.challenge));
  assert.deepEqual(await x.step(cramResponse("ada@example.org", "crayon", text(first.challenge))), {
    done: true,
    result: { ok: false, reason: "invalid" },
  });
  const y = createCramMd5Exchange(f.auth, authContext(), "h", f.clock);
  await y.step(null);
  assert.deepEqual(await y.step(good), { done: true, result: { ok: false, reason: "invalid" } });
});

Deno.test("createCramMd5Exchange fails for an account without a CRAM-MD5 secret", async () => {
  const f = authFixture({ cram_md5: true });
  await f.addUser("ada@example.org", "pencil", { cramMd5: false });
  const x = createCramMd5Exchange(f.auth, authContext(), "h", f.clock);
  const first = await x.step(null);
  assert.ok(!first.done);
  assert.deepEqual(await x.step(cramResponse("ada@example.org", "pencil", text(first.challenge))), {
    done: true,
    result: { ok: false, reason: "invalid" },
  });
});

Deno.test("createCramMd5Exchange turns malformed responses into invalid without throwing", async () => {
  const f = authFixture({ cram_md5: true });
  await f.addUser("ada@example.org", "pencil");
  const bad = [
    utf8(""),
    utf8("ada@example.org"),
    utf8("ada@example.org 1234"),
    utf8(" b913a602c7eda7a495b4e6e7334d3890"),
    utf8("ada@example.org b913a602c7eda7a495b4e6e7334d389g"),
    new Uint8Array([0xff, 0x20, 0x30]),
  ];
  for (const response of bad) {
    const x = createCramMd5Exchange(f.auth, authContext(), "h", f.clock);
    await x.step(null);
    assert.deepEqual(await x.step(response), { done: true, result: { ok: false, reason: "invalid" } });
  }
  // No initial response in CRAM-MD5: one is refused.
  const x = createCramMd5Exchange(f.auth, authContext(), "h", f.clock);
  assert.deepEqual(await x.step(utf8("ada@example.org 00")), {
    done: true,
    result: { ok: false, reason: "invalid" },
  });
});
