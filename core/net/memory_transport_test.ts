import assert from "node:assert/strict";
import { createMemoryTransportPair } from "./memory_transport.ts";
import { ByteReader } from "./reader.ts";

Deno.test("createMemoryTransportPair carries bytes both ways and closes both ends", async () => {
  const [server, client] = createMemoryTransportPair({ clientAddress: "127.0.0.2" });
  assert.equal(server.remoteAddress, "127.0.0.2");
  await client.write("hello\r\n");
  const line = await new ByteReader(server).readLine(100);
  assert.equal(new TextDecoder().decode(line!.line), "hello");
  await server.write("220 ok\r\n");
  assert.equal(new TextDecoder().decode((await client.read())!), "220 ok\r\n");
  await server.upgradeTls();
  assert.equal(client.secure, true);
  client.close();
  assert.equal(await server.read(), null);
  await server.closed;
});
