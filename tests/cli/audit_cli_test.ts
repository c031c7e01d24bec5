/**
 * Changes made with the `tern` command are in the audit log (actor `cli`), next to those made
 * through the admin API: the same store records both.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tern } from "./_tern.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

Deno.test("tern domain, user, alias and token changes are recorded in the audit log with actor cli", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-cli-audit-" });
  try {
    const ok = async (args: string[], stdin?: string) => {
      const r = await tern(dir, args, stdin);
      assert.equal(r.code, 0, `tern ${args.join(" ")}: ${r.stderr}`);
    };
    await ok(["domain", "add", "example.com"]);
    await ok(["user", "add", "ada@example.com", "--password-stdin"], "first-secret\n");
    await ok(["user", "set", "ada@example.com", "--name", "Ada"]);
    await ok(["alias", "add", "sales@example.com", "ada@example.com"]);
    await ok(["token", "create", "ada@example.com", "--scope", "read-only"]);
    const bad = await tern(dir, ["token", "create", "ada@example.com", "--scope", "root"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid scope "root"/);
    await ok(["alias", "delete", "sales@example.com"]);
    const store = await SqliteStore.open({ dataDir: join(dir, "data") });
    try {
      const entries = await store.audit.list({ limit: 20 });
      assert.deepEqual(entries.map((e) => e.action).reverse(), [
        "domain.create",
        "account.create",
        "account.update",
        "alias.create",
        "token.create",
        "alias.delete",
      ]);
      assert.ok(entries.every((e) => e.actor === "cli" && e.orgId === "default"));
      assert.deepEqual(entries.find((e) => e.action === "account.update")?.after, { displayName: "Ada" });
      assert.ok(!JSON.stringify(entries).includes("first-secret"), "no password in the log");
      assert.deepEqual((await store.tokens.list()).map((t) => t.scope), ["read-only"]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
