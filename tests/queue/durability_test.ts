/**
 * Restart durability: a queue process killed with SIGKILL in the middle of a delivery loses
 * nothing, and after restart every recipient is delivered exactly once.
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { systemClock } from "../../core/clock.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createQueue } from "../../core/queue/start.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { sampleMessage } from "./_harness.ts";
import { startSink } from "./_sink.ts";

const MESSAGES = 10;

Deno.test("Queue survives kill -9 during delivery: every recipient delivered exactly once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-durable-" });
  // The first sink acknowledges three transactions, then never answers the fourth (a slow host).
  let heldResolve!: () => void;
  const held = new Promise<void>((r) => (heldResolve = r));
  let seen = 0;
  const slow = await startSink({
    hold: () => {
      if (++seen <= 3) return Promise.resolve();
      heldResolve();
      return new Promise<void>(() => {});
    },
  });
  const fast = await startSink();
  const expected: string[] = [];
  try {
    const config = defaultConfig();
    config.data_dir = dir;
    let store = await SqliteStore.open({ dataDir: dir });
    let queue = createQueue({ config, store, log: nullLogger, clock: systemClock }, {
      dns: new StaticDnsResolver(),
    })!;
    for (let i = 0; i < MESSAGES; i++) {
      const rcpts = [`a${i}@remote.test`, `b${i}@remote.test`];
      expected.push(...rcpts);
      const blob = await store.blobs.put(new TextEncoder().encode(sampleMessage()));
      await queue.enqueue({
        from: "ada@local.test",
        recipients: rcpts.map((address) => ({ address })),
        smtputf8: false,
        body: "7BIT",
        sessionId: "t",
      }, blob);
    }
    await store.close();

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL("./_child.ts", import.meta.url).pathname, dir, slow.address],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const exited = child.status.then((s) => {
      throw new Error(`child exited early: ${s.code}`);
    });
    await Promise.race([held, exited]);
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    await child.stderr.cancel();
    assert.equal(slow.messages.length, 3);

    // Restart: the queue of the same data dir, now with a host that answers.
    store = await SqliteStore.open({ dataDir: dir });
    config.queue = { ...config.queue!, relay: { hosts: [fast.address], tls: "none" } };
    queue = createQueue({ config, store, log: nullLogger, clock: systemClock }, {
      dns: new StaticDnsResolver(),
    })!;
    assert.equal((await queue.store.list()).length, MESSAGES - 3);
    await queue.runDue();
    const delivered = [...slow.messages, ...fast.messages].flatMap((m) => m.rcpts.map((r) => r.address));
    assert.deepEqual([...delivered].sort(), [...expected].sort());
    assert.equal(new Set(delivered).size, delivered.length);
    assert.deepEqual(await store.queue.list(), []);
    await store.close();
  } finally {
    await slow.close();
    await fast.close();
    await Deno.remove(dir, { recursive: true });
  }
});
