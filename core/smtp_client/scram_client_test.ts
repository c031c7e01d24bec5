import assert from "node:assert/strict";
import { scramClient } from "./scram_client.ts";

Deno.test("scramClient reproduces the RFC 7677 §3 SCRAM-SHA-256 example", async () => {
  const c = scramClient("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  assert.equal(c.first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  const final = await c.final(
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  );
  assert.equal(
    final,
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  assert.equal(c.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), true);
  assert.equal(c.verify("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), false);
});

Deno.test("scramClient refuses a server nonce that does not extend the client's", async () => {
  const c = scramClient("user", "pencil", "abc");
  await assert.rejects(c.final("r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"), /Invalid SCRAM/);
});
