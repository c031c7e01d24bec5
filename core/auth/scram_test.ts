import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  authMessage,
  createScramSecret,
  decodeSaslName,
  deriveScramKeys,
  encodeSaslName,
  formatScramSecret,
  formatServerFinal,
  formatServerFirst,
  parseClientFinal,
  parseClientFirst,
  parseScramSecret,
  serverNonce,
  serverSignature,
  verifyClientProof,
} from "./scram.ts";

// RFC 7677 §3 test vector (user "user", password "pencil").
const V = {
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  salt: new Uint8Array(Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64")),
};

Deno.test("deriveScramKeys and verifyClientProof reproduce the RFC 7677 test vector", async () => {
  const keys = await deriveScramKeys("pencil", V.salt, 4096);
  const first = parseClientFirst(V.clientFirst);
  assert.ok(!("error" in first));
  assert.equal(
    formatServerFirst(first.nonce + "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", V.salt, 4096),
    V.serverFirst,
  );
  const final = parseClientFinal(V.clientFinal);
  assert.ok(!("error" in final));
  const message = authMessage(first.bare, V.serverFirst, final.withoutProof);
  assert.equal(verifyClientProof(keys, message, final.proof), true);
  assert.equal(formatServerFinal(serverSignature(keys, message)), V.serverFinal);
});

Deno.test("verifyClientProof rejects a proof with one flipped bit, a short proof, a wrong password", async () => {
  const keys = await deriveScramKeys("pencil", V.salt, 4096);
  const first = parseClientFirst(V.clientFirst);
  const final = parseClientFinal(V.clientFinal);
  assert.ok(!("error" in first) && !("error" in final));
  const message = authMessage(first.bare, V.serverFirst, final.withoutProof);
  const flipped = final.proof.slice();
  flipped[0]! ^= 0x80;
  assert.equal(verifyClientProof(keys, message, flipped), false);
  assert.equal(verifyClientProof(keys, message, final.proof.slice(0, 31)), false);
  const other = await deriveScramKeys("pencil2", V.salt, 4096);
  assert.equal(verifyClientProof(other, message, final.proof), false);
});

Deno.test("createScramSecret stores iterations, salt, StoredKey, ServerKey and round-trips", async () => {
  const secret = await createScramSecret("pencil");
  assert.match(secret, /^4096\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}\$[A-Za-z0-9+/=]{44}$/);
  const keys = parseScramSecret(secret);
  assert.ok(keys);
  assert.equal(formatScramSecret(keys), secret);
  assert.deepEqual(await deriveScramKeys("pencil", keys.salt, keys.iterations), keys);
  await assert.rejects(() => createScramSecret("pencil", 1000), RangeError);
});

Deno.test("parseScramSecret rejects malformed or weak secrets", () => {
  const key = Buffer.alloc(32).toString("base64");
  for (
    const bad of [
      "",
      "4096$c2FsdA==$" + key,
      "1000$c2FsdA==$" + key + "$" + key,
      "x$c2FsdA==$" + key + "$" + key,
      "4096$$" + key + "$" + key,
      "4096$c2FsdA==$c2hvcnQ=$" + key,
    ]
  ) assert.equal(parseScramSecret(bad), null, bad);
});

Deno.test("parseClientFirst reads gs2 header, authzid, user name and nonce", () => {
  const parsed = parseClientFirst("y,a=ad=3Dmin=2C,n=us=2Cer,r=abc,x=ext");
  assert.deepEqual(parsed, {
    gs2Header: "y,a=ad=3Dmin=2C,",
    cbindFlag: "y",
    authzid: "ad=min,",
    username: "us,er",
    nonce: "abc",
    bare: "n=us=2Cer,r=abc,x=ext",
  });
});

Deno.test("parseClientFirst refuses channel binding, mandatory extensions and bad encodings", () => {
  assert.deepEqual(parseClientFirst("p=tls-unique,,n=user,r=abc"), {
    error: "channel-binding-not-supported",
  });
  assert.deepEqual(parseClientFirst("n,,m=ext,n=user,r=abc"), { error: "extensions-not-supported" });
  assert.deepEqual(parseClientFirst("n,,n=us=2Xer,r=abc"), { error: "invalid-username-encoding" });
  assert.deepEqual(parseClientFirst("n,a=x=,n=user,r=abc"), { error: "invalid-username-encoding" });
  for (const bad of ["", "n", "n,", "q,,n=user,r=abc", "n,,n=user", "n,,r=abc,n=user", "n,,n=user,r=a,b"]) {
    assert.ok("error" in parseClientFirst(bad), bad);
  }
  assert.ok("error" in parseClientFirst("n,,n=user,r=a\x7Fb"));
  assert.ok("error" in parseClientFirst("n,,n=,r=abc"));
});

Deno.test("parseClientFinal reads channel binding, nonce and proof", () => {
  const parsed = parseClientFinal(V.clientFinal);
  assert.ok(!("error" in parsed));
  assert.equal(new TextDecoder().decode(parsed.channelBinding), "n,,");
  assert.equal(parsed.nonce, "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  assert.equal(parsed.proof.length, 32);
  assert.equal(parsed.withoutProof, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
});

Deno.test("parseClientFinal rejects malformed messages", () => {
  assert.deepEqual(parseClientFinal("c=biws,r=abc,p=***"), { error: "invalid-encoding" });
  assert.deepEqual(parseClientFinal("c=b!ws,r=abc,p=AAAA"), { error: "invalid-encoding" });
  assert.deepEqual(parseClientFinal("c=biws,r=abc,m=x,p=AAAA"), { error: "extensions-not-supported" });
  for (const bad of ["", "c=biws,r=abc", "r=abc,c=biws,p=AAAA", "c=biws,p=AAAA", "c=biws,r=,p=AAAA"]) {
    assert.ok("error" in parseClientFinal(bad), bad);
  }
});

Deno.test("decodeSaslName and encodeSaslName round-trip = and ,", () => {
  assert.equal(decodeSaslName("a=3Db=2Cc"), "a=b,c");
  assert.equal(encodeSaslName("a=b,c"), "a=3Db=2Cc");
  assert.equal(decodeSaslName(encodeSaslName("x,=y==,")), "x,=y==,");
  assert.equal(decodeSaslName("a=2"), null);
  assert.equal(decodeSaslName("a,b"), null);
  assert.equal(decodeSaslName(""), null);
});

Deno.test("serverNonce is printable without commas and unique", () => {
  const a = serverNonce();
  assert.match(a, /^[\x21-\x2B\x2D-\x7E]{24}$/);
  assert.notEqual(a, serverNonce());
});
