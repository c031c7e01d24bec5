import assert from "node:assert/strict";
import { MessageSpool } from "./spool.ts";

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test("MessageSpool keeps small messages in memory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = new MessageSpool({ dataDir: dir, threshold: 100, maxSize: 1000 });
    await s.append(new Uint8Array([1, 2]));
    await s.append(new Uint8Array([3]));
    assert.equal(s.spilled, false);
    assert.deepEqual(s.bytes(), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await readAll(await s.stream()), new Uint8Array([1, 2, 3]));
    await s.discard();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MessageSpool spills above the threshold and removes its temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = new MessageSpool({ dataDir: dir, threshold: 10, maxSize: 1000 });
    const data = new Uint8Array(500).map((_, i) => i % 251);
    for (let i = 0; i < 500; i += 7) await s.append(data.subarray(i, i + 7));
    assert.equal(s.spilled, true);
    assert.equal(s.bytes(), null);
    assert.equal(s.head().length, 14);
    assert.deepEqual(await readAll(await s.stream()), data);
    assert.equal([...Deno.readDirSync(`${dir}/tmp`)].length, 1);
    await s.discard();
    assert.equal([...Deno.readDirSync(`${dir}/tmp`)].length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MessageSpool drops everything once over the size limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = new MessageSpool({ dataDir: dir, threshold: 10, maxSize: 50 });
    for (let i = 0; i < 10; i++) await s.append(new Uint8Array(20));
    assert.equal(s.overflowed, true);
    assert.equal(s.size, 200);
    assert.equal([...Deno.readDirSync(`${dir}/tmp`)].length, 0);
    await s.discard();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
