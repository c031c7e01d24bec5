import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import type { Store } from "../store/store.ts";
import { nullLogger } from "../log/logger.ts";
import { systemClock } from "../clock.ts";
import { LIMIT_REFUSALS, TenancyPolicy } from "./policy.ts";
import { featureEnabled } from "./features.ts";
import { addOrganization, addPlan, setPlan } from "./operations.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

async function withStore(fn: (store: SqliteStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-policy-" });
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tenancy policy: a plan changed through another store connection applies to the next decision", async () => {
  await withStore(async (store, dir) => {
    await store.addDomain("acme.example");
    const a = await store.createAccount({ address: "a@acme.example", secrets: SECRETS });
    await addPlan(store, { id: "p", limits: { maxMessageSize: 100 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["acme.example"] });
    const policy = new TenancyPolicy(store, systemClock, nullLogger);
    assert.deepEqual(await policy.checkRecipient([a], 101), LIMIT_REFUSALS.messageSize);
    // Another process (the CLI) has its own connection to the same database.
    const other = await SqliteStore.open({ dataDir: dir });
    await setPlan(other, "p", { limits: { maxMessageSize: 1000 } });
    await other.close();
    // The server's reads of one event-loop turn share one snapshot (core/store/sqlite/database.ts
    // read scopes): another process's commit is seen from the next turn on, which a command arriving
    // over the network after it always is. In one process the test waits for that turn itself.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(await policy.checkRecipient([a], 101), null);
  });
});

Deno.test("tenancy policy: feature flags and the monthly API call limit follow the plan", async () => {
  await withStore(async (store) => {
    await store.addDomain("acme.example");
    const a = await store.createAccount({ address: "a@acme.example", secrets: SECRETS });
    const ctx = { store, clock: systemClock, log: nullLogger };
    // No plan: every feature on.
    assert.equal(await featureEnabled(ctx, { accountId: a.id }, "webhooks"), true);
    await addPlan(store, { id: "p", features: { webhooks: false }, limits: { apiCallsPerMonth: 2 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["acme.example"] });
    assert.equal(await featureEnabled(ctx, { accountId: a.id }, "webhooks"), false);
    assert.equal(await featureEnabled(ctx, { orgId: "acme" }, "api_access"), true);
    assert.equal(await featureEnabled(ctx, { orgId: "default" }, "webhooks"), true);
    const policy = new TenancyPolicy(store, systemClock, nullLogger);
    assert.equal(await policy.apiCall(a), "ok");
    assert.equal(await policy.apiCall({ orgId: "acme" }), "ok");
    assert.equal(await policy.apiCall(a.id), "overLimit");
    await setPlan(store, "p", { features: { api_access: false } });
    assert.equal(await policy.apiCall(a), "noApiAccess");
    await policy.close();
    assert.equal((await policy.usage.current("acme")).month.apiCalls, 2);
  });
});

Deno.test("tenancy policy: a decision that saw a newer version than a reload under way loads again", async () => {
  await withStore(async (store) => {
    await store.addDomain("acme.example");
    await addPlan(store, { id: "p", limits: { maxMessageSize: 100 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["acme.example"] });
    // The store, with plans.list held after it has read (a slow backend) while `gated`.
    const read = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    let gated = true;
    const plans = {
      list: async () => {
        const rows = await store.plans.list();
        if (gated) {
          read.resolve();
          await gate.promise;
        }
        return rows;
      },
    };
    const view = new Proxy(store, {
      get(target, prop) {
        if (prop === "plans") return plans;
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as Store;
    const policy = new TenancyPolicy(view, systemClock, nullLogger);
    const first = policy.planOfOrg("acme");
    await read.promise;
    // Changed after the first load read the plans, before it finished.
    await setPlan(store, "p", { limits: { maxMessageSize: 1000 } });
    gated = false;
    const second = policy.planOfOrg("acme");
    gate.resolve();
    assert.equal((await second)?.limits.maxMessageSize, 1000);
    assert.equal((await first)?.limits.maxMessageSize, 100);
  });
});
