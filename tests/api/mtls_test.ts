/**
 * The admin API over HTTPS with the mTLS trusted front end: a client certificate issued by
 * `jmap.client_ca` whose subject is a trusted service acts as the user named in X-Tern-User; a
 * certificate of another subject is refused (401), whatever else the request carries.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createTestCa } from "../jmap/_pki.ts";

Deno.test("api over HTTPS: the trusted service's client certificate acts as X-Tern-User; another certificate is refused", async () => {
  const serverCa = await createTestCa("CN=Tern API Test Server CA");
  const clientCa = await createTestCa("CN=Tern API Test Services CA");
  const server = await serverCa.issue("CN=localhost", "server");
  const portal = await clientCa.issue("O=Tern Tests, CN=portal.example.org", "client");
  const intruder = await clientCa.issue("O=Tern Tests, CN=intruder.example.org", "client");
  const dir = await Deno.makeTempDir({ prefix: "tern-api-mtls-" });
  const files = { cert: join(dir, "server.pem"), key: join(dir, "server.key"), ca: join(dir, "ca.pem") };
  await Deno.writeTextFile(files.cert, server.cert);
  await Deno.writeTextFile(files.key, server.key);
  await Deno.writeTextFile(files.ca, clientCa.pem);
  const srv = await createServer(
    testConfig(dir, {
      hostname: "mx.test",
      local_domains: ["example.org"],
      listeners: { http: { tls: "implicit", cert: files.cert, key: files.key } },
      jmap: {
        client_ca: files.ca,
        trusted_services: [{ name: "portal", client_cert_subject: "CN=portal.example.org,O=Tern Tests" }],
      },
    }),
    undefined,
    { logger: nullLogger },
  );
  const clients: Deno.HttpClient[] = [];
  const client = (cert?: { cert: string; key: string }) => {
    const c = Deno.createHttpClient({ caCerts: [serverCa.pem], ...(cert ?? {}) });
    clients.push(c);
    return c;
  };
  try {
    const { store, auth } = srv.context;
    await store.createAccount({ address: "bob@example.org", secrets: await auth.deriveSecrets("pw-123456") });
    await srv.start();
    const me = `https://localhost:${srv.addresses.http.port}/api/v1/auth/me`;
    const ok = await fetch(me, { client: client(portal), headers: { "X-Tern-User": "bob@example.org" } });
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.deepEqual([body.address, body.via], ["bob@example.org", "trusted"]);
    const refused = await fetch(me, {
      client: client(intruder),
      headers: { "X-Tern-User": "bob@example.org" },
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("content-type"), "application/problem+json");
    await refused.body?.cancel();
    const anonymous = await fetch(me, { client: client(), headers: { "X-Tern-User": "bob@example.org" } });
    assert.equal(anonymous.status, 401, "the header alone makes nobody a service");
    await anonymous.body?.cancel();
  } finally {
    for (const c of clients) c.close();
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});
