import assert from "node:assert/strict";
import { loadOrCreateVapidKeys } from "./vapid.ts";

Deno.test("VAPID keys are created once in <data_dir>/push/vapid.json (0600) and read back after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-vapid-" });
  try {
    const first = await loadOrCreateVapidKeys(dir, "mailto:postmaster@example.org");
    // RFC 8292 §3.2: k= is the uncompressed P-256 point (65 bytes, base64url).
    assert.equal(atob(first.publicKey.replace(/-/g, "+").replace(/_/g, "/")).length, 65);
    const again = await loadOrCreateVapidKeys(dir, "mailto:other@example.org");
    assert.deepEqual(
      { publicKey: again.publicKey, privateKey: again.privateKey },
      { publicKey: first.publicKey, privateKey: first.privateKey },
    );
    assert.equal(again.subject, "mailto:other@example.org");
    assert.equal((await Deno.stat(`${dir}/push/vapid.json`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
