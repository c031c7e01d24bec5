/**
 * The ACME HTTP-01 challenges being answered right now (RFC 8555 §8.3), shared by the certificate
 * manager (which adds and removes them) and the HTTP side (which answers
 * `GET /.well-known/acme-challenge/<token>` with the key authorization): the http listener's app
 * and the port-80 responder (http_responder.ts).
 *
 * TLS-ALPN-01 (RFC 8737) is not offered: its validation certificate must carry the acmeIdentifier
 * extension marked critical (RFC 8737 §3), and Deno 2.9's TLS server (rustls/webpki) refuses to
 * serve a certificate with an unknown critical extension (the handshake is dropped; measured with
 * `node:https` SNICallback and openssl s_client).
 *
 * @module
 */

/** Pending HTTP-01 challenges by token. */
export class AcmeChallenges {
  readonly #http = new Map<string, string>();

  /** Answers `token` with `keyAuthorization` until removed. */
  addHttp(token: string, keyAuthorization: string): void {
    this.#http.set(token, keyAuthorization);
  }

  /** Stops answering `token`. */
  removeHttp(token: string): void {
    this.#http.delete(token);
  }

  /** The key authorization for a token, or null (RFC 8555 §8.3: the response body). */
  httpResponse(token: string): string | null {
    return this.#http.get(token) ?? null;
  }
}
