import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Buffer } from "node:buffer";
import { generateSecret, secretKey, sign, verify } from "./signature.ts";

Deno.test("sign produces the Standard Webhooks headers: v1,base64(HMAC-SHA256(id.timestamp.body)) under the whsec_ key", () => {
  const secret = generateSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const body = '{"type":"message.received","data":{"subject":"Ünïcode"}}';
  const h = sign(secret, "msg_1", 1_700_000_000.9, body);
  assert.equal(h["webhook-id"], "msg_1");
  assert.equal(h["webhook-timestamp"], "1700000000");
  // An independent implementation (node:crypto) computes the same signature.
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`msg_1.1700000000.${body}`).digest("base64");
  assert.equal(h["webhook-signature"], `v1,${expected}`);
});

Deno.test("verify accepts a good signature among several, and refuses a changed body, id, old timestamp or other secret", () => {
  const secret = generateSecret();
  const body = '{"a":1}';
  const h = sign(secret, "msg_2", 1000, body);
  const headers = (over: Record<string, string> = {}) => new Headers({ ...h, ...over });
  assert.equal(verify(secret, headers(), body, 1000), true);
  assert.equal(
    verify(secret, headers({ "webhook-signature": `v1,AAAA ${h["webhook-signature"]}` }), body, 1000),
    true,
  );
  assert.equal(verify(secret, headers(), '{"a":2}', 1000), false);
  assert.equal(verify(secret, headers({ "webhook-id": "msg_3" }), body, 1000), false);
  assert.equal(verify(secret, headers(), body, 1000 + 301), false, "replay outside the tolerance");
  assert.equal(verify(generateSecret(), headers(), body, 1000), false);
  assert.equal(
    verify(
      secret,
      headers({ "webhook-signature": h["webhook-signature"].replace("v1,", "v2,") }),
      body,
      1000,
    ),
    false,
  );
});

Deno.test("secretKey accepts whsec_ and bare base64 of 16 to 64 bytes, refuses others", () => {
  assert.equal(secretKey("whsec_" + btoa("0123456789abcdef")).length, 16);
  assert.equal(secretKey(btoa("0123456789abcdef0123")).length, 20);
  assert.throws(() => secretKey("whsec_" + btoa("short")));
  assert.throws(() => secretKey("whsec_not*base64"));
});
