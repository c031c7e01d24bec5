import assert from "node:assert/strict";
import { constantTimeEqual } from "./constant_time.ts";

Deno.test("constantTimeEqual is true only for identical bytes", () => {
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(constantTimeEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3])), false);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

Deno.test("constantTimeEqual is false for different lengths without throwing", () => {
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array(0)), false);
});

Deno.test("constantTimeEqual is the only comparison of secrets in core/auth", async () => {
  // Digests, proofs and keys must never be compared with ===, Buffer.equals or compare().
  const dir = new URL("./", import.meta.url);
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(entry.name, dir));
    assert.doesNotMatch(source, /\.equals\(|Buffer\.compare\(/, entry.name);
  }
  for (const name of ["password.ts", "scram.ts", "sasl_cram_md5.ts", "sasl_scram_sha256.ts"]) {
    const source = await Deno.readTextFile(new URL(name, dir));
    assert.match(source, /constantTimeEqual\(/, name);
  }
});
