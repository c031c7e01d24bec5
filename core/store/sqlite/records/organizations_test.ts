/**
 * The SQLite organizations' cached answers (`version()`, `storageBytes()`) against writes made on
 * another connection to the same database (another process: `tern plan set`, an import).
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../sqlite_store.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

Deno.test("sqlite organizations: version and storageBytes see another connection's commits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-orgs-" });
  const a = await SqliteStore.open({ dataDir: dir, backgroundIndexing: false });
  try {
    await a.addDomain("acme.example");
    const ada = await a.createAccount({ address: "ada@acme.example", secrets: SECRETS });
    await a.organizations.create({ id: "acme" });
    await a.organizations.assignDomain("acme.example", "acme");
    const v = await a.organizations.version();
    assert.equal(await a.organizations.version(), v);
    assert.equal(await a.organizations.storageBytes("acme"), 0);
    const b = await SqliteStore.open({ dataDir: dir, backgroundIndexing: false });
    try {
      await b.plans.create({ id: "p" });
      await b.organizations.update("acme", { planId: "p" });
      const inbox = (await b.getMailboxByRole(ada.id, "inbox"))!;
      const stored = await b.storeMessages(new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n"), [
        { accountId: ada.id, mailboxIds: [inbox.id] },
      ]);
      assert.ok((await a.organizations.version()) > v);
      assert.equal(await a.organizations.storageBytes("acme"), stored.size);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite organizations: storageBytes sees every kind of write on its own connection (run, exec, a transaction's RETURNING)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-orgs-" });
  const store = await SqliteStore.open({ dataDir: dir, backgroundIndexing: false });
  try {
    await store.addDomain("acme.example");
    await store.createAccount({ address: "ada@acme.example", secrets: SECRETS });
    await store.organizations.create({ id: "acme" });
    await store.organizations.assignDomain("acme.example", "acme");
    const db = store.database;
    const orgs = store.organizations;
    assert.equal(await orgs.storageBytes("acme"), 0);
    // `data_version` does not move on this connection's own commits: only its write count can
    // show each change (asked right after version(), as a decision does, and later alike).
    await orgs.version();
    db.run("UPDATE accounts SET used_bytes = used_bytes + 10 WHERE domain = 'acme.example'");
    assert.equal(await orgs.storageBytes("acme"), 10);
    await orgs.version();
    db.exec("UPDATE accounts SET used_bytes = used_bytes + 20 WHERE domain = 'acme.example'");
    assert.equal(await orgs.storageBytes("acme"), 30);
    await orgs.version();
    db.transaction(() =>
      db.get("UPDATE accounts SET used_bytes = used_bytes + 40 WHERE domain = 'acme.example' RETURNING id")
    );
    assert.equal(await orgs.storageBytes("acme"), 70);
    // Reads move nothing: the cached sum is answered again.
    const writes = db.writes;
    await orgs.version();
    assert.equal(await orgs.storageBytes("acme"), 70);
    assert.equal(db.writes, writes);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
