/**
 * The HTTPS engine of the HTTP listener: `node:https` with the listener's certificate, optionally
 * asking clients for a certificate verified against `jmap.client_ca` (mTLS trusted front ends).
 *
 * - Clients without a certificate connect as before (Basic/Bearer): `requestCert` with
 *   `rejectUnauthorized: false`. The CA is only asked for when `jmap.client_ca` is set, so browsers
 *   are not offered a certificate chooser otherwise.
 * - A certificate that verifies (`socket.authorized`) yields its RFC 4514 subject
 *   (core/net/client_cert.ts); one that does not yields only an error text, never a subject.
 * - `reload()` swaps the certificate and CA for new handshakes (`setSecureContext`); established
 *   connections keep theirs.
 * - WebSocket upgrades (RFC 8887 JMAP) go through the app like any request; when the app accepts
 *   (`upgradeWebSocket`), `ws` completes the RFC 6455 handshake.
 *
 * @module
 */
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createSecureContext, type TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { Buffer } from "node:buffer";
// @ts-types="@types/ws"
import { type WebSocket as WsSocket, WebSocketServer } from "ws";
import type { ListenerConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { TlsSource } from "../tls/provider.ts";
import { certificateSubject } from "./client_cert.ts";
import { requestFromNode, writeNodeResponse, writeRawResponse } from "./node_http_adapter.ts";

/** The WebSocket surface the JMAP app uses (a DOM `WebSocket` has it too). */
export type UpgradedSocket = Pick<
  WebSocket,
  "readyState" | "send" | "close" | "onmessage" | "onclose" | "onerror"
>;

/** Accepts a WebSocket upgrade of `request`: as `Deno.upgradeWebSocket`, return the response. */
export type WebSocketUpgrader = (
  request: Request,
  options?: { protocol?: string },
) => { socket: UpgradedSocket; response: Response };

/** The peer and TLS facts of one request, whichever engine received it. */
export interface RequestOrigin {
  /** Client IP address. */
  remoteAddress: string;
  /** Client TCP port. */
  remotePort: number;
  /** RFC 4514 subject of a client certificate that verified against the client CA. */
  clientCertSubject?: string;
  /** Why a client certificate that was presented did not verify (then there is no subject). */
  clientCertError?: string;
  /** WebSocket upgrade for this request (HTTPS only). */
  upgradeWebSocket?: WebSocketUpgrader;
}

/** What the HTTPS engine needs. */
export interface HttpsServerOptions {
  /** The http listener's settings (address, port). */
  config: ListenerConfig;
  /** The listener's certificate (current after `TlsProvider.reload()`). */
  tls: TlsSource;
  /** Path of the PEM CA bundle for client certificates (`jmap.client_ca`); none: no mTLS. */
  clientCaPath?: string | undefined;
  /** Largest WebSocket message accepted (octets). */
  maxWebSocketMessage?: number;
  /** Listener logger. */
  log: Logger;
  /** Handles one request (the listener's session, hooks and app); never rejects. */
  handle(request: Request, origin: RequestOrigin): Promise<Response>;
}

/** Milliseconds a TLS handshake may take (as DenoTransport). */
const HANDSHAKE_TIMEOUT_MS = 30_000;
const MIN_TLS = "TLSv1.2";

/** Strips the IPv4-mapped IPv6 prefix (`::ffff:192.0.2.1`), as Deno reports plain IPv4. */
function plainAddress(address: string | undefined): string {
  if (!address) return "";
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

/** A WebSocket whose `ws` socket arrives once the handshake is written. */
class NodeWebSocket implements UpgradedSocket {
  onmessage: WebSocket["onmessage"] = null;
  onclose: WebSocket["onclose"] = null;
  onerror: WebSocket["onerror"] = null;
  #ws: WsSocket | null = null;
  #pendingClose: [number | undefined, string | undefined] | null = null;
  #closed = false;

  get readyState(): number {
    if (this.#closed) return WebSocket.CLOSED;
    return this.#ws?.readyState ?? WebSocket.CONNECTING;
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (data instanceof Blob) throw new TypeError("Blob messages are not supported");
    if (!this.#ws) throw new DOMException("The WebSocket is not open", "InvalidStateError");
    this.#ws.send(data);
  }

  close(code?: number, reason?: string): void {
    if (this.#ws) this.#ws.close(code, reason);
    else this.#pendingClose = [code, reason];
  }

  attach(ws: WsSocket): void {
    this.#ws = ws;
    const self = this as unknown as WebSocket;
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const payload = isBinary ? new Uint8Array(bytes).buffer : bytes.toString("utf8");
      this.onmessage?.call(self, new MessageEvent("message", { data: payload }));
    });
    ws.on("close", (code: number, reason: Buffer) => this.#fireClose(code, reason.toString("utf8")));
    ws.on("error", () => this.onerror?.call(self, new Event("error")));
    if (this.#pendingClose) this.#ws.close(...this.#pendingClose);
  }

  /** Ends the socket's life (also when the handshake never completed). */
  #fireClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.call(this as unknown as WebSocket, new CloseEvent("close", { code, reason }));
  }

  /** The upgrade failed before `attach`. */
  abandon(): void {
    if (!this.#ws) this.#fireClose(1006, "");
  }
}

/** `node:https` server serving the listener's requests. */
export class HttpsServer {
  readonly #opts: HttpsServerOptions;
  #server: https.Server | null = null;
  #origin = "https://localhost";
  /** Subject (or refusal) of each TLS connection's client certificate, computed once. */
  readonly #peers = new WeakMap<object, { subject?: string; error?: string }>();
  /** Responses being written (graceful stop waits for them). */
  readonly #writing = new Set<Promise<void>>();
  #closing = false;

  /** @param options certificate, CA, address and the request handler */
  constructor(options: HttpsServerOptions) {
    this.#opts = options;
  }

  /** The secure-context options of new handshakes: certificate, key and client CA. */
  async #secureOptions(): Promise<{ cert: string; key: string; ca?: string }> {
    const { cert, key } = this.#opts.tls.material();
    const path = this.#opts.clientCaPath;
    if (!path) return { cert, key };
    let ca: string;
    try {
      ca = await Deno.readTextFile(path);
      // Every certificate of the bundle must parse (a typo must not silently disable mTLS).
      const blocks = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) throw new Error("no PEM certificate in the file");
      for (const b of blocks) new X509Certificate(b);
      createSecureContext({ cert, key, ca });
    } catch (err) {
      throw new Error(`Cannot load jmap.client_ca "${path}": ${(err as Error).message}`);
    }
    return { cert, key, ca };
  }

  /** Binds and starts serving; resolves with the bound address. */
  async listen(): Promise<{ hostname: string; port: number }> {
    const secure = await this.#secureOptions();
    const server = https.createServer({
      ...secure,
      minVersion: MIN_TLS,
      requestCert: secure.ca !== undefined,
      // Clients without (or with a bad) certificate still connect: they log in with Basic/Bearer,
      // and a bad certificate is refused by the authenticator (401, counted as a failed login).
      rejectUnauthorized: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    }, (req, res) => this.#onRequest(req, res));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#onUpgrade(req, socket, head).catch((err) => {
        this.#opts.log.error("WebSocket upgrade failed", { error: (err as Error)?.message ?? String(err) });
        socket.destroy();
      });
    });
    server.on("tlsClientError", (err: Error) => {
      this.#opts.log.debug("TLS handshake failed", { error: err.message });
    });
    const { address, port } = this.#opts.config;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    const bound = server.address() as AddressInfo;
    const host = bound.address.includes(":") ? `[${bound.address}]` : bound.address;
    this.#origin = `https://${host}:${bound.port}`;
    return { hostname: bound.address, port: bound.port };
  }

  /** Loads the certificate and client CA again for new handshakes. Throws, keeping the old ones. */
  async reload(): Promise<void> {
    if (!this.#server) return;
    const secure = await this.#secureOptions();
    this.#server.setSecureContext({ ...secure, minVersion: MIN_TLS });
  }

  /** The verified subject, or why the presented certificate was refused; nothing without one. */
  #peer(socket: TLSSocket): { subject?: string; error?: string } {
    const known = this.#peers.get(socket);
    if (known) return known;
    let facts: { subject?: string; error?: string } = {};
    if (this.#opts.clientCaPath) {
      const cert = socket.getPeerX509Certificate?.();
      if (cert) {
        if (socket.authorized === true) {
          try {
            facts = { subject: certificateSubject(new Uint8Array(cert.raw)) };
          } catch (err) {
            facts = { error: `unreadable certificate subject: ${(err as Error).message}` };
          }
        } else {
          const e = socket.authorizationError;
          facts = { error: String(typeof e === "object" && e !== null ? e.message : e ?? "not verified") };
        }
      }
    }
    this.#peers.set(socket, facts);
    return facts;
  }

  #originOf(socket: TLSSocket): RequestOrigin {
    const peer = this.#peer(socket);
    return {
      remoteAddress: plainAddress(socket.remoteAddress),
      remotePort: socket.remotePort ?? 0,
      ...(peer.subject !== undefined ? { clientCertSubject: peer.subject } : {}),
      ...(peer.error !== undefined ? { clientCertError: peer.error } : {}),
    };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const done = this.#serve(req, res).catch((err) => {
      this.#opts.log.error("HTTPS response failed", { error: (err as Error)?.message ?? String(err) });
      res.destroy();
    }).finally(() => this.#writing.delete(done));
    this.#writing.add(done);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    const abort = new AbortController();
    res.once("close", () => abort.abort());
    const { request, bodyAbandoned } = requestFromNode(req, this.#origin, abort.signal);
    const response = await this.#opts.handle(request, this.#originOf(socket));
    // An unread request body (refused as too large) cannot be skipped safely: close afterwards.
    const close = this.#closing || (bodyAbandoned() && !req.complete);
    await writeNodeResponse(res, response, { head: req.method === "HEAD", close });
    if (close) socket.destroy();
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const tlsSocket = socket as TLSSocket;
    let accepted: { protocol?: string } | null = null;
    const ws = new NodeWebSocket();
    socket.once("close", () => ws.abandon());
    const upgradeWebSocket: WebSocketUpgrader = (_request, options = {}) => {
      accepted = options;
      // A placeholder: the listener and the app may add headers; the 101 is written by `ws`.
      return { socket: ws, response: new Response(null, { status: 200 }) };
    };
    const abort = new AbortController();
    socket.once("close", () => abort.abort());
    const { request } = requestFromNode(req, this.#origin, abort.signal);
    const response = await this.#opts.handle(request, { ...this.#originOf(tlsSocket), upgradeWebSocket });
    const chosen = accepted as { protocol?: string } | null;
    if (chosen === null || response.status !== 200 || this.#closing) {
      await writeRawResponse(socket, response);
      socket.destroy();
      ws.abandon();
      return;
    }
    const extra: string[] = [];
    for (const [name, value] of response.headers) {
      if (name !== "content-length" && name !== "content-type") extra.push(`${name}: ${value}`);
    }
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#opts.maxWebSocketMessage ?? 10 * 1024 * 1024,
      handleProtocols: (offered: Set<string>) =>
        chosen.protocol !== undefined && offered.has(chosen.protocol) ? chosen.protocol : false,
    });
    wss.on("headers", (headers: string[]) => headers.push(...extra));
    wss.handleUpgrade(req, socket, head, (client: WsSocket) => {
      ws.attach(client);
      wss.close();
    });
  }

  /**
   * Stops accepting, closes idle keep-alive connections, waits for `drained` (requests in flight)
   * and the responses being written, then closes every connection left.
   */
  async close(drained: () => Promise<void>): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await drained();
    while (this.#writing.size > 0) await Promise.allSettled([...this.#writing]);
    server.closeAllConnections();
    await closed;
  }
}
