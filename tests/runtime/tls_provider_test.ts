import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { ensureSelfSigned, generateSelfSigned } from "../../core/tls/self_signed.ts";
import { TlsConfigError, TlsProvider } from "../../core/tls/provider.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { DenoTransport } from "../../core/net/deno_transport.ts";
import { readUntil, tcpPair } from "./_tls_helpers.ts";

Deno.test("ensureSelfSigned generates the certificate once and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await ensureSelfSigned(dir, "mail.example.org");
    assert.equal(first.cert, join(dir, "tls", "cert.pem"));
    const pem1 = await Deno.readTextFile(first.cert);
    const key1 = await Deno.readTextFile(first.key);
    assert.equal((await Deno.stat(first.key)).mode! & 0o777, 0o600);
    const second = await ensureSelfSigned(dir, "mail.example.org");
    assert.deepEqual(second, first);
    assert.equal(await Deno.readTextFile(second.cert), pem1);
    assert.equal(await Deno.readTextFile(second.key), key1);

    const cert = new x509.X509Certificate(pem1);
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value);
    assert.deepEqual(names, ["mail.example.org", "localhost", "127.0.0.1"]);
    assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000;
    assert.ok(days > 360 && days < 370, `validity ${days} days`);

    // A new hostname needs a new certificate.
    await ensureSelfSigned(dir, "other.example.org");
    assert.notEqual(await Deno.readTextFile(first.cert), pem1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureSelfSigned replaces a certificate that is about to expire", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = await ensureSelfSigned(dir, "localhost");
    const pem = await Deno.readTextFile(paths.cert);
    const later = { now: () => new Date(Date.now() + 400 * 86_400_000) };
    await ensureSelfSigned(dir, "localhost", later);
    assert.notEqual(await Deno.readTextFile(paths.cert), pem);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function handshakeServername(provider: TlsProvider, caCert: string): Promise<string> {
  const { client, server } = await tcpPair();
  const t = new DenoTransport(server, { tls: provider.forListener("imaps") });
  const upgraded = t.upgradeTls();
  const tls = await Deno.startTls(client, { hostname: "localhost", caCerts: [caCert] });
  try {
    await tls.handshake();
    await upgraded;
    await t.write("ok\r\n");
    return await readUntil(tls, "\r\n");
  } finally {
    tls.close();
    t.close();
  }
}

Deno.test("TlsProvider uses configured certificates and reloads them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await generateSelfSigned("localhost", new Date());
    const b = await generateSelfSigned("localhost", new Date());
    const cert = join(dir, "c.pem");
    const key = join(dir, "k.pem");
    await Deno.writeTextFile(cert, a.cert);
    await Deno.writeTextFile(key, a.key);
    const config = testConfig(dir, { tls: { cert, key } });
    const provider = await TlsProvider.create(config);
    assert.equal(provider.forListener("http"), null); // http has tls = "none"
    assert.equal(provider.forListener("imaps")?.material().cert, a.cert);
    assert.equal(await handshakeServername(provider, a.cert), "ok\r\n");
    // No self-signed certificate was generated when one is configured.
    await assert.rejects(Deno.stat(join(dir, "tls")), Deno.errors.NotFound);

    await Deno.writeTextFile(cert, b.cert);
    await Deno.writeTextFile(key, b.key);
    await provider.reload();
    assert.equal(provider.forListener("imaps")?.material().cert, b.cert);
    assert.equal(await handshakeServername(provider, b.cert), "ok\r\n");

    // A broken pair is refused and the current one stays.
    await Deno.writeTextFile(key, a.key);
    await assert.rejects(provider.reload(), TlsConfigError);
    assert.equal(provider.forListener("imaps")?.material().cert, b.cert);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TlsProvider prefers a listener's own certificate over the global one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const own = await generateSelfSigned("localhost", new Date());
    await Deno.writeTextFile(join(dir, "own.pem"), own.cert);
    await Deno.writeTextFile(join(dir, "own.key"), own.key);
    const config = testConfig(dir, {
      listeners: { imaps: { cert: join(dir, "own.pem"), key: join(dir, "own.key") } },
    });
    const provider = await TlsProvider.create(config);
    assert.equal(provider.forListener("imaps")?.material().cert, own.cert);
    const selfSigned = await Deno.readTextFile(join(dir, "tls", "cert.pem"));
    assert.equal(provider.forListener("pop3s")?.material().cert, selfSigned);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TlsProvider fails with a clear error on a missing certificate file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = testConfig(dir, { tls: { cert: join(dir, "none.pem"), key: join(dir, "none.key") } });
    await assert.rejects(TlsProvider.create(config), (err: Error) => {
      assert.ok(err instanceof TlsConfigError);
      assert.match(err.message, /none\.pem/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
