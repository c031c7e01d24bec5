/**
 * Pebble, the ACME test CA from Debian (`apt-get install pebble`), on loopback for the ACME tests:
 * its own HTTPS certificate made with openssl, `pebble-challtestsrv` as its DNS server answering
 * 127.0.0.1 for every name, and validation aimed at the ports the test gives (Tern's listeners).
 *
 * @module
 */

/** A running Pebble. */
export interface Pebble {
  /** The ACME directory URL. */
  directoryUrl: string;
  /** PEM of Pebble's own HTTPS certificate (trust it for the directory). */
  caFile: string;
  stop(): Promise<void>;
}

/** Why Pebble cannot run here, or null. */
export function pebbleMissing(): string | null {
  for (const bin of ["/usr/bin/pebble", "/usr/bin/pebble-challtestsrv", "/usr/bin/openssl"]) {
    try {
      Deno.statSync(bin);
    } catch {
      return `${bin} missing (apt-get install pebble openssl)`;
    }
  }
  return null;
}

/** A free loopback port (bound and released; a test binds it right after). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts Pebble validating HTTP-01 on `httpPort` and TLS-ALPN-01 on `tlsPort` of 127.0.0.1. */
export async function startPebble(opts: { httpPort: number; tlsPort: number }): Promise<Pebble> {
  const dir = await Deno.makeTempDir({ prefix: "tern-pebble-" });
  const gen = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-days",
      "2",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (gen.code !== 0) throw new Error(`openssl: ${new TextDecoder().decode(gen.stderr)}`);
  const port = freePort();
  const mgmt = freePort();
  const dns = freePort();
  const dnsMgmt = freePort();
  await Deno.writeTextFile(
    `${dir}/pebble.json`,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: `${dir}/cert.pem`,
        privateKey: `${dir}/key.pem`,
        httpPort: opts.httpPort,
        tlsPort: opts.tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  const challtest = new Deno.Command("pebble-challtestsrv", {
    args: [
      "-dns01",
      `127.0.0.1:${dns}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `127.0.0.1:${dnsMgmt}`,
      "-defaultIPv6",
      "",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const pebble = new Deno.Command("pebble", {
    args: ["-config", `${dir}/pebble.json`, "-dnsserver", `127.0.0.1:${dns}`],
    // No artificial waits, no random nonce rejections, fresh authorizations every order.
    env: { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    for (const c of [pebble, challtest]) {
      try {
        c.kill("SIGTERM");
      } catch {
        // gone
      }
      await c.status;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // Ready when both ports answer (bounded: 10 s).
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      (await Deno.connect({ hostname: "127.0.0.1", port: dnsMgmt })).close();
      break;
    } catch {
      if (i >= 400) {
        await stop();
        throw new Error("pebble did not start");
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return { directoryUrl: `https://127.0.0.1:${port}/dir`, caFile: `${dir}/cert.pem`, stop };
}
