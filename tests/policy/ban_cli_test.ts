/** `tern ban list|clear` against a data directory that holds bans. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tern } from "../cli/_tern.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

Deno.test("tern ban list shows active bans and tern ban clear lifts them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ban-" });
  try {
    const dataDir = join(dir, "data");
    const store = await SqliteStore.open({ dataDir });
    const bans = store.bans;
    const now = Date.now();
    await bans.put({
      address: "192.0.2.7",
      until: new Date(now + 3600_000),
      reason: "20 authentication failures",
      created: new Date(now),
    });
    await bans.put({
      address: "2001:db8:0:1::/64",
      until: new Date(now + 3600_000),
      reason: "20 authentication failures",
      created: new Date(now),
    });
    await bans.put({
      address: "192.0.2.8",
      until: new Date(now - 1000),
      reason: "expired",
      created: new Date(now - 5000),
    });
    await store.close();

    const list = await tern(dir, ["ban", "list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((b: { address: string }) => b.address), [
      "192.0.2.7",
      "2001:db8:0:1::/64",
    ]);
    const table = await tern(dir, ["ban", "list"]);
    assert.match(table.stdout, /ADDRESS\s+UNTIL\s+REASON/);
    assert.match(table.stdout, /192\.0\.2\.7 .*20 authentication failures/);

    const usage = await tern(dir, ["ban", "clear"]);
    assert.equal(usage.code, 2);
    const missing = await tern(dir, ["ban", "clear", "203.0.113.1"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No ban for "203\.0\.113\.1"/);

    const clear = await tern(dir, ["ban", "clear", "192.0.2.7"]);
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal(clear.stdout, "Cleared the ban of 192.0.2.7\n");
    const after = JSON.parse((await tern(dir, ["ban", "list", "--json"])).stdout);
    assert.deepEqual(after.map((b: { address: string }) => b.address), ["2001:db8:0:1::/64"]);
    assert.equal((await tern(dir, ["ban", "clear", "--all"])).code, 0);
    assert.deepEqual(JSON.parse((await tern(dir, ["ban", "list", "--json"])).stdout), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
