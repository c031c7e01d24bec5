import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import { certificateSubject } from "./client_cert.ts";
import { canonicalDn } from "../syntax/dn.ts";

async function selfSigned(name: string): Promise<Uint8Array> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name,
    notBefore: new Date(Date.UTC(2026, 0, 1)),
    notAfter: new Date(Date.UTC(2027, 0, 1)),
    signingAlgorithm: alg,
    keys,
  });
  return new Uint8Array(cert.rawData);
}

Deno.test("certificateSubject writes the RDNs in reverse ASN.1 order (RFC 4514 §2.1)", async () => {
  // @peculiar/x509 encodes the RDNs in the order written: C first, CN last, as usual certificates.
  const der = await selfSigned("C=DE, O=Example\\, Inc., CN=gw.example.com");
  assert.equal(certificateSubject(der), "CN=gw.example.com,O=Example\\, Inc.,C=DE");
  assert.equal(certificateSubject(der), canonicalDn("cn=gw.example.com, o=Example\\, Inc., c=DE"));
});

Deno.test("certificateSubject names types outside RFC 4514's table by OID", async () => {
  const der = await selfSigned("CN=gw, E=gw@example.com");
  assert.equal(certificateSubject(der), "1.2.840.113549.1.9.1=gw@example.com,CN=gw");
});
