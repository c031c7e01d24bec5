/**
 * Found while moving plain HTTP onto the node engine (hardening issue): on the HTTPS listener with
 * `jmap.client_ca`, a client certificate from another CA, with the subject of a trusted service,
 * was refused on its first connection (401) but accepted on the next one, which resumed the TLS
 * session: the runtime reported the resumed session as authorized, and the client acted as any
 * user named in X-Tern-User. A resumed session's certificate is now checked again against the CA.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createTestCa } from "../jmap/_pki.ts";

Deno.test("defect: a forged client certificate is refused on a resumed TLS session too", async () => {
  const serverCa = await createTestCa("CN=Resumption Server CA");
  const clientCa = await createTestCa("CN=Resumption Services CA");
  const otherCa = await createTestCa("CN=Somebody Else CA");
  const server = await serverCa.issue("CN=localhost", "server");
  const portal = await clientCa.issue("CN=portal.example.org", "client");
  const forged = await otherCa.issue("CN=portal.example.org", "client");
  const dir = await Deno.makeTempDir({ prefix: "tern-mtls-resume-" });
  const files = { cert: join(dir, "s.pem"), key: join(dir, "s.key"), ca: join(dir, "ca.pem") };
  await Deno.writeTextFile(files.cert, server.cert);
  await Deno.writeTextFile(files.key, server.key);
  await Deno.writeTextFile(files.ca, clientCa.pem);
  const srv = await createServer(
    testConfig(dir, {
      local_domains: ["example.org"],
      listeners: { http: { tls: "implicit", cert: files.cert, key: files.key } },
      jmap: {
        client_ca: files.ca,
        trusted_services: [{ name: "portal", client_cert_subject: "CN=portal.example.org" }],
      },
    }),
    undefined,
    { logger: nullLogger },
  );
  await srv.context.store.createAccount({
    address: "bob@example.org",
    secrets: await srv.context.auth.deriveSecrets("bob-Pw-1"),
  });
  await srv.start();
  const url = `https://localhost:${srv.addresses.http.port}/jmap/session`;
  const clients: Deno.HttpClient[] = [];
  /** Requests on new connections of one client (the later ones resume its TLS session). */
  const statuses = async (cert: { cert: string; key: string }) => {
    const client = Deno.createHttpClient({ caCerts: [serverCa.pem], cert: cert.cert, key: cert.key });
    clients.push(client);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, {
        client,
        headers: { "X-Tern-User": "bob@example.org", connection: "close" },
      });
      await res.body?.cancel();
      out.push(res.status);
    }
    return out;
  };
  try {
    assert.deepEqual(await statuses(forged), [401, 401, 401]);
    // The genuine certificate is accepted on fresh and resumed sessions alike.
    assert.deepEqual(await statuses(portal), [200, 200, 200]);
  } finally {
    for (const c of clients) c.close();
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
