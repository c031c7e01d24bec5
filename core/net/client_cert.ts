/**
 * The subject of a TLS client certificate as an RFC 4514 string (core/syntax/dn.ts): RDNs in reverse
 * ASN.1 order, as RFC 4514 §2.1 writes them, so a certificate whose subject sequence is
 * C=DE, O=Example, CN=gw.example.com reads `CN=gw.example.com,O=Example,C=DE`.
 *
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { type Ava, canonicalType, formatDn } from "../syntax/dn.ts";

/**
 * The subject of a DER certificate as an RFC 4514 string.
 *
 * @example
 * ```ts ignore
 * const subject = certificateSubject(socket.getPeerX509Certificate()!.raw); // "CN=gw,O=Example"
 * ```
 */
export function certificateSubject(der: Uint8Array): string {
  const cert = new x509.X509Certificate(der as Uint8Array<ArrayBuffer>);
  const rdns = cert.subjectName.toJSON().map((rdn) =>
    Object.entries(rdn).flatMap(([type, values]) => values.map((v): Ava => [canonicalType(type), v]))
  );
  return formatDn(rdns.reverse());
}
