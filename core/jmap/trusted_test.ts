import assert from "node:assert/strict";
import { ReplayGuard, signTrusted, TrustedHeader, verifyTrusted } from "./trusted.ts";

const services = [{ name: "web", hmac_secret: "k" }];
const now = 1_800_000_000_000;

function headers(over: Partial<Record<string, string>> = {}, key = "k"): Headers {
  const f = { user: "u@example.org", tenant: "t", session: "s", requestId: "r1", timestamp: now / 1000 };
  return new Headers({
    [TrustedHeader.service]: "web",
    [TrustedHeader.user]: f.user,
    [TrustedHeader.tenant]: f.tenant,
    [TrustedHeader.session]: f.session,
    [TrustedHeader.requestId]: f.requestId,
    [TrustedHeader.timestamp]: String(f.timestamp),
    [TrustedHeader.signature]: signTrusted(key, f),
    ...over,
  });
}

Deno.test("verifyTrusted accepts a fresh signed request once and refuses tampering, staleness and replays", () => {
  const guard = new ReplayGuard();
  assert.equal(verifyTrusted(new Headers(), services, now, 300, guard), null);
  assert.deepEqual(verifyTrusted(headers(), services, now, 300, guard), {
    ok: true,
    service: "web",
    user: "u@example.org",
    tenant: "t",
  });
  assert.deepEqual(verifyTrusted(headers(), services, now, 300, guard), {
    ok: false,
    reason: "replayed request id",
  });
  assert.equal(
    verifyTrusted(headers({ [TrustedHeader.user]: "root@example.org" }), services, now, 300, guard)?.ok,
    false,
  );
  assert.deepEqual(verifyTrusted(headers({}, "other"), services, now, 300, guard), {
    ok: false,
    reason: "bad signature",
  });
  assert.deepEqual(verifyTrusted(headers(), services, now + 301_000, 300, new ReplayGuard()), {
    ok: false,
    reason: "stale timestamp",
  });
  assert.equal(
    verifyTrusted(headers({ [TrustedHeader.service]: "nope" }), services, now, 300, guard)?.ok,
    false,
  );
});
