import assert from "node:assert/strict";
import { StaticDnsResolver } from "../dns/resolver.ts";
import { OutboundHttpClient, OutboundHttpError, OutboundHttpRefused, refusedRange } from "./outbound_http.ts";

/** A loopback receiver that records what it got. */
function receiver(handler: (req: Request, body: Uint8Array) => Response | Promise<Response>) {
  const got: { method: string; url: string; headers: Headers; body: Uint8Array }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    got.push({ method: req.method, url: req.url, headers: req.headers, body });
    return await handler(req, body);
  });
  return { got, port: server.addr.port, close: () => server.shutdown() };
}

Deno.test("refusedRange refuses loopback, private, link-local, multicast, unspecified and mapped forms; allows global unicast", () => {
  const refused = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
  ];
  for (const a of refused) assert(refusedRange(a) !== null, `${a} should be refused`);
  for (const a of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]) {
    assert.deepEqual(refusedRange(a), null, `${a} should be allowed`);
  }
  assert.deepEqual(refusedRange("127.0.0.1", ["127.0.0.0/8"]), null);
  assert.deepEqual(refusedRange("::1", ["::1/128"]), null);
  assert(refusedRange("10.0.0.1", ["127.0.0.0/8"]) !== null);
});

Deno.test("a loopback target is refused without the allow-list and nothing reaches it", async () => {
  const r = receiver(() => new Response("ok"));
  try {
    const client = new OutboundHttpClient(new StaticDnsResolver());
    await assert.rejects(
      () => client.request({ url: `http://127.0.0.1:${r.port}/hook`, body: "x" }),
      (e) => e instanceof OutboundHttpRefused && e.reason === "address",
    );
    assert.deepEqual(r.got.length, 0);
  } finally {
    await r.close();
  }
});

Deno.test("a host name that resolves to loopback is refused (the address is checked, not the name)", async () => {
  const r = receiver(() => new Response("ok"));
  try {
    const dns = new StaticDnsResolver([{ name: "hooks.example.com", type: "A", value: "127.0.0.1" }]);
    const client = new OutboundHttpClient(dns);
    await assert.rejects(
      () => client.request({ url: `http://hooks.example.com:${r.port}/` }),
      OutboundHttpRefused,
    );
    // With the operator's allow-list the same name is reached, at the checked address.
    const allowed = new OutboundHttpClient(dns, { allowPrivate: ["127.0.0.0/8"] });
    const res = await allowed.request({ url: `http://hooks.example.com:${r.port}/p?q=1` });
    assert.deepEqual(res.status, 200);
    assert.deepEqual(res.remoteAddress, "127.0.0.1");
    assert.deepEqual(r.got[0]!.headers.get("host"), `hooks.example.com:${r.port}`);
    assert.deepEqual(new URL(r.got[0]!.url).pathname + new URL(r.got[0]!.url).search, "/p?q=1");
  } finally {
    await r.close();
  }
});

Deno.test("non-http schemes and URLs with credentials are refused", async () => {
  const client = new OutboundHttpClient(new StaticDnsResolver(), { allowPrivate: ["127.0.0.0/8"] });
  for (
    const url of ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/", "http://u:p@127.0.0.1/"]
  ) {
    await assert.rejects(() => client.request({ url }), OutboundHttpRefused);
  }
});

Deno.test("POST with headers and body arrives intact; status, headers and body come back", async () => {
  const r = receiver((_req, body) =>
    new Response(`got ${body.length}`, { status: 201, headers: { "x-reply": "yes" } })
  );
  try {
    const client = new OutboundHttpClient(new StaticDnsResolver(), { allowPrivate: ["127.0.0.1/32"] });
    const payload = JSON.stringify({ a: "é".repeat(1000) });
    const res = await client.request({
      url: `http://127.0.0.1:${r.port}/in`,
      headers: { "content-type": "application/json", "webhook-id": "msg_1" },
      body: payload,
    });
    assert.deepEqual(res.status, 201);
    assert.deepEqual(res.headers.get("x-reply"), "yes");
    const sent = new TextEncoder().encode(payload);
    assert.deepEqual(new TextDecoder().decode(res.body), `got ${sent.length}`);
    assert.deepEqual(r.got[0]!.method, "POST");
    assert.deepEqual(r.got[0]!.headers.get("webhook-id"), "msg_1");
    assert.deepEqual(r.got[0]!.body, sent);
  } finally {
    await r.close();
  }
});

Deno.test("the response body is cut at the cap and marked truncated; chunked bodies are decoded", async () => {
  const big = new Uint8Array(200_000).fill(0x61);
  const r = receiver((req) => {
    if (new URL(req.url).pathname === "/chunked") {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode("hello "));
          c.enqueue(new TextEncoder().encode("world"));
          c.close();
        },
      });
      return new Response(stream);
    }
    return new Response(big);
  });
  try {
    const client = new OutboundHttpClient(new StaticDnsResolver(), {
      allowPrivate: ["127.0.0.0/8"],
      maxResponseBytes: 1000,
    });
    const res = await client.request({ url: `http://127.0.0.1:${r.port}/big` });
    assert.deepEqual(res.body.length, 1000);
    assert.deepEqual(res.truncated, true);
    const chunked = await client.request({ url: `http://127.0.0.1:${r.port}/chunked` });
    assert.deepEqual(new TextDecoder().decode(chunked.body), "hello world");
    assert.deepEqual(chunked.truncated, false);
  } finally {
    await r.close();
  }
});

Deno.test("a redirect to a refused target is refused; an allowed one is followed only when asked", async () => {
  const r = receiver((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/to-metadata") return Response.redirect("http://169.254.169.254/latest/meta-data/", 302);
    if (path === "/to-local") return new Response(null, { status: 307, headers: { location: "/final" } });
    return new Response("final");
  });
  try {
    const client = new OutboundHttpClient(new StaticDnsResolver(), { allowPrivate: ["127.0.0.0/8"] });
    await assert.rejects(
      () => client.request({ url: `http://127.0.0.1:${r.port}/to-metadata`, maxRedirects: 3 }),
      OutboundHttpRefused,
    );
    const notFollowed = await client.request({ url: `http://127.0.0.1:${r.port}/to-local` });
    assert.deepEqual(notFollowed.status, 307);
    const followed = await client.request({ url: `http://127.0.0.1:${r.port}/to-local`, maxRedirects: 1 });
    assert.deepEqual(followed.status, 200);
    assert.deepEqual(new TextDecoder().decode(followed.body), "final");
  } finally {
    await r.close();
  }
});

Deno.test("a receiver that never answers fails with a timeout error instead of hanging", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })();
  try {
    const client = new OutboundHttpClient(new StaticDnsResolver(), {
      allowPrivate: ["127.0.0.0/8"],
      timeoutMs: 300,
    });
    await assert.rejects(
      () => client.request({ url: `http://127.0.0.1:${listener.addr.port}/` }),
      OutboundHttpError,
    );
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }
});

Deno.test("https: the connection goes to the checked address, the certificate is verified for the URL's host name", async () => {
  const { generateSelfSigned } = await import("../tls/self_signed.ts");
  const material = await generateSelfSigned("hooks.example.test", new Date());
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: material.cert, key: material.key, onListen() {} },
    (req) => new Response(`tls ${new URL(req.url).pathname}`),
  );
  try {
    const dns = new StaticDnsResolver([
      { name: "hooks.example.test", type: "A", value: "127.0.0.1" },
      { name: "other.example.test", type: "A", value: "127.0.0.1" },
    ]);
    const client = new OutboundHttpClient(dns, { allowPrivate: ["127.0.0.0/8"], caCerts: [material.cert] });
    const res = await client.request({ url: `https://hooks.example.test:${server.addr.port}/x` });
    assert.equal(res.status, 200);
    assert.equal(new TextDecoder().decode(res.body), "tls /x");
    // The same server under a name its certificate does not carry: the handshake fails.
    await assert.rejects(
      () => client.request({ url: `https://other.example.test:${server.addr.port}/x` }),
      OutboundHttpError,
    );
    // Without the CA: not trusted.
    const untrusting = new OutboundHttpClient(dns, { allowPrivate: ["127.0.0.0/8"] });
    await assert.rejects(
      () => untrusting.request({ url: `https://hooks.example.test:${server.addr.port}/x` }),
      OutboundHttpError,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("property: any bytes a server answers give a response or an OutboundHttpError, never another failure", async () => {
  const fc = (await import("fast-check")).default;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let reply = new Uint8Array(0);
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(4096);
        await conn.read(buf).catch(() => null);
        await conn.write(reply).catch(() => {});
        conn.close();
      })();
    }
  })();
  const client = new OutboundHttpClient(new StaticDnsResolver(), {
    allowPrivate: ["127.0.0.0/8"],
    timeoutMs: 2000,
    maxResponseBytes: 512,
  });
  const head = fc.constantFrom(
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.1 204 No Content\r\n",
    "HTTP/1.0 500 x\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
    "",
  );
  const field = fc.constantFrom(
    "Content-Length: 5\r\n",
    "Content-Length: 99999\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Location: /x\r\n",
    "X: \u00ff\r\n",
    "bad line\r\n",
  );
  try {
    await fc.assert(
      fc.asyncProperty(
        head,
        fc.array(field, { maxLength: 4 }),
        fc.uint8Array({ maxLength: 2000, size: "max" }),
        async (h, fs, body) => {
          const text = new TextEncoder().encode(h + fs.join("") + "\r\n");
          reply = new Uint8Array([...text, ...body]);
          try {
            const res = await client.request({
              url: `http://127.0.0.1:${listener.addr.port}/`,
              maxRedirects: 1,
            });
            assert.ok(res.body.length <= 512);
          } catch (e) {
            assert.ok(e instanceof OutboundHttpError, String(e));
          }
        },
      ),
      { numRuns: 150 },
    );
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("keep-alive: requests to the same target reuse one connection; a connection the server closed is replaced", async () => {
  const ports: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req, info) => {
    await req.arrayBuffer();
    ports.push(info.remoteAddr.port);
    return new Response("ok");
  });
  const client = new OutboundHttpClient(new StaticDnsResolver(), {
    allowPrivate: ["127.0.0.0/8"],
    keepAliveMs: 5000,
  });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await client.request({ url: `http://127.0.0.1:${server.addr.port}/${i}`, body: "x" });
      assert.equal(res.status, 200);
    }
    assert.equal(new Set(ports).size, 1, "one connection for the three requests");
  } finally {
    client.close();
    await server.shutdown();
  }
  // A server that answers one request per connection and closes it without saying so.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      (async () => {
        await conn.read(new Uint8Array(4096)).catch(() => null);
        await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")).catch(
          () => {},
        );
        conn.close();
      })();
    }
  })();
  const again = new OutboundHttpClient(new StaticDnsResolver(), {
    allowPrivate: ["127.0.0.0/8"],
    keepAliveMs: 5000,
  });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await again.request({ url: `http://127.0.0.1:${listener.addr.port}/`, body: "x" });
      assert.equal(new TextDecoder().decode(res.body), "ok");
    }
    assert.equal(accepted, 3);
  } finally {
    again.close();
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("without keepAliveMs every request has its own connection, marked Connection: close", async () => {
  const seen: { port: number; connection: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req, info) => {
    seen.push({ port: info.remoteAddr.port, connection: req.headers.get("connection") });
    return new Response("ok");
  });
  try {
    const client = new OutboundHttpClient(new StaticDnsResolver(), { allowPrivate: ["127.0.0.0/8"] });
    for (let i = 0; i < 2; i++) await client.request({ url: `http://127.0.0.1:${server.addr.port}/` });
    assert.equal(new Set(seen.map((s) => s.port)).size, 2);
    assert.deepEqual(seen.map((s) => s.connection), ["close", "close"]);
  } finally {
    await server.shutdown();
  }
});
