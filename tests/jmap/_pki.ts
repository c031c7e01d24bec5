/**
 * Test PKI: a certificate authority and the server and client certificates it issues (ECDSA
 * P-256, @peculiar/x509), for HTTPS and mTLS tests.
 *
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY_MS = 86_400_000;

/** A PEM certificate and its PEM (PKCS #8) private key. */
export interface Issued {
  cert: string;
  key: string;
}

/** A test certificate authority. */
export interface TestCa {
  /** PEM certificate of the CA. */
  pem: string;
  /** Issues an end-entity certificate for `subject` (RFC 4514 order as written by @peculiar/x509). */
  issue(subject: string, usage: "client" | "server"): Promise<Issued>;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Creates a CA named `name` (e.g. `CN=Test CA`). */
export async function createTestCa(name: string): Promise<TestCa> {
  const now = Date.now();
  const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    pem: ca.toString("pem") + "\n",
    async issue(subject, usage) {
      const leafKeys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject,
        issuer: ca.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + DAY_MS),
        signingAlgorithm: ALG,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([
            usage === "client" ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(ca),
          ...(usage === "server"
            ? [
              new x509.SubjectAlternativeNameExtension([
                { type: "dns", value: "localhost" },
                { type: "ip", value: "127.0.0.1" },
              ]),
            ]
            : []),
        ],
      });
      return {
        cert: cert.toString("pem") + "\n",
        key: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey)),
      };
    },
  };
}
