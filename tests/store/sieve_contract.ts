/**
 * The contract of the Sieve script records (`Store.sieveScripts`, issue 20), registered by
 * tests/store/records_contract.ts for every backend: many scripts per account, one active, renames
 * and deletes with their refusals, state, and the vacation and duplicate trackers.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";
import { StoreError } from "../../core/store/types.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

async function account(store: Store, address: string) {
  const domain = address.split("@")[1]!;
  if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
  return await store.createAccount({ address, secrets: SECRETS });
}

const code = (c: string) => (e: unknown) => e instanceof StoreError && e.code === c;

/** Registers the Sieve record tests through the suite's `test` (fresh store per test). */
export function sieveRecordsContract<C extends { store: Store }>(
  test: (title: string, fn: (c: C) => Promise<void>) => void,
  reopen: (c: C) => Promise<void>,
): void {
  test("sieve scripts: many per account, one active, replace keeps id and bumps version, kept across a reopen", async (c) => {
    const a = await account(c.store, "sieve@one.example");
    const b = await account(c.store, "other@one.example");
    const s0 = await c.store.sieveScripts.state(a.id);
    const one = await c.store.sieveScripts.put(a.id, "one", "keep;");
    const two = await c.store.sieveScripts.put(a.id, "two", "discard;");
    assert.equal(one.version, 1);
    assert.equal(one.size, 5);
    assert.notEqual(await c.store.sieveScripts.state(a.id), s0);
    await c.store.sieveScripts.setActive(a.id, "one");
    await c.store.sieveScripts.setActive(a.id, "two");
    const again = await c.store.sieveScripts.put(a.id, "two", "stop; # ünï");
    assert.equal(again.id, two.id);
    assert.equal(again.version, 2);
    assert.equal(again.size, 13);
    assert.equal(again.isActive, true);
    await reopen(c);
    const list = await c.store.sieveScripts.list(a.id);
    assert.deepEqual(list.map((s) => [s.name, s.isActive]), [["one", false], ["two", true]]);
    assert.equal((await c.store.sieveScripts.active(a.id))!.content, "stop; # ünï");
    assert.equal((await c.store.sieveScripts.getById(a.id, one.id))!.name, "one");
    assert.equal(await c.store.sieveScripts.getById(b.id, one.id), null);
    assert.deepEqual(await c.store.sieveScripts.list(b.id), []);
    assert.equal(await c.store.sieveScripts.active(b.id), null);
    await c.store.sieveScripts.setActive(a.id, null);
    assert.equal(await c.store.sieveScripts.active(a.id), null);
    await assert.rejects(c.store.sieveScripts.setActive(a.id, "nope"), code("notFound"));
  });

  test("sieve scripts: rename keeps id and active flag; delete refuses the active script", async (c) => {
    const a = await account(c.store, "ren@one.example");
    const one = await c.store.sieveScripts.put(a.id, "one", "keep;");
    await c.store.sieveScripts.put(a.id, "two", "keep;");
    await c.store.sieveScripts.setActive(a.id, "one");
    await assert.rejects(c.store.sieveScripts.rename(a.id, "one", "two"), code("alreadyExists"));
    await assert.rejects(c.store.sieveScripts.rename(a.id, "nope", "x"), code("notFound"));
    await c.store.sieveScripts.rename(a.id, "one", "uno");
    const uno = (await c.store.sieveScripts.get(a.id, "uno"))!;
    assert.equal(uno.id, one.id);
    assert.equal(uno.isActive, true);
    await assert.rejects(c.store.sieveScripts.delete(a.id, "uno"), code("conflict"));
    await assert.rejects(c.store.sieveScripts.delete(a.id, "nope"), code("notFound"));
    await c.store.sieveScripts.delete(a.id, "two");
    assert.deepEqual((await c.store.sieveScripts.list(a.id)).map((s) => s.name), ["uno"]);
  });

  test("sieve trackers: one vacation reply per sender and handle per period; duplicate ids seen within their period", async (c) => {
    const a = await account(c.store, "trk@one.example");
    const day = 86_400_000;
    const sv = c.store.sieveScripts;
    assert.equal(await sv.claimVacation(a.id, "h", "Ann@Remote.example", new Date(day), 7 * day), true);
    assert.equal(await sv.claimVacation(a.id, "h", "ann@remote.example", new Date(2 * day), 7 * day), false);
    assert.equal(
      await sv.claimVacation(a.id, "other", "ann@remote.example", new Date(2 * day), 7 * day),
      true,
    );
    assert.equal(await sv.claimVacation(a.id, "h", "ann@remote.example", new Date(9 * day), 7 * day), true);
    // RFC 7352 §3: looking an id up records nothing; recording adds it for its period.
    assert.equal(await sv.isDuplicate(a.id, "", "<m1@x>", new Date(0)), false);
    assert.equal(await sv.isDuplicate(a.id, "", "<m1@x>", new Date(0)), false);
    await sv.recordDuplicate(a.id, "", "<m1@x>", new Date(0), day, false);
    assert.equal(await sv.isDuplicate(a.id, "", "<m1@x>", new Date(day / 2)), true);
    assert.equal(await sv.isDuplicate(a.id, "other", "<m1@x>", new Date(day / 2)), false);
    // Recording a listed id again keeps its expiry: expired after one day.
    await sv.recordDuplicate(a.id, "", "<m1@x>", new Date(0.9 * day), day, false);
    assert.equal(await sv.isDuplicate(a.id, "", "<m1@x>", new Date(1.5 * day)), false);
    // Expired: recorded afresh; with restart (:last) the period starts again at each sighting.
    await sv.recordDuplicate(a.id, "", "<m1@x>", new Date(2 * day), day, false);
    await sv.recordDuplicate(a.id, "", "<m1@x>", new Date(2.9 * day), day, true);
    assert.equal(await sv.isDuplicate(a.id, "", "<m1@x>", new Date(3.5 * day)), true);
    assert.equal(await sv.isDuplicate(a.id, "", "<m1@x>", new Date(4 * day)), false);
  });
}
