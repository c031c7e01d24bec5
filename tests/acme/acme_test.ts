/**
 * ACME (RFC 8555) end to end against Pebble on loopback: the server obtains a certificate over
 * HTTP-01, answered by its port-80 responder (beside an HTTPS http listener) or by the plain http
 * listener itself; every TLS listener serves it without a restart, and when the (injected) clock
 * reaches the renewal window a new one replaces it.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { createServer, type TernServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Clock } from "../../core/clock.ts";
import { acmePaths } from "../../core/acme/manager.ts";
import { freePort, pebbleMissing, startPebble } from "../support/pebble.ts";

const ignore = pebbleMissing() !== null;

/** The leaf certificate a TLS listener presents for `servername`. */
function peerCertificate(port: number, servername: string, alpn?: string[]): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: "127.0.0.1",
      port,
      servername,
      rejectUnauthorized: false,
      ALPNProtocols: alpn,
    }, () => {
      const cert = s.getPeerCertificate();
      s.end();
      resolve(cert);
    });
    s.on("error", reject);
  });
}

class StepClock implements Clock {
  at = Date.now();
  now(): Date {
    return new Date(this.at);
  }
}

async function withServer(
  mode: "responder" | "listener",
  fn: (srv: TernServer, clock: StepClock, dir: string, port: number) => Promise<void>,
): Promise<void> {
  // The port the CA validates on must be known before the server binds it, so it is picked free
  // first; another process of a parallel test run may take it in between (EADDRINUSE): the setup,
  // never the test body, is then done again on other ports.
  for (let attempt = 1;; attempt++) {
    const started = await startServer(mode);
    if ("busy" in started) {
      if (attempt < 3) continue;
      throw started.busy;
    }
    const { srv, clock, dir, port, pebble } = started;
    try {
      await fn(srv, clock, dir, port);
    } finally {
      await srv.stop();
      await pebble.stop();
      await Deno.remove(dir, { recursive: true });
    }
    return;
  }
}

/** A started server with its Pebble, or the EADDRINUSE that stopped the start (everything undone). */
async function startServer(mode: "responder" | "listener"): Promise<
  | {
    srv: TernServer;
    clock: StepClock;
    dir: string;
    port: number;
    pebble: Awaited<ReturnType<typeof startPebble>>;
  }
  | { busy: Error }
> {
  // The port the CA validates on: the responder's, or the plain http listener's.
  const port = freePort();
  const pebble = await startPebble({ httpPort: port, tlsPort: freePort() });
  const dir = await Deno.makeTempDir({ prefix: "tern-acme-" });
  const clock = new StepClock();
  let srv: TernServer | null = null;
  try {
    const config = testConfig(dir, {
      hostname: "mail.example.test",
      local_domains: ["example.test"],
      acme: {
        enabled: true,
        directory_url: pebble.directoryUrl,
        ca_file: pebble.caFile,
        email: "postmaster@example.test",
        renew_before_days: 30,
        http_port: mode === "responder" ? port : 0,
      },
    });
    if (mode === "listener") {
      config.listeners.http.port = port;
      config.listeners.http.tls = "none";
    } else {
      config.listeners.http.tls = "implicit";
    }
    srv = await createServer(config, undefined, { clock });
    await srv.start();
    return { srv, clock, dir, port, pebble };
  } catch (e) {
    await srv?.stop();
    await pebble.stop();
    await Deno.remove(dir, { recursive: true });
    if (e instanceof Error && /EADDRINUSE|AddrInUse|address already in use/i.test(`${e.name} ${e.message}`)) {
      return { busy: e };
    }
    throw e;
  }
}

async function assertServes(srv: TernServer, dir: string, names: string[]): Promise<string> {
  const onDisk = new X509Certificate(await Deno.readTextFile(acmePaths(dir).cert));
  for (const listener of ["imaps", "pop3s", "submissions"] as const) {
    const peer = await peerCertificate(srv.addresses[listener].port, names[0]!);
    assert.equal(peer.fingerprint256, onDisk.fingerprint256, `${listener} serves the ACME certificate`);
    assert.match(String(peer.issuer.CN ?? ""), /Pebble/i);
    for (const n of names) {
      assert.match(peer.subjectaltname ?? "", new RegExp(`DNS:${n.replaceAll(".", "\\.")}`));
    }
  }
  return onDisk.serialNumber;
}

Deno.test({
  name:
    "ACME HTTP-01 on the plain http listener: hostname and mta-sts/autoconfig names, served by every TLS listener",
  ignore,
  async fn() {
    await withServer("listener", async (srv, _clock, dir) => {
      const outcome = await srv.acme!.ensure();
      // start() began the first check; ensure() joins it or finds its certificate current.
      if (outcome.action === "current") assert.ok(outcome.notAfter > new Date());
      await assertServes(srv, dir, ["mail.example.test", "mta-sts.example.test", "autoconfig.example.test"]);
      // Nothing to do while the certificate is far from expiry.
      assert.equal((await srv.acme!.ensure()).action, "current");
      // The account key and the certificate key stay private to the server user.
      assert.equal((await Deno.stat(acmePaths(dir).key)).mode! & 0o077, 0);
      assert.equal((await Deno.stat(acmePaths(dir).account)).mode! & 0o077, 0);
    });
  },
});

Deno.test({
  name:
    "ACME HTTP-01 through the port-80 responder beside HTTPS, then renewal in the window replaces it live",
  ignore,
  async fn() {
    await withServer("responder", async (srv, clock, dir, port) => {
      await srv.acme!.ensure();
      const first = await assertServes(srv, dir, ["mail.example.test"]);
      // The HTTPS listener serves it too.
      const https = await peerCertificate(srv.addresses.http.port, "mail.example.test", ["http/1.1"]);
      assert.equal(https.serialNumber.toLowerCase(), first.toLowerCase());
      // The responder sends everything but challenges to HTTPS, and knows no stale token.
      // A raw request: fetch() may not set Host.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(
        new TextEncoder().encode("GET /jmap/session?x=1 HTTP/1.1\r\nHost: mail.example.test\r\n\r\n"),
      );
      const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
      assert.match(reply, /^HTTP\/1\.1 301 /);
      assert.match(
        reply,
        new RegExp(
          `\r\nlocation: https://mail\\.example\\.test:${srv.addresses.http.port}/jmap/session\\?x=1\r\n`,
          "i",
        ),
      );
      const stale = await fetch(`http://127.0.0.1:${port}/.well-known/acme-challenge/nope`);
      await stale.body?.cancel();
      assert.equal(stale.status, 404);

      // 10 days before expiry (renew_before_days = 30): the next check issues a new certificate.
      const notAfter = new Date(new X509Certificate(await Deno.readTextFile(acmePaths(dir).cert)).validTo);
      clock.at = notAfter.getTime() - 10 * 86_400_000;
      const renewed = await srv.acme!.ensure();
      assert.equal(renewed.action, "issued");
      assert.match(renewed.action === "issued" ? renewed.reason : "", /^expires /);
      const second = await assertServes(srv, dir, ["mail.example.test"]);
      assert.notEqual(second, first);
    });
  },
});
