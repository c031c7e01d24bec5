import assert from "node:assert/strict";
import { DenoTransport, TlsHandshakeError } from "../../core/net/deno_transport.ts";
import { ByteReader } from "../../core/net/reader.ts";
import { readUntil, send, tcpPair, testMaterial, testTlsSource } from "./_tls_helpers.ts";

const dec = new TextDecoder();

Deno.test("DenoTransport reads and writes plain bytes and reports addresses", async () => {
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server);
  assert.equal(t.secure, false);
  assert.equal(t.tlsInfo, null);
  assert.equal(t.remoteAddress, "127.0.0.1");
  assert.equal(t.remotePort, (client.localAddr as Deno.NetAddr).port);
  await send(client, "hello\r\n");
  const reader = new ByteReader(t);
  const line = await reader.readLine(100);
  assert.equal(dec.decode(line?.line), "hello");
  await t.write("world\r\n");
  assert.equal(await readUntil(client, "\r\n"), "world\r\n");
  client.close();
  assert.equal(await t.read(), null);
  await t.closed;
  t.close();
  t.close(); // idempotent
});

Deno.test("DenoTransport close resolves closed and makes pending reads return null", async () => {
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server);
  const pending = t.read();
  t.close();
  assert.equal(await pending, null);
  await t.closed;
  await assert.rejects(t.write("x"));
  assert.equal(await readUntil(client, "never"), "");
  client.close();
});

Deno.test("DenoTransport upgradeTls discards pipelined plaintext and speaks TLS", async () => {
  const { cert } = await testMaterial();
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server, { tls: await testTlsSource() });
  const reader = new ByteReader(t);

  const serverSide = (async () => {
    const cmd = await reader.readLine(100);
    assert.equal(dec.decode(cmd?.line), "STARTTLS");
    // RFC 3207 §4.2: anything the client sent after STARTTLS, before the handshake, is discarded.
    const dropped = reader.discardBuffered();
    await t.write("220 Ready to start TLS\r\n");
    await t.upgradeTls();
    const next = await reader.readLine(100);
    await t.write(`got ${dec.decode(next?.line)} ${t.tlsInfo?.protocol} ${t.tlsInfo?.servername}\r\n`);
    return dropped;
  })();

  // The injected command arrives in the same segment as STARTTLS.
  await send(client, "STARTTLS\r\nRCPT TO:<injected@example.org>\r\n");
  assert.equal(await readUntil(client, "\r\n"), "220 Ready to start TLS\r\n");
  const tls = await Deno.startTls(client, { hostname: "localhost", caCerts: [cert] });
  await send(tls, "EHLO secure\r\n");
  const reply = await readUntil(tls, "\r\n");
  const dropped = await serverSide;
  assert.ok(dropped > 0, "the pipelined bytes were buffered and dropped");
  assert.match(reply, /^got EHLO secure TLSv1\.[23] localhost\r\n$/);
  assert.equal(t.secure, true);
  assert.ok(t.tlsInfo?.cipher && t.tlsInfo.cipher !== "unknown");
  tls.close();
  await t.closed; // resolves on the peer's close, without a read
  assert.equal(await t.read(), null);
  t.close();
});

Deno.test("DenoTransport delivers the last TLS write before close", async () => {
  const { cert } = await testMaterial();
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server, { tls: await testTlsSource() });
  const upgraded = t.upgradeTls();
  const tls = await Deno.startTls(client, { hostname: "localhost", caCerts: [cert] });
  await tls.handshake();
  await upgraded;
  const big = "x".repeat(200_000);
  await t.write(big + "\r\n221 Bye\r\n");
  t.close();
  const text = await readUntil(tls, "221 Bye\r\n");
  assert.ok(text.endsWith("221 Bye\r\n"));
  assert.equal(text.length, big.length + 11);
  tls.close();
  await t.closed;
});

Deno.test("DenoTransport upgradeTls fails cleanly on a non-TLS peer", async () => {
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server, { tls: await testTlsSource() });
  const upgraded = t.upgradeTls();
  await send(client, "this is not a TLS ClientHello\r\n\r\n");
  await assert.rejects(upgraded, TlsHandshakeError);
  await t.closed;
  client.close();
});

Deno.test("DenoTransport upgradeTls without a certificate throws", async () => {
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server);
  await assert.rejects(t.upgradeTls(), TlsHandshakeError);
  t.close();
  client.close();
});

Deno.test("DenoTransport over a Deno.TlsConn from Deno.listenTls is secure from the start", async () => {
  const { cert, key } = await testMaterial();
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  try {
    const [server, client] = await Promise.all([
      listener.accept(),
      Deno.connectTls({ hostname: "localhost", port: listener.addr.port, caCerts: [cert] }),
    ]);
    const t = new DenoTransport(server, { nativeTls: true });
    assert.equal(t.secure, true);
    assert.ok(t.tlsInfo);
    await assert.rejects(t.upgradeTls(), TlsHandshakeError);
    await t.write("* OK\r\n");
    assert.equal(await readUntil(client, "\r\n"), "* OK\r\n");
    await send(client, "a NOOP\r\n");
    assert.equal(dec.decode(await t.read() ?? new Uint8Array()), "a NOOP\r\n");
    client.close();
    assert.equal(await t.read(), null);
    t.close();
  } finally {
    listener.close();
  }
});

Deno.test("DenoTransport reads short input into a small buffer and bulk input into a large one, bytes intact", async () => {
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server);
  const bulk = new Uint8Array(40_000).map((_, i) => (i * 7 + 3) % 251);
  /** Reads `n` bytes; returns the size of each read. */
  const readBytes = async (n: number, into: Uint8Array[]): Promise<number[]> => {
    const sizes: number[] = [];
    for (let got = 0; got < n;) {
      const chunk = (await t.read())!;
      sizes.push(chunk.length);
      into.push(chunk);
      got += chunk.length;
    }
    return sizes;
  };
  try {
    for (let round = 0; round < 2; round++) {
      // A session that only sent short lines (commands, an idle session) holds a small buffer: the
      // first read of bulk input takes 2 KiB, the following ones up to 16 KiB.
      for (let i = 0; i < 8; i++) {
        await client.write(new TextEncoder().encode(`a${i}\r\n`));
        assert.equal(dec.decode((await t.read())!), `a${i}\r\n`);
      }
      const chunks: Uint8Array[] = [];
      // Read while writing: the write never waits on a full socket buffer.
      const reading = readBytes(bulk.length, chunks);
      for (let off = 0; off < bulk.length;) off += await client.write(bulk.subarray(off));
      const sizes = await reading;
      assert.equal(sizes[0], 2048, `read sizes ${sizes}`);
      assert.ok(
        sizes.slice(1).every((s) => s <= 16 * 1024) && sizes.some((s) => s > 2048),
        `read sizes ${sizes}`,
      );
      const all = new Uint8Array(bulk.length);
      let at = 0;
      for (const c of chunks) all.set(c, (at += c.length) - c.length);
      assert.deepEqual(all, bulk);
    }
  } finally {
    client.close();
    t.close();
  }
});
