/**
 * The self-signed certificate Tern creates on first start when no certificate is configured, so
 * STARTTLS and implicit-TLS listeners work out of the box. It lives in `<data_dir>/tls/` and is
 * reused on later starts until it expires or no longer names the configured hostname.
 *
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";

/** Paths of a PEM certificate and its private key. */
export interface CertificatePaths {
  /** Path of the PEM certificate. */
  cert: string;
  /** Path of the PEM private key. */
  key: string;
}

/** Validity of a generated certificate. */
export const SELF_SIGNED_VALIDITY_DAYS = 365;

const DAY_MS = 24 * 60 * 60 * 1000;

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Names the certificate covers: the hostname, localhost and the loopback addresses. */
function subjectAltNames(hostname: string): x509.JsonGeneralName[] {
  const names: x509.JsonGeneralName[] = [];
  const isIp = /^[0-9.]+$/.test(hostname) || hostname.includes(":");
  names.push({ type: isIp ? "ip" : "dns", value: hostname });
  if (hostname !== "localhost") names.push({ type: "dns", value: "localhost" });
  if (hostname !== "127.0.0.1") names.push({ type: "ip", value: "127.0.0.1" });
  return names;
}

/**
 * Generates a self-signed ECDSA P-256 certificate for `hostname` (SAN: hostname, localhost,
 * 127.0.0.1). It is an end-entity certificate (basicConstraints CA:FALSE): rustls-based clients
 * (Deno) refuse a CA certificate used as a server certificate.
 */
export async function generateSelfSigned(
  hostname: string,
  now: Date,
  validityDays = SELF_SIGNED_VALIDITY_DAYS,
): Promise<{ cert: string; key: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER (RFC 5280 §4.1.2.2)
  const cn = hostname.replace(/[,+="<>#;\\]/g, "");
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Array.from(serial, (b) => b.toString(16).padStart(2, "0")).join(""),
    name: `CN=${cn}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(hostname)),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { cert: cert.toString("pem") + "\n", key: toPem("PRIVATE KEY", pkcs8) };
}

/** True when the PEM certificate is valid at `now` and names `hostname` in its SAN. */
function stillUsable(certPem: string, hostname: string, now: Date): boolean {
  try {
    const cert = new x509.X509Certificate(certPem);
    if (cert.notAfter.getTime() <= now.getTime() + DAY_MS) return false;
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const wanted = hostname.toLowerCase();
    return san?.names.items.some((n) => n.value.toLowerCase() === wanted) ?? false;
  } catch {
    return false;
  }
}

/**
 * Returns the paths of `<dataDir>/tls/cert.pem` and `key.pem`, generating them first when they are
 * missing, expire within a day, or do not name `hostname`. The key file is created mode 0600.
 *
 * @example
 * ```ts
 * import { ensureSelfSigned } from "./self_signed.ts";
 * const dir = await Deno.makeTempDir();
 * const paths = await ensureSelfSigned(dir, "mail.example.org");
 * console.log(paths.cert.endsWith("cert.pem")); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureSelfSigned(
  dataDir: string,
  hostname: string,
  clock: Clock = systemClock,
): Promise<CertificatePaths> {
  const dir = join(dataDir, "tls");
  const paths = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  const now = clock.now();
  try {
    const [certPem] = await Promise.all([Deno.readTextFile(paths.cert), Deno.stat(paths.key)]);
    if (stillUsable(certPem, hostname, now)) return paths;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const { cert, key } = await generateSelfSigned(hostname, now);
  // Write to temporary names and rename, so a crash never leaves a key without its certificate.
  const tmpKey = `${paths.key}.tmp`;
  const tmpCert = `${paths.cert}.tmp`;
  await Deno.writeTextFile(tmpKey, key, { mode: 0o600 });
  await Deno.writeTextFile(tmpCert, cert, { mode: 0o644 });
  await Deno.rename(tmpKey, paths.key);
  await Deno.rename(tmpCert, paths.cert);
  return paths;
}
