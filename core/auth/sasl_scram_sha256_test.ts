import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { createScramSha256Exchange } from "./sasl_scram_sha256.ts";
import { deriveScramKeys, formatScramSecret } from "./scram.ts";
import { hashPassword } from "./password.ts";
import { authContext, authFixture, FAST_SCRYPT, text, utf8 } from "./_test_support.ts";
import type { SaslStep } from "./types.ts";

const FAKE_SALT_KEY = new Uint8Array(32).fill(7);

// RFC 7677 §3.
const V = {
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

/** A fixture holding RFC 7677's user "user" / "pencil" with the vector's salt. */
async function vectorFixture() {
  const f = authFixture();
  const keys = await deriveScramKeys(
    "pencil",
    new Uint8Array(Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64")),
    4096,
  );
  const account = f.dir.add("user", {
    passwordHash: await hashPassword("pencil", FAST_SCRYPT),
    scramSha256: formatScramSecret(keys),
  });
  const start = () =>
    createScramSha256Exchange(f.auth, authContext(), {
      fakeSaltKey: FAKE_SALT_KEY,
      nonce: () => V.serverNonce,
    });
  return { f, account, start };
}

function challengeText(step: SaslStep): string {
  assert.ok(!step.done, `expected a challenge, got ${JSON.stringify(step)}`);
  return text(step.challenge);
}

function failure(step: SaslStep): { reason: string; serverFinal: string } {
  assert.ok(step.done && !step.result.ok, `expected a failure, got ${JSON.stringify(step)}`);
  return { reason: step.result.reason, serverFinal: step.serverFinal ? text(step.serverFinal) : "" };
}

Deno.test("createScramSha256Exchange reproduces the RFC 7677 §3 exchange", async () => {
  const { account, start } = await vectorFixture();
  const x = start();
  assert.equal(x.mechanism, "SCRAM-SHA-256");
  assert.equal(challengeText(await x.step(utf8(V.clientFirst))), V.serverFirst);
  const last = await x.step(utf8(V.clientFinal));
  assert.ok(last.done);
  assert.deepEqual(last.result, { ok: true, account });
  assert.equal(text(last.serverFinal!), V.serverFinal);
});

Deno.test("createScramSha256Exchange asks for client-first with an empty challenge", async () => {
  const { start } = await vectorFixture();
  const x = start();
  assert.deepEqual(await x.step(null), { done: false, challenge: new Uint8Array(0) });
  assert.equal(challengeText(await x.step(utf8(V.clientFirst))), V.serverFirst);
  const last = await x.step(utf8(V.clientFinal));
  assert.equal(last.done && last.result.ok, true);
});

Deno.test("createScramSha256Exchange fails a bad proof with e=invalid-proof and counts it", async () => {
  const { f, start } = await vectorFixture();
  const x = start();
  await x.step(utf8(V.clientFirst));
  const tampered = V.clientFinal.replace("p=dHzb", "p=dHzc");
  assert.deepEqual(failure(await x.step(utf8(tampered))), {
    reason: "invalid",
    serverFinal: "e=invalid-proof",
  });
  assert.deepEqual(f.failures.map((e) => e.reason), ["invalid"]);
  assert.deepEqual(failure(await x.step(utf8(V.clientFinal))), { reason: "invalid", serverFinal: "" });
});

Deno.test("createScramSha256Exchange refuses channel binding it does not offer", async () => {
  const { start } = await vectorFixture();
  assert.deepEqual(failure(await start().step(utf8("p=tls-server-end-point,,n=user,r=abc"))), {
    reason: "invalid",
    serverFinal: "e=channel-binding-not-supported",
  });
});

Deno.test("createScramSha256Exchange accepts flag y and checks c= against the gs2 header", async () => {
  const { account, start } = await vectorFixture();
  // Flag y ("I could bind, I think you cannot"; RFC 5802 §6) with c=eSws, the base64 of "y,,"
  // and the proof over that AuthMessage (computed with RFC 5802 §3's formulas): accepted.
  assert.equal(
    clientFinalFor("n,,", "pencil", "n=user,r=rOprNGfwEbeRWgbNEkqO", V.serverFirst),
    V.clientFinal,
  );
  const accepted = start();
  const serverFirst = challengeText(await accepted.step(utf8("y,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
  assert.equal(serverFirst, V.serverFirst);
  const last = await accepted.step(
    utf8(clientFinalFor("y,,", "pencil", "n=user,r=rOprNGfwEbeRWgbNEkqO", serverFirst)),
  );
  assert.ok(last.done);
  assert.deepEqual(last.result, { ok: true, account });
  assert.match(text(last.serverFinal!), /^v=/);
  // c=biws is "n,,": the client claims a different header than it sent.
  const x = start();
  await x.step(utf8("y,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  assert.deepEqual(failure(await x.step(utf8(V.clientFinal))), {
    reason: "invalid",
    serverFinal: "e=channel-bindings-dont-match",
  });
});

/** client-final-message (RFC 5802 §3, §7) for a gs2 header, from node:crypto primitives only. */
function clientFinalFor(gs2: string, password: string, clientFirstBare: string, serverFirst: string): string {
  const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
  const salted = pbkdf2Sync(
    password,
    Buffer.from(attrs.get("s")!, "base64"),
    Number(attrs.get("i")),
    32,
    "sha256",
  );
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const withoutProof = `c=${Buffer.from(gs2).toString("base64")},r=${attrs.get("r")}`;
  const signature = createHmac("sha256", storedKey).update(
    `${clientFirstBare},${serverFirst},${withoutProof}`,
  )
    .digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  return `${withoutProof},p=${proof.toString("base64")}`;
}

Deno.test("createScramSha256Exchange rejects a nonce that is not the combined one", async () => {
  const { start } = await vectorFixture();
  const x = start();
  await x.step(utf8(V.clientFirst));
  const final = V.clientFinal.replace("hNlF$k0", "hNlF$k1");
  assert.deepEqual(failure(await x.step(utf8(final))), { reason: "invalid", serverFinal: "e=other-error" });
});

Deno.test("createScramSha256Exchange refuses an authzid naming another user", async () => {
  const { start } = await vectorFixture();
  assert.deepEqual(failure(await start().step(utf8("n,a=admin,n=user,r=abc"))), {
    reason: "invalid",
    serverFinal: "e=other-error",
  });
  const same = await start().step(utf8("n,a=user,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  assert.equal(same.done, false);
});

Deno.test("createScramSha256Exchange answers an unknown user like a known one, then invalid-proof", async () => {
  const { start } = await vectorFixture();
  const a = challengeText(await start().step(utf8("n,,n=ghost@example.org,r=abc")));
  const b = challengeText(await start().step(utf8("n,,n=ghost@example.org,r=abc")));
  assert.match(a, /^r=abc.+,s=[A-Za-z0-9+/]{22}==,i=4096$/);
  assert.equal(a, b); // the same fake salt every time
  const c = challengeText(await start().step(utf8("n,,n=other@example.org,r=abc")));
  assert.notEqual(c.split(",")[1], a.split(",")[1]);
  const x = start();
  await x.step(utf8("n,,n=ghost@example.org,r=abc"));
  const final = `c=biws,r=abc${V.serverNonce},p=${Buffer.alloc(32, 1).toString("base64")}`;
  assert.deepEqual(failure(await x.step(utf8(final))), { reason: "invalid", serverFinal: "e=invalid-proof" });
});

Deno.test("createScramSha256Exchange turns malformed messages into invalid without throwing", async () => {
  const { f, start } = await vectorFixture();
  const firsts = ["", "n,,", "garbage", "n,,n=user", "n,,n=us=er,r=abc", "n,,m=1,n=user,r=abc"];
  for (const first of firsts) assert.equal(failure(await start().step(utf8(first))).reason, "invalid", first);
  assert.equal(
    failure(await start().step(new Uint8Array([0x6e, 0x2c, 0x2c, 0xff]))).serverFinal,
    "e=invalid-encoding",
  );
  const finals = [
    "",
    "c=biws",
    "c=biws,r=x,p=!!",
    "p=abc",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  ];
  for (const final of finals) {
    const x = start();
    await x.step(utf8(V.clientFirst));
    assert.equal(failure(await x.step(utf8(final))).reason, "invalid", final);
  }
  const x = start();
  await x.step(utf8(V.clientFirst));
  assert.equal(failure(await x.step(null)).reason, "invalid");
  assert.equal(f.failures.length, 0); // malformed input is not a password guess
});

Deno.test("createScramSha256Exchange is refused at client-first while throttled", async () => {
  const { f, start } = await vectorFixture();
  for (let i = 0; i < 4; i++) await f.auth.verifyPassword("user", "wrong", authContext());
  const step = await start().step(utf8(V.clientFirst));
  assert.ok(step.done && !step.result.ok);
  assert.equal(step.result.reason, "throttled");
  assert.ok((step.result.retryAfterMs ?? 0) > 0);
});

Deno.test("createScramSha256Exchange reports a disabled account only after a valid proof", async () => {
  const f = authFixture();
  const keys = await deriveScramKeys(
    "pencil",
    new Uint8Array(Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64")),
    4096,
  );
  f.dir.add("user", { passwordHash: "x", scramSha256: formatScramSecret(keys) }, { disabled: true });
  const x = createScramSha256Exchange(f.auth, authContext(), {
    fakeSaltKey: FAKE_SALT_KEY,
    nonce: () => V.serverNonce,
  });
  await x.step(utf8(V.clientFirst));
  assert.deepEqual(failure(await x.step(utf8(V.clientFinal))), {
    reason: "disabled",
    serverFinal: "e=other-error",
  });
});
