import assert from "node:assert/strict";
import { Database } from "../database.ts";
import { migratePop3Sizes } from "./pop3_sizes.ts";

Deno.test("pop3 size migration 2 keeps the sizes of live blobs only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-pop3-migration-" });
  const db = Database.open(`${dir}/t.db`);
  try {
    db.exec("CREATE TABLE blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, refcount INTEGER NOT NULL)");
    db.applyMigrations("pop3", [{
      version: 1,
      sql:
        "CREATE TABLE pop3_virtual_sizes (blob_id TEXT PRIMARY KEY, size INTEGER NOT NULL) STRICT, WITHOUT ROWID;",
    }]);
    const live = "a".repeat(64);
    db.transaction(() => {
      db.run("INSERT INTO blobs (hash, size, refcount) VALUES (?, 10, 1)", live);
      db.run("INSERT INTO pop3_virtual_sizes VALUES (?, 12), (?, 99)", live, "b".repeat(64));
    });
    migratePop3Sizes(db);
    assert.deepEqual(db.values("SELECT blob_id, size FROM pop3_virtual_sizes"), [[live, 12]]);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
