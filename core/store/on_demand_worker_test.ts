/**
 * `OnDemandWorker`: started on first use, stopped when idle and started again, and a worker that
 * fails is not started again.
 *
 * @module
 */
import assert from "node:assert/strict";
import { OnDemandWorker } from "./on_demand_worker.ts";

/** Writes a worker module into a temporary directory; returns its URL and a cleanup. */
async function workerModule(source: string): Promise<{ url: URL; remove: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "tern-on-demand-worker-" });
  const path = `${dir}/w.ts`;
  await Deno.writeTextFile(path, source);
  return { url: new URL(`file://${path}`), remove: () => Deno.remove(dir, { recursive: true }) };
}

const ECHO = `self.onmessage = (e) => self.postMessage({ echo: e.data });\n`;

Deno.test("OnDemandWorker: replies reach the owner; idle, the worker stops and the next post starts a new one", async () => {
  const m = await workerModule(ECHO);
  let replies = Promise.withResolvers<unknown>();
  let stops = Promise.withResolvers<void>();
  const w = new OnDemandWorker<number, { echo: number }>(m.url, {
    reply: (r) => replies.resolve(r),
    stopped: () => stops.resolve(),
  }, 20);
  try {
    assert.equal(w.running, false);
    assert.equal(w.post(1), true);
    assert.deepEqual(await replies.promise, { echo: 1 });
    assert.equal(w.running, true);
    w.idle();
    await stops.promise;
    assert.equal(w.running, false);
    assert.equal(w.failed, false);
    replies = Promise.withResolvers();
    stops = Promise.withResolvers();
    assert.equal(w.post(2), true);
    assert.deepEqual(await replies.promise, { echo: 2 });
  } finally {
    w.stop();
    await m.remove();
  }
});

Deno.test("OnDemandWorker: a worker that fails is stopped, its owner told, and it is never started again", async () => {
  const m = await workerModule(`throw new Error("cannot start (test)");\n`);
  const stops = Promise.withResolvers<void>();
  const w = new OnDemandWorker<number, unknown>(m.url, {
    reply: () => assert.fail("no reply expected"),
    stopped: () => stops.resolve(),
  });
  try {
    assert.equal(w.post(1), true);
    await stops.promise;
    assert.equal(w.failed, true);
    assert.equal(w.running, false);
    assert.equal(w.start(), false);
    assert.equal(w.post(2), false);
  } finally {
    await m.remove();
  }
});
