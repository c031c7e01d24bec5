import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { testConfig } from "../config/test_config.ts";
import { createAuthService } from "../auth/service.ts";
import { nullLogger } from "../log/logger.ts";
import type { ServerContext } from "../context.ts";
import { AuditLog } from "../audit/audit_log.ts";
import { createOrgResolver } from "../authz/roles.ts";
import { ApiSessions, type ClientInfo } from "./sessions.ts";

const DAY = 86_400_000;

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "tern-api-sessions-" });
  const clock = {
    t: Date.UTC(2026, 0, 1),
    now() {
      return new Date(this.t);
    },
  };
  const config = testConfig(dir, { api: { session_idle: 7 * 86_400, session_absolute: 20 * 86_400 } });
  const store = await SqliteStore.open({ dataDir: dir, clock });
  const auth = createAuthService(store, config, clock);
  await store.addDomain("example.org");
  await store.createAccount({ address: "ada@example.org", secrets: await auth.deriveSecrets("pencil-1") });
  const ctx: ServerContext = { config, store, auth, clock, log: nullLogger };
  const audit = new AuditLog(store.audit, clock);
  const key = new Uint8Array(32).fill(7);
  const sessions = new ApiSessions(ctx, () => Promise.resolve(key), audit, createOrgResolver(ctx));
  return {
    clock,
    store,
    sessions,
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const laptop = (ip: string): ClientInfo => ({ ip, userAgent: "Laptop/1", secure: true });

Deno.test("ApiSessions: a refresh from another IP address with the same device goes through", async () => {
  const s = await setup();
  try {
    const r = await s.sessions.login("ada@example.org", "pencil-1", laptop("192.0.2.1"));
    assert.ok(r.ok);
    const next = await s.sessions.refresh(r.tokens.refreshToken, laptop("198.51.100.9"));
    assert.ok(next.ok, "Wi-Fi to 4G is safe");
    assert.equal((await s.store.apiSessions.get(r.tokens.sessionId))?.ip, "198.51.100.9");
  } finally {
    await s.close();
  }
});

Deno.test("ApiSessions: a session idle longer than api.session_idle, or older than api.session_absolute, cannot be refreshed", async () => {
  const s = await setup();
  try {
    const a = await s.sessions.login("ada@example.org", "pencil-1", laptop("192.0.2.1"));
    assert.ok(a.ok);
    s.clock.t += 7 * DAY + 1000;
    assert.deepEqual(await s.sessions.refresh(a.tokens.refreshToken, laptop("192.0.2.1")), {
      ok: false,
      reason: "expired",
    });

    const b = await s.sessions.login("ada@example.org", "pencil-1", laptop("192.0.2.1"));
    assert.ok(b.ok);
    let token = b.tokens.refreshToken;
    // Active every 6 days: never idle, but the session ends 20 days after the login.
    for (let day = 6; day < 20; day += 6) {
      s.clock.t += 6 * DAY;
      const r = await s.sessions.refresh(token, laptop("192.0.2.1"));
      assert.ok(r.ok, `day ${day}`);
      assert.ok(r.tokens.refreshExpiresIn <= (20 - day) * 86_400, "never past the session's end");
      token = r.tokens.refreshToken;
    }
    s.clock.t += 3 * DAY;
    assert.deepEqual(await s.sessions.refresh(token, laptop("192.0.2.1")), { ok: false, reason: "expired" });
  } finally {
    await s.close();
  }
});

Deno.test("ApiSessions: a wrong password and a disabled account are refused without a session", async () => {
  const s = await setup();
  try {
    assert.deepEqual(await s.sessions.login("ada@example.org", "nope", laptop("192.0.2.1")), {
      ok: false,
      reason: "invalid",
    });
    const ada = (await s.store.getAccountByAddress("ada@example.org"))!;
    await s.store.updateAccount(ada.id, { disabled: true });
    const r = await s.sessions.login("ada@example.org", "pencil-1", laptop("192.0.2.1"));
    assert.equal(r.ok, false);
    assert.deepEqual(await s.store.apiSessions.list({ all: true }), []);
  } finally {
    await s.close();
  }
});
