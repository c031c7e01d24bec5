/**
 * The Store interface is the whole boundary: a server built on a store seen only through it (not a
 * SqliteStore instance, no database handle) keeps its outbound queue, its bans and JMAP.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import type { Store } from "../../core/store/store.ts";
import { createToken } from "../../core/jmap/tokens.ts";
import { createHttpApp } from "../../protocols/jmap/app.ts";

/** `real` seen only through the Store interface: no `database`, not `instanceof SqliteStore`. */
function interfaceOnly(real: SqliteStore): Store {
  return new Proxy(real, {
    get(target, key) {
      if (key === "database") return undefined;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    has: (target, key) => key !== "database" && Reflect.has(target, key),
    getPrototypeOf: () => Object.prototype,
  });
}

Deno.test("createServer on a store seen only through its interface keeps the queue, bans and JMAP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-boundary-" });
  const real = await SqliteStore.open({ dataDir: dir });
  const store = interfaceOnly(real);
  assert.equal(store instanceof SqliteStore, false);
  assert.equal("database" in store, false);
  const config = testConfig(dir, {
    local_domains: ["example.org"],
    policy: { ban_failures: 2, ban_window_seconds: 60, ban_seconds: 600 },
  });
  // Listeners are never started: nothing here touches the network.
  const srv = await createServer(config, undefined, { store });
  try {
    // The outbound queue exists and keeps its records in the store.
    assert.ok(srv.context.outbound, "no outbound queue");
    // Bans go to the store, where `tern ban list` (another process) reads them.
    await srv.context.policy!.recordAuthFailure("192.0.2.9");
    await srv.context.policy!.recordAuthFailure("192.0.2.9");
    assert.deepEqual((await real.bans.list(new Date())).map((b) => b.address), ["192.0.2.9"]);
    // JMAP objects live in the store too: a Bearer token and the default Identity.
    await store.createAccount({
      address: "alice@example.org",
      displayName: "Alice",
      secrets: { passwordHash: "x" },
    });
    const { token } = await createToken(store, "alice@example.org", "test");
    const res = await createHttpApp(srv.context).request(
      new Request("http://jmap.test/jmap/api", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:submission"],
          methodCalls: [["Identity/get", {
            accountId: (await store.getAccountByAddress("alice@example.org"))!.id,
          }, "0"]],
        }),
      }),
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.methodResponses[0][0], "Identity/get");
    assert.deepEqual(body.methodResponses[0][1].list.map((i: { email: string }) => i.email), [
      "alice@example.org",
    ]);
  } finally {
    await srv.stop();
    await real.close();
    await Deno.remove(dir, { recursive: true });
  }
});
