import assert from "node:assert/strict";
import { SqliteStore } from "./sqlite/sqlite_store.ts";
import { startMaintenance } from "./maintenance.ts";
import { nullLogger } from "../log/logger.ts";

Deno.test("startMaintenance removes an orphan blob file past its grace period and stops cleanly", async () => {
  const dir = await Deno.makeTempDir();
  const store = await SqliteStore.open({ dataDir: dir, blobGraceMs: 0 });
  try {
    const { blobId } = await store.blobs.put(new TextEncoder().encode("never referenced"));
    assert.equal(await store.blobs.has(blobId), true);
    const m = startMaintenance(store, nullLogger, 3_600_000);
    await m.runOnce();
    assert.equal(await store.blobs.has(blobId), false);
    await m.stop();
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
