/**
 * The HTTPS listener (node:https) picks up certificates and `jmap.client_ca` reloaded by
 * `srv.reload()` (what SIGHUP runs) for new connections, like the other TLS listeners; and a real
 * SIGHUP to a serving process does it too.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createTestCa } from "../jmap/_pki.ts";
import { Lines } from "./_lines.ts";

/**
 * "tls" when a fetch failed because the client did not trust the server's certificate; any other
 * failure (connection refused, a reset, a server crash) is rethrown, not taken for that refusal.
 */
function untrusted(e: unknown): "tls" {
  const text = `${e instanceof Error ? e.message : e} ${
    e instanceof Error && e.cause ? String(e.cause) : ""
  }`;
  if (/UnknownIssuer|invalid peer certificate/i.test(text)) return "tls";
  throw e;
}

Deno.test("HTTPS listener reload swaps the server certificate and the client CA for new connections", async () => {
  const [oldCa, newCa, oldClients, newClients] = await Promise.all([
    createTestCa("CN=Old Server CA"),
    createTestCa("CN=New Server CA"),
    createTestCa("CN=Old Services CA"),
    createTestCa("CN=New Services CA"),
  ]);
  const dir = await Deno.makeTempDir({ prefix: "tern-https-reload-" });
  const f = { cert: join(dir, "s.pem"), key: join(dir, "s.key"), ca: join(dir, "clients.pem") };
  const install = async (server: { cert: string; key: string }, clientCa: string) => {
    await Deno.writeTextFile(f.cert, server.cert);
    await Deno.writeTextFile(f.key, server.key);
    await Deno.writeTextFile(f.ca, clientCa);
  };
  await install(await oldCa.issue("CN=localhost", "server"), oldClients.pem);
  const config = testConfig(dir, {
    local_domains: ["example.org"],
    listeners: { http: { tls: "implicit", cert: f.cert, key: f.key } },
    jmap: { client_ca: f.ca, trusted_services: [{ name: "gw", client_cert_subject: "CN=gw" }] },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  await srv.context.store.createAccount({
    address: "alice@example.org",
    secrets: await srv.context.auth.deriveSecrets("pw"),
  });
  await srv.start();
  const url = `https://localhost:${srv.addresses.http.port}/jmap/session`;
  const clients: Deno.HttpClient[] = [];
  /** A request on a new connection; the status, or "tls" when the handshake failed. */
  const attempt = async (trust: string, cert?: { cert: string; key: string }) => {
    const client = Deno.createHttpClient({ caCerts: [trust], ...(cert ?? {}) });
    clients.push(client);
    try {
      const res = await fetch(url, { client, headers: { "X-Tern-User": "alice@example.org" } });
      await res.body?.cancel();
      return res.status;
    } catch (e) {
      return untrusted(e);
    }
  };
  try {
    const oldGw = await oldClients.issue("CN=gw", "client");
    const newGw = await newClients.issue("CN=gw", "client");
    assert.equal(await attempt(oldCa.pem, oldGw), 200);
    assert.equal(await attempt(newCa.pem, oldGw), "tls");

    await install(await newCa.issue("CN=localhost", "server"), newClients.pem);
    await srv.reload();
    assert.equal(await attempt(newCa.pem, newGw), 200);
    assert.equal(await attempt(oldCa.pem, newGw), "tls");
    // The old services CA no longer verifies: a certificate it issued is refused.
    assert.equal(await attempt(newCa.pem, oldGw), 401);

    // A broken client CA file fails the reload and keeps what is in use.
    await Deno.writeTextFile(f.ca, "not a certificate\n");
    await assert.rejects(srv.reload(), /client_ca/);
    assert.equal(await attempt(newCa.pem, newGw), 200);
  } finally {
    for (const c of clients) c.close();
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "installSignalHandlers: SIGHUP makes the HTTPS listener serve the new certificate",
  ignore: Deno.build.os === "windows",
  async fn() {
    const [oldCa, newCa] = await Promise.all([createTestCa("CN=Old CA"), createTestCa("CN=New CA")]);
    const dir = await Deno.makeTempDir({ prefix: "tern-https-sighup-" });
    const install = async (ca: Awaited<ReturnType<typeof createTestCa>>) => {
      const issued = await ca.issue("CN=localhost", "server");
      await Deno.writeTextFile(join(dir, "https.pem"), issued.cert);
      await Deno.writeTextFile(join(dir, "https.key"), issued.key);
    };
    await install(oldCa);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("./fixtures/serve_https_with_signals.ts", import.meta.url).pathname,
        dir,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = new Lines(child.stdout);
    const clients: Deno.HttpClient[] = [];
    try {
      const addresses = JSON.parse((await out.next()) ?? "{}");
      const health = async (trust: string) => {
        const client = Deno.createHttpClient({ caCerts: [trust] });
        clients.push(client);
        try {
          const res = await fetch(`https://localhost:${addresses.http.port}/health`, { client });
          await res.body?.cancel();
          return res.status;
        } catch (e) {
          return untrusted(e);
        }
      };
      assert.equal(await health(oldCa.pem), 200);
      assert.equal(await health(newCa.pem), "tls");
      await install(newCa);
      child.kill("SIGHUP");
      assert.equal(await out.next(), "reloaded");
      assert.equal(await health(newCa.pem), 200);
      assert.equal(await health(oldCa.pem), "tls");
      child.kill("SIGTERM");
      await out.rest();
      assert.equal((await child.status).code, 0);
    } finally {
      for (const c of clients) c.close();
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await out.rest();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
