/**
 * The contract of the tenancy records (`Store.organizations`, `Store.plans`, `Store.usage`, issue
 * 16), registered by tests/store/records_contract.ts for every backend.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";
import { StoreError } from "../../core/store/types.ts";
import { DEFAULT_ORGANIZATION } from "../../core/store/records/organizations.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

async function account(store: Store, address: string) {
  const domain = address.split("@")[1]!;
  if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
  return await store.createAccount({ address, secrets: SECRETS });
}

const code = (c: string) => (e: unknown) => e instanceof StoreError && e.code === c;

/** Registers the tenancy record tests through the suite's `test` (fresh store per test). */
export function tenancyRecordsContract(
  test: (title: string, fn: (c: { store: Store }) => Promise<void>) => void,
): void {
  test("organizations: accounts of unassigned domains belong to the default organization", async ({ store }) => {
    const a = await account(store, "ada@one.example");
    assert.equal(await store.organizations.orgOfAccount(a.id), DEFAULT_ORGANIZATION);
    assert.deepEqual(await store.organizations.domains(DEFAULT_ORGANIZATION), ["one.example"]);
    assert.equal(await store.organizations.orgOfAccount("a999999"), null);
    await assert.rejects(store.organizations.delete(DEFAULT_ORGANIZATION), code("forbidden"));
  });

  test("organizations: a domain moves with its accounts, roles and resources; version changes", async ({ store }) => {
    const orgs = store.organizations;
    const a = await account(store, "ada@acme.example");
    await account(store, "bob@acme.example");
    await store.addAlias("sales@acme.example", ["ada@acme.example"]);
    const v0 = await orgs.version();
    await orgs.create({ id: "acme", name: "Acme" });
    await assert.rejects(orgs.create({ id: "acme" }), code("alreadyExists"));
    await orgs.assignDomain("ACME.example", "acme");
    assert.ok((await orgs.version()) > v0);
    assert.equal(await orgs.orgOfAccount(a.id), "acme");
    assert.deepEqual(await orgs.domains("acme"), ["acme.example"]);
    assert.deepEqual(await orgs.domains(DEFAULT_ORGANIZATION), []);
    assert.deepEqual(await orgs.resources("acme"), {
      domains: 1,
      accounts: 2,
      addresses: 1,
      storageBytes: 0,
    });
    assert.equal((await orgs.resources(DEFAULT_ORGANIZATION)).accounts, 0);
    assert.equal(await orgs.roleOf(a.id), "member");
    await orgs.setRole("acme", a.id, "owner");
    assert.equal(await orgs.roleOf(a.id), "owner");
    assert.deepEqual(await orgs.roles("acme"), [{ accountId: a.id, role: "owner" }]);
    await assert.rejects(orgs.setRole(DEFAULT_ORGANIZATION, a.id, "admin"), code("invalid"));
    await assert.rejects(orgs.delete("acme"), code("hasChildren"));
    await assert.rejects(orgs.assignDomain("nowhere.example", "acme"), code("notFound"));
    // Back to the default organization: the role given in acme does not follow.
    await orgs.assignDomain("acme.example", DEFAULT_ORGANIZATION);
    assert.equal(await orgs.roleOf(a.id), "member");
    await orgs.delete("acme");
    assert.equal(await orgs.get("acme"), null);
    await orgs.setPlatformAdmin(a.id, true);
    assert.equal(await orgs.isPlatformAdmin(a.id), true);
    await orgs.setPlatformAdmin(a.id, false);
    assert.equal(await orgs.isPlatformAdmin(a.id), false);
  });

  test("organizations: storageBytes follows each delivery, expunge and domain move, asked between them", async ({ store }) => {
    const orgs = store.organizations;
    const a = await account(store, "ada@acme.example");
    await account(store, "cy@other.example");
    await orgs.create({ id: "acme" });
    await orgs.assignDomain("acme.example", "acme");
    const inbox = (await store.getMailboxByRole(a.id, "inbox"))!;
    // Asked before and after each write: a backend keeping it cached must see every write.
    assert.equal(await orgs.storageBytes("acme"), 0);
    assert.equal(await orgs.storageBytes("acme"), 0);
    const raw = (n: number) => new TextEncoder().encode(`Subject: ${n}\r\n\r\n${"x".repeat(100 * n)}\r\n`);
    const one = await store.storeMessages(raw(1), [{ accountId: a.id, mailboxIds: [inbox.id] }]);
    assert.equal(await orgs.storageBytes("acme"), one.size);
    const two = await store.storeMessages(raw(2), [{ accountId: a.id, mailboxIds: [inbox.id] }]);
    assert.equal(await orgs.storageBytes("acme"), one.size + two.size);
    assert.equal(await orgs.storageBytes("acme"), (await orgs.resources("acme")).storageBytes);
    assert.equal(await orgs.storageBytes(DEFAULT_ORGANIZATION), 0);
    await store.expunge(a.id, inbox.id, [1]);
    assert.equal(await orgs.storageBytes("acme"), two.size);
    await orgs.assignDomain("acme.example", DEFAULT_ORGANIZATION);
    assert.equal(await orgs.storageBytes("acme"), 0);
    assert.equal(await orgs.storageBytes(DEFAULT_ORGANIZATION), two.size);
  });

  test("plans: created with defaults, patched, refused while in use", async ({ store }) => {
    const p = await store.plans.create({
      id: "free",
      limits: { receivedPerDay: 100 },
      features: { webhooks: false },
    });
    assert.equal(p.limits.receivedPerDay, 100);
    assert.equal(p.limits.storageBytes, null);
    assert.deepEqual(p.features, { webhooks: false, api_access: true, outbound: true });
    await assert.rejects(store.plans.create({ id: "free" }), code("alreadyExists"));
    const v = await store.organizations.version();
    const q = await store.plans.update("free", {
      limits: { receivedPerDay: null, storageBytes: 1000 },
      mailboxRetention: { trash: 30 },
    });
    assert.ok((await store.organizations.version()) > v);
    assert.equal(q.limits.receivedPerDay, null);
    assert.equal(q.limits.storageBytes, 1000);
    assert.deepEqual((await store.plans.get("free"))!.mailboxRetention, { trash: 30 });
    assert.deepEqual((await store.plans.list()).map((x) => x.id), ["free"]);
    await assert.rejects(store.organizations.create({ id: "x", planId: "nope" }), code("notFound"));
    await store.organizations.create({ id: "x", planId: "free" });
    await assert.rejects(store.plans.delete("free"), code("conflict"));
    await store.organizations.update("x", { planId: null });
    await store.plans.delete("free");
    assert.equal(await store.plans.get("free"), null);
  });

  test("usage: concurrent increments add up per day and over a month", async ({ store }) => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.usage.add(
          [
            { orgId: "acme", day: i % 2 ? "2026-03-01" : "2026-03-31", counts: { received: 1 } },
            { orgId: "other", day: "2026-03-02", counts: { sent: 2, apiCalls: 1 } },
          ],
          // Half of them may wait for a commit that other writes start (none here): written all the same.
          i % 4 < 2 ? { shareCommitMs: 5 } : undefined,
        )),
    );
    assert.deepEqual(await store.usage.sum("acme", "2026-03-01", "2026-03-01"), {
      received: 25,
      sent: 0,
      apiCalls: 0,
    });
    assert.deepEqual(await store.usage.sum("acme", "2026-03-01", "2026-03-31"), {
      received: 50,
      sent: 0,
      apiCalls: 0,
    });
    assert.deepEqual(await store.usage.sum("acme", "2026-04-01", "2026-04-30"), {
      received: 0,
      sent: 0,
      apiCalls: 0,
    });
    assert.deepEqual(await store.usage.sumAll("2026-03-01", "2026-03-31"), [
      { orgId: "acme", counts: { received: 50, sent: 0, apiCalls: 0 } },
      { orgId: "other", counts: { received: 0, sent: 100, apiCalls: 50 } },
    ]);
  });
}
