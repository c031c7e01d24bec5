import assert from "node:assert/strict";
import zlib from "node:zlib";
import { createMemoryTransportPair } from "./memory_transport.ts";
import { DeflateTransport } from "./deflate_transport.ts";

Deno.test("DeflateTransport: each write is sync-flushed raw DEFLATE the peer decodes at once, and reads inflate", async () => {
  const [server, client] = createMemoryTransportPair();
  const z = new DeflateTransport(server);
  await z.write("* OK one\r\n");
  const first = (await client.read())!;
  // Z_SYNC_FLUSH ends every write with an empty stored block (RFC 1951 §3.2.4).
  assert.deepEqual([...first.subarray(-4)], [0, 0, 0xff, 0xff]);
  const inflate = zlib.createInflateRaw();
  const got: Uint8Array[] = [];
  inflate.on("data", (c: Uint8Array) => got.push(c));
  await new Promise<void>((r) => inflate.write(first, () => r()));
  assert.equal(new TextDecoder().decode(Buffer.concat(got)), "* OK one\r\n");
  await client.write(
    zlib.deflateRawSync(new TextEncoder().encode("a1 NOOP\r\n"), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    }),
  );
  assert.equal(new TextDecoder().decode((await z.read())!), "a1 NOOP\r\n");
  await assert.rejects(z.upgradeTls());
  inflate.destroy();
  z.close();
});

Deno.test("DeflateTransport: a decompression bomb is inflated a slice at a time, never more than ~600 KB held", async () => {
  const [server, client] = createMemoryTransportPair();
  const z = new DeflateTransport(server);
  const bomb = zlib.deflateRawSync(new Uint8Array(32 * 1024 * 1024));
  await client.write(bomb);
  client.close();
  let total = 0;
  let most = 0;
  for (;;) {
    const c = await z.read();
    if (c === null) break;
    total += c.length;
    most = Math.max(most, z.pending + c.length);
  }
  assert.equal(total, 32 * 1024 * 1024);
  assert.ok(most <= 600 * 1024, `held ${most} bytes at once`);
  z.close();
});

Deno.test("DeflateTransport: corrupt input ends the stream instead of throwing", async () => {
  const [server, client] = createMemoryTransportPair();
  const z = new DeflateTransport(server);
  await client.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(await z.read(), null);
  await assert.rejects(z.write("x"));
  z.close();
});
