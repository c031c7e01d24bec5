import assert from "node:assert/strict";
import { formatPasswordHash, hashPassword, parsePasswordHash, verifyPasswordHash } from "./password.ts";
import { FAST_SCRYPT } from "./_test_support.ts";

Deno.test("hashPassword produces scrypt$N$r$p$salt$hash with the parameters used", async () => {
  const stored = await hashPassword("correct horse", FAST_SCRYPT);
  assert.match(stored, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  const parsed = parsePasswordHash(stored);
  assert.ok(parsed);
  assert.deepEqual(parsed.params, { N: 1024, r: 8, p: 1 });
  assert.equal(parsed.salt.length, 16);
  assert.equal(parsed.hash.length, 32);
});

Deno.test("hashPassword uses a fresh salt each time", async () => {
  const a = await hashPassword("same", FAST_SCRYPT);
  const b = await hashPassword("same", FAST_SCRYPT);
  assert.notEqual(a, b);
  assert.notDeepEqual(parsePasswordHash(a)?.salt, parsePasswordHash(b)?.salt);
});

Deno.test("hashPassword defaults to N=16384, r=8, p=1", async () => {
  const stored = await hashPassword("default cost");
  assert.match(stored, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPasswordHash("default cost", stored), true);
});

Deno.test("verifyPasswordHash accepts the right password and rejects others", async () => {
  const stored = await hashPassword("s3cret é", FAST_SCRYPT);
  assert.equal(await verifyPasswordHash("s3cret é", stored), true);
  assert.equal(await verifyPasswordHash("s3cret e\u0301", stored), true); // SASLprep: same after NFKC
  assert.equal(await verifyPasswordHash("s3cret", stored), false);
  assert.equal(await verifyPasswordHash("S3cret é", stored), false);
  assert.equal(await verifyPasswordHash("", stored), false);
});

Deno.test("verifyPasswordHash rejects a hash with one flipped bit", async () => {
  const parsed = parsePasswordHash(await hashPassword("pw", FAST_SCRYPT))!;
  parsed.hash[31]! ^= 1;
  assert.equal(await verifyPasswordHash("pw", formatPasswordHash(parsed)), false);
});

Deno.test("verifyPasswordHash runs a dummy verification and fails for an unknown user", async () => {
  assert.equal(await verifyPasswordHash("anything", undefined), false);
  assert.equal(await verifyPasswordHash("", undefined), false);
});

Deno.test("verifyPasswordHash fails on a malformed stored hash without throwing", async () => {
  for (
    const stored of [
      "",
      "plain",
      "scrypt$1024$8$1$c2FsdHNhbHQ=",
      "scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==", // N not a power of two
      "scrypt$1048576$64$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==", // too costly
      "scrypt$1024$8$1$!!!$aGFzaGhhc2hoYXNoaGFzaA==",
      "bcrypt$1024$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
    ]
  ) {
    assert.equal(parsePasswordHash(stored), null, stored);
    assert.equal(await verifyPasswordHash("pw", stored), false, stored);
  }
});

Deno.test("hashPassword rejects invalid parameters", async () => {
  await assert.rejects(() => hashPassword("pw", { N: 1000, r: 8, p: 1 }), RangeError);
  await assert.rejects(() => hashPassword("pw", { N: 1024, r: 0, p: 1 }), RangeError);
});
