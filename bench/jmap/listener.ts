/**
 * JMAP listener benchmark over real sockets: requests per second of a small API request
 * (`Core/echo`, Bearer token) through the HTTP listener's two engines, plain HTTP (`Deno.serve`)
 * and HTTPS (`node:https`, core/net/https_server.ts), with keep-alive clients in parallel; and the
 * same HTTPS request from a client presenting a trusted certificate (mTLS).
 *
 * Run: `deno run --allow-all bench/jmap/listener.ts [requests] [clients]`
 *
 * @module
 */
import { join } from "node:path";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createToken } from "../../core/jmap/tokens.ts";
import { createTestCa } from "../../tests/jmap/_pki.ts";

const REQUESTS = Number(Deno.args[0] ?? 4000);
const CLIENTS = Number(Deno.args[1] ?? 16);

const serverCa = await createTestCa("CN=Bench Server CA");
const clientCa = await createTestCa("CN=Bench Services CA");
const serverCert = await serverCa.issue("CN=localhost", "server");
const gateway = await clientCa.issue("CN=gw", "client");

async function run(tls: boolean): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-jmap-listener-bench-" });
  const files = { cert: join(dir, "s.pem"), key: join(dir, "s.key"), ca: join(dir, "ca.pem") };
  await Deno.writeTextFile(files.cert, serverCert.cert);
  await Deno.writeTextFile(files.key, serverCert.key);
  await Deno.writeTextFile(files.ca, clientCa.pem);
  const config = testConfig(dir, {
    local_domains: ["example.org"],
    // The connection policy counts every HTTP request as a connection: unlimited for the bench.
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    jmap: {
      max_concurrent_requests: 1000,
      ...(tls
        ? { client_ca: files.ca, trusted_services: [{ name: "gw", client_cert_subject: "CN=gw" }] }
        : {}),
    },
    listeners: { http: tls ? { tls: "implicit", cert: files.cert, key: files.key } : { tls: "none" } },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  try {
    await srv.context.store.createAccount({
      address: "bench@example.org",
      secrets: await srv.context.auth.deriveSecrets("bench"),
    });
    await srv.start();
    const { token } = await createToken(srv.context.store, "bench@example.org", "bench");
    const base = `${tls ? "https" : "http"}://localhost:${srv.addresses.http.port}`;
    const body = JSON.stringify({
      using: ["urn:ietf:params:jmap:core"],
      methodCalls: [["Core/echo", { a: 1 }, "0"]],
    });
    const variants: [string, Deno.HttpClient, Record<string, string>][] = [
      [tls ? "https bearer" : "http bearer", Deno.createHttpClient({ caCerts: [serverCa.pem] }), {
        authorization: `Bearer ${token}`,
      }],
    ];
    if (tls) {
      variants.push(["https mTLS", Deno.createHttpClient({ caCerts: [serverCa.pem], ...gateway }), {
        "X-Tern-User": "bench@example.org",
      }]);
    }
    for (const [name, client, auth] of variants) {
      const once = async () => {
        const res = await fetch(`${base}/jmap/api`, {
          method: "POST",
          client,
          headers: { ...auth, "content-type": "application/json" },
          body,
        });
        if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
        await res.arrayBuffer();
      };
      for (let i = 0; i < 200; i++) await once(); // warm-up
      const t = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        for (let i = 0; i < REQUESTS / CLIENTS; i++) await once();
      }));
      const seconds = (performance.now() - t) / 1000;
      console.log(`${name.padEnd(12)} ${(REQUESTS / seconds).toFixed(0).padStart(6)} requests/s`);
      client.close();
    }
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
}

await run(false);
await run(true);
