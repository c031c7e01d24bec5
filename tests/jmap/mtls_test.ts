/**
 * Wire tests of JMAP over HTTPS (node:https in core/net/https_server.ts): the mTLS trusted front
 * end (a client certificate issued by `jmap.client_ca` whose subject is a trusted service acts as
 * the user in X-Tern-User), Basic login without a certificate, refusals of other certificates
 * (401, counted as failed logins), EventSource streaming and closing at shutdown, WebSocket.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createServer, type TernServer } from "../../mod.ts";
import { type DeepPartial, testConfig } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createTestCa, type Issued, type TestCa } from "./_pki.ts";

const PASSWORD = "mtls-pass-1";

interface Pki {
  serverCa: TestCa;
  clientCa: TestCa;
  otherCa: TestCa;
  server: Issued;
  /** Issued by the client CA to the trusted service. */
  portal: Issued;
  /** Issued by the client CA, but not a trusted service. */
  intruder: Issued;
  /** Same subject as the portal, issued by another CA. */
  forged: Issued;
}

let pkiCache: Promise<Pki> | null = null;
function pki(): Promise<Pki> {
  pkiCache ??= (async () => {
    const serverCa = await createTestCa("CN=Tern Test Server CA");
    const clientCa = await createTestCa("CN=Tern Test Services CA");
    const otherCa = await createTestCa("CN=Somebody Else CA");
    // @peculiar/x509 writes the RDNs in the order given: "O=…, CN=…" puts CN last in the ASN.1
    // sequence, as real certificates do, so the RFC 4514 form is "CN=…,O=…".
    return {
      serverCa,
      clientCa,
      otherCa,
      server: await serverCa.issue("CN=localhost", "server"),
      portal: await clientCa.issue("O=Tern Tests, CN=portal.example.org", "client"),
      intruder: await clientCa.issue("O=Tern Tests, CN=intruder.example.org", "client"),
      forged: await otherCa.issue("O=Tern Tests, CN=portal.example.org", "client"),
    };
  })();
  return pkiCache;
}

interface Env {
  srv: TernServer;
  dir: string;
  base: string;
  pki: Pki;
  /** A fetch client trusting the server CA, optionally presenting `cert`. */
  client(cert?: Issued): Deno.HttpClient;
  close(): Promise<void>;
}

async function start(overrides: DeepPartial<Config> = {}): Promise<Env> {
  const p = await pki();
  const dir = await Deno.makeTempDir({ prefix: "tern-jmap-mtls-" });
  const files = {
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    ca: join(dir, "clients-ca.pem"),
  };
  await Deno.writeTextFile(files.cert, p.server.cert);
  await Deno.writeTextFile(files.key, p.server.key);
  await Deno.writeTextFile(files.ca, p.clientCa.pem);
  const config = testConfig(dir, {
    hostname: "mx.test",
    local_domains: ["example.org"],
    listeners: { http: { tls: "implicit", cert: files.cert, key: files.key } },
    ...overrides,
    jmap: {
      client_ca: files.ca,
      trusted_services: [{ name: "portal", client_cert_subject: "cn=portal.example.org, o=Tern Tests" }],
      ...overrides.jmap,
    },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const { store, auth } = srv.context;
  for (const address of ["alice@example.org", "bob@example.org"]) {
    await store.createAccount({ address, secrets: await auth.deriveSecrets(PASSWORD) });
  }
  await srv.start();
  const clients: Deno.HttpClient[] = [];
  return {
    srv,
    dir,
    base: `https://localhost:${srv.addresses.http.port}`,
    pki: p,
    client(cert) {
      const c = Deno.createHttpClient({ caCerts: [p.serverCa.pem], ...(cert ?? {}) });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await srv.stop({ graceSeconds: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const basic = (user: string) => `Basic ${btoa(`${user}:${PASSWORD}`)}`;

async function session(
  env: Env,
  client: Deno.HttpClient,
  headers: Record<string, string>,
): Promise<{ status: number; username?: string; res: Response }> {
  const res = await fetch(`${env.base}/jmap/session`, { client, headers });
  if (res.status === 200) return { status: 200, username: (await res.json()).username, res };
  await res.body?.cancel();
  return { status: res.status, res };
}

Deno.test("HTTPS mTLS: a certificate of the trusted service acts as the user named in X-Tern-User", async () => {
  const env = await start();
  try {
    const client = env.client(env.pki.portal);
    const r = await session(env, client, { "X-Tern-User": "bob@example.org" });
    assert.equal(r.status, 200);
    assert.equal(r.username, "bob@example.org");
    assert.match(r.res.headers.get("x-session-id") ?? "", /^[0-9a-f-]{36}$/);
    // The same connection, another user: each request names its own.
    const again = await session(env, client, { "X-Tern-User": "alice@example.org" });
    assert.equal(again.username, "alice@example.org");
    // A trusted service must name the user; an unknown user is refused.
    assert.equal((await session(env, client, {})).status, 401);
    assert.equal((await session(env, client, { "X-Tern-User": "nobody@example.org" })).status, 401);
  } finally {
    await env.close();
  }
});

Deno.test("HTTPS mTLS: without a certificate Basic login works and no header makes anyone a service", async () => {
  const env = await start();
  try {
    const client = env.client();
    const ok = await session(env, client, { authorization: basic("alice@example.org") });
    assert.equal(ok.status, 200);
    assert.equal(ok.username, "alice@example.org");
    const none = await session(env, client, { "X-Tern-User": "bob@example.org" });
    assert.equal(none.status, 401);
    assert.match(none.res.headers.get("www-authenticate") ?? "", /Basic realm="Tern"/);
    // curl (OpenSSL) without a certificate, as a browser-like client would connect.
    const caFile = join(env.dir, "server-ca.pem");
    await Deno.writeTextFile(caFile, env.pki.serverCa.pem);
    const result = await new Deno.Command("curl", {
      args: ["-sS", "--cacert", caFile, "-u", `alice@example.org:${PASSWORD}`, `${env.base}/jmap/session`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(JSON.parse(new TextDecoder().decode(result.stdout)).username, "alice@example.org");
  } finally {
    await env.close();
  }
});

Deno.test("HTTPS mTLS: a certificate of another CA is refused with 401 and counts as a failed login", async () => {
  const env = await start({ auth: { throttle_free_failures: 1, throttle_base_delay_ms: 60_000 } });
  try {
    const client = env.client(env.pki.forged);
    // Even with a valid password: a certificate that does not verify is a failed login.
    const first = await session(env, client, {
      "X-Tern-User": "bob@example.org",
      authorization: basic("bob@example.org"),
    });
    assert.equal(first.status, 401);
    assert.match(first.res.headers.get("www-authenticate") ?? "", /Basic realm="Tern"/);
    assert.equal(first.res.headers.get("retry-after"), null);
    const second = await session(env, client, { "X-Tern-User": "bob@example.org" });
    assert.equal(second.status, 401);
    // The second failure started a delay: the third attempt is throttled.
    const third = await session(env, client, { "X-Tern-User": "bob@example.org" });
    assert.equal(third.status, 401);
    assert.ok(Number(third.res.headers.get("retry-after")) > 0, "throttled after repeated failures");
  } finally {
    await env.close();
  }
});

Deno.test("HTTPS mTLS: a verified certificate whose subject is no trusted service is refused", async () => {
  const env = await start();
  try {
    const r = await session(env, env.client(env.pki.intruder), { "X-Tern-User": "bob@example.org" });
    assert.equal(r.status, 401);
    assert.match(r.res.headers.get("www-authenticate") ?? "", /Bearer realm="Tern"/);
  } finally {
    await env.close();
  }
});

Deno.test("HTTPS mTLS: curl with --cert/--key acts as the user", async () => {
  const env = await start();
  const dir = await Deno.makeTempDir({ prefix: "tern-curl-" });
  try {
    const f = { cert: join(dir, "c.pem"), key: join(dir, "c.key"), ca: join(dir, "ca.pem") };
    await Deno.writeTextFile(f.cert, env.pki.portal.cert);
    await Deno.writeTextFile(f.key, env.pki.portal.key);
    await Deno.writeTextFile(f.ca, env.pki.serverCa.pem);
    const out = await new Deno.Command("curl", {
      args: [
        "-sS",
        "--cert",
        f.cert,
        "--key",
        f.key,
        "--cacert",
        f.ca,
        "-H",
        "X-Tern-User: alice@example.org",
        `${env.base}/jmap/session`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).username, "alice@example.org");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await env.close();
  }
});

/** Reads an event stream until `want` appears. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, want: string): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  while (!text.includes(want)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  return text;
}

Deno.test("HTTPS: EventSource streams StateChange and is closed by shutdown", async () => {
  const env = await start();
  let closed = false;
  try {
    const res = await fetch(`${env.base}/jmap/eventsource?types=*&closeafter=no&ping=0`, {
      client: env.client(env.pki.portal),
      headers: { "X-Tern-User": "alice@example.org" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.getReader();
    assert.match(await readUntil(reader, "tern push"), /^: tern push/);
    const store = env.srv.context.store;
    const alice = (await store.getAccountByAddress("alice@example.org"))!;
    const inbox = (await store.getMailboxByRole(alice.id, "inbox"))!;
    const { blobId } = await store.blobs.put(new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n"));
    await store.addMessages([{ accountId: alice.id, mailboxIds: [inbox.id], blobId }]);
    const event = await readUntil(reader, "\n\n");
    assert.match(event, /event: state\ndata: \{"@type":"StateChange"/);
    // Graceful stop: the open stream ends (the shutdown signal closes it) and stop() returns.
    const stopped = env.srv.stop({ graceSeconds: 0 });
    assert.equal((await reader.read()).done, true);
    await stopped;
    closed = true;
  } finally {
    if (!closed) await env.srv.stop({ graceSeconds: 0 });
    await env.close();
  }
});

Deno.test("HTTPS: JMAP over WebSocket (RFC 8887) answers a request", async () => {
  const env = await start();
  try {
    const ws = new WebSocket(`wss://localhost:${env.srv.addresses.http.port}/jmap/ws`, {
      protocols: ["jmap"],
      headers: { authorization: basic("alice@example.org") },
      client: env.client(),
    });
    const opened = new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    await opened;
    assert.equal(ws.protocol, "jmap");
    const answer = new Promise<Record<string, unknown>>((resolve) => {
      ws.onmessage = (e) => resolve(JSON.parse(String(e.data)));
    });
    ws.send(JSON.stringify({
      "@type": "Request",
      id: "r1",
      using: ["urn:ietf:params:jmap:core"],
      methodCalls: [["Core/echo", { hi: 1 }, "c"]],
    }));
    const response = await answer;
    assert.equal(response["@type"], "Response");
    assert.equal(response.requestId, "r1");
    const closedWs = new Promise<void>((resolve) => (ws.onclose = () => resolve()));
    ws.close();
    await closedWs;
  } finally {
    await env.close();
  }
});

Deno.test("HTTPS: an upload over the size limit is refused with 413 and the server goes on", async () => {
  const env = await start({ jmap: { max_size_upload: 1000 } });
  try {
    const client = env.client();
    const alice = (await env.srv.context.store.getAccountByAddress("alice@example.org"))!;
    const upload = (size: number) =>
      fetch(`${env.base}/jmap/upload/${alice.id}/`, {
        method: "POST",
        client,
        headers: { authorization: basic("alice@example.org"), "content-type": "application/octet-stream" },
        // A stream: no Content-Length, so the limit is found while reading.
        body: new Blob([new Uint8Array(size)]).stream(),
      });
    const big = await upload(200_000);
    assert.equal(big.status, 413);
    assert.equal((await big.json()).limit, "maxSizeUpload");
    const small = await upload(500);
    assert.equal(small.status, 201);
    assert.equal((await small.json()).size, 500);
    // HEAD: headers only.
    const head = await fetch(`${env.base}/health`, { method: "HEAD", client });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    await env.close();
  }
});

Deno.test("HTTPS: an EventSource client that goes away ends its stream on the server", async () => {
  const env = await start();
  try {
    // Watch the real notifier: the stream subscribes when it opens and unsubscribes when it ends.
    const notifier = env.srv.context.store.notifier;
    const subscribe = notifier.subscribe.bind(notifier);
    let ended!: () => void;
    const unsubscribed = new Promise<void>((resolve) => (ended = resolve));
    notifier.subscribe = (accountId, listener) => {
      const off = subscribe(accountId, listener);
      return () => {
        off();
        ended();
      };
    };
    const res = await fetch(`${env.base}/jmap/eventsource?types=*&closeafter=no&ping=0`, {
      client: env.client(),
      headers: { authorization: basic("alice@example.org") },
    });
    const reader = res.body!.getReader();
    assert.match(await readUntil(reader, "tern push"), /tern push/);
    await reader.cancel();
    await unsubscribed;
    assert.equal(env.srv.activeSessions(), 0);
  } finally {
    await env.close();
  }
});
