/**
 * The HTTP engine of the HTTP listener: `node:http` for plain HTTP and `node:https` for TLS (with the
 * listener's certificate, optionally asking clients for a certificate verified against
 * `jmap.client_ca`: mTLS trusted front ends), behind a TCP acceptor that gives per-connection
 * control, which `Deno.serve` does not.
 *
 * - Connections, not requests, count against `max_connections` and `policy.max_connections_per_ip`
 *   (core/net/http_connections.ts); one more is answered 503 or 429 (plain HTTP) or closed before
 *   the TLS handshake (HTTPS), and closed.
 * - A request head must arrive within `http.header_timeout` from connect (or from the TLS session):
 *   408 and close. A keep-alive connection with no request for `http.keep_alive_timeout` is closed.
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
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
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
import { ConnectionCounter, type ConnectionLimits } from "./http_connections.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";

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

/** Timeouts of the connections, read when they are armed (so a reload applies to new timers). */
export interface ConnectionTimeouts {
  /** Milliseconds a connection may take to send a complete request head (`http.header_timeout`). */
  headerMs: number;
  /** Milliseconds an idle keep-alive connection stays open (`http.keep_alive_timeout`). */
  keepAliveMs: number;
}

/** What the HTTP engine needs. */
export interface NodeHttpServerOptions {
  /** The http listener's settings (address, port, max_connections). */
  config: ListenerConfig;
  /** The listener's certificate (current after `TlsProvider.reload()`); null serves plain HTTP. */
  tls: TlsSource | null;
  /** Path of the PEM CA bundle for client certificates (`jmap.client_ca`); none: no mTLS. */
  clientCaPath?: string | undefined;
  /** Largest WebSocket message accepted (octets). */
  maxWebSocketMessage?: number;
  /** The connection limits (`max_connections`, `policy.max_connections_per_ip`), read per connection. */
  limits: () => ConnectionLimits;
  /** The connection timeouts. */
  timeouts: () => ConnectionTimeouts;
  /** Listener logger. */
  log: Logger;
  /** Handles one request (the listener's session, hooks and app); never rejects. */
  handle(request: Request, origin: RequestOrigin): Promise<Response>;
}

/** Milliseconds a TLS handshake may take at most (as DenoTransport); the header timeout if shorter. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
const MIN_TLS = "TLSv1.2";
/** Milliseconds a refused or timed-out connection is kept half-closed so its reply is read (no RST). */
const LINGER_MS = 2_000;

/** Strips the IPv4-mapped IPv6 prefix (`::ffff:192.0.2.1`), as Deno reports plain IPv4. */
function plainAddress(address: string | undefined): string {
  if (!address) return "";
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

/** A complete HTTP/1.1 problem response (RFC 9457) that closes the connection, as raw bytes. */
function rawProblem(status: number, reason: string, detail: string, extra = ""): string {
  const body = JSON.stringify({ type: "about:blank", status, title: reason, detail }) + "\n";
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\n${extra}` +
    `content-length: ${new TextEncoder().encode(body).byteLength}\r\nconnection: close\r\n\r\n${body}`;
}

/** Per-connection state: requests in progress and the one timer (header or keep-alive). */
interface ConnState {
  active: number;
  timer: Deadline | null;
  /** Handed to the WebSocket server: no more HTTP timers. */
  upgraded: boolean;
  release: () => void;
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

/**
 * The listener's HTTP engine: `node:http` for plain HTTP, `node:https` for TLS, behind a TCP
 * acceptor that counts connections (`max_connections`, `policy.max_connections_per_ip`) and
 * bounds how long a connection may take to send a request head and stay idle between requests.
 */
export class NodeHttpServer {
  readonly #opts: NodeHttpServerOptions;
  #server: http.Server | https.Server | null = null;
  #acceptor: net.Server | null = null;
  #origin = "http://localhost";
  /** Subject (or refusal) of each TLS connection's client certificate, computed once. */
  readonly #peers = new WeakMap<object, { subject?: string; error?: string }>();
  /** State of every admitted connection, by the socket requests arrive on (TLS or plain). */
  readonly #conns = new Map<Duplex, ConnState>();
  /** Raw sockets admitted (closed at the end of a stop). */
  readonly #sockets = new Set<net.Socket>();
  readonly #counter: ConnectionCounter;
  /** The connections' header and keep-alive timers, on one runtime timer (re-armed per request). */
  readonly #deadlines = new Deadlines();
  /** The certificates of `jmap.client_ca` (resumed TLS sessions are checked against them). */
  #caCerts: X509Certificate[] = [];
  /** Responses being written (graceful stop waits for them). */
  readonly #writing = new Set<Promise<void>>();
  #closing = false;

  /** @param options certificate (or none), CA, limits, timeouts, address and the request handler */
  constructor(options: NodeHttpServerOptions) {
    this.#opts = options;
    this.#counter = new ConnectionCounter(options.limits);
  }

  /** Open TCP connections. */
  get connections(): number {
    return this.#counter.total;
  }

  /** The secure-context options of new handshakes: certificate, key and client CA. */
  async #secureOptions(tls: TlsSource): Promise<{ cert: string; key: string; ca?: string }> {
    const { cert, key } = tls.material();
    const path = this.#opts.clientCaPath;
    if (!path) return { cert, key };
    let ca: string;
    try {
      ca = await Deno.readTextFile(path);
      // Every certificate of the bundle must parse (a typo must not silently disable mTLS).
      const blocks = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) throw new Error("no PEM certificate in the file");
      const parsed = blocks.map((b) => new X509Certificate(b));
      createSecureContext({ cert, key, ca });
      this.#caCerts = parsed;
    } catch (err) {
      throw new Error(`Cannot load jmap.client_ca "${path}": ${(err as Error).message}`);
    }
    return { cert, key, ca };
  }

  /** Binds and starts serving; resolves with the bound address. */
  async listen(): Promise<{ hostname: string; port: number }> {
    const tls = this.#opts.tls;
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res);
    let server: http.Server | https.Server;
    if (tls) {
      const secure = await this.#secureOptions(tls);
      server = https.createServer({
        ...secure,
        minVersion: MIN_TLS,
        requestCert: secure.ca !== undefined,
        // Clients without (or with a bad) certificate still connect: they log in with Basic/Bearer,
        // and a bad certificate is refused by the authenticator (401, counted as a failed login).
        rejectUnauthorized: false,
        handshakeTimeout: Math.min(HANDSHAKE_TIMEOUT_MS, this.#opts.timeouts().headerMs),
      }, onRequest);
      // The header timer starts when the TLS handshake is done (the handshake has its own); the
      // slot is released with the raw socket.
      server.on("secureConnection", (socket: TLSSocket) => this.#track(socket, undefined));
      server.on("tlsClientError", (err: Error) => {
        this.#opts.log.debug("TLS handshake failed", { error: err.message });
      });
    } else {
      server = http.createServer(onRequest);
    }
    // Node's own keep-alive timer matches ours (ours also covers engines that lack it).
    server.keepAliveTimeout = this.#opts.timeouts().keepAliveMs;
    // RFC 9112 §9.3 persistence: Deno's node:http makes every response the connection's last
    // while its server is not listening. This one never listens itself (the acceptor below hands
    // it the connections), so it would close each connection after one response, and a client
    // reusing it meanwhile got a reset: it is "listening" until the listener closes.
    Object.defineProperty(server, "listening", { configurable: true, get: () => !this.#closing });
    // A request the parser refuses (RFC 9112 framing): 400, or 431 for an over-long head, when no
    // response is under way; otherwise (a broken body) the connection just closes.
    server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
      const state = this.#conns.get(socket);
      if (socket.destroyed || !socket.writable || (state && state.active > 0) || err.code === "ECONNRESET") {
        socket.destroy();
        return;
      }
      if (state) {
        this.#clearTimer(state);
        state.release();
      }
      this.#refuse(
        socket,
        err.code === "HPE_HEADER_OVERFLOW"
          ? rawProblem(431, "Request Header Fields Too Large", "The request head is too large")
          : rawProblem(400, "Bad Request", "Malformed HTTP request"),
      );
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const state = this.#conns.get(socket);
      if (state) {
        state.upgraded = true;
        this.#clearTimer(state);
      }
      this.#onUpgrade(req, socket, head).catch((err) => {
        this.#opts.log.error("WebSocket upgrade failed", { error: (err as Error)?.message ?? String(err) });
        socket.destroy();
      });
    });
    const acceptor = net.createServer((socket) => this.#onTcp(socket));
    const { address, port } = this.#opts.config;
    await new Promise<void>((resolve, reject) => {
      acceptor.once("error", reject);
      acceptor.listen(port, address, () => {
        acceptor.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    this.#acceptor = acceptor;
    const bound = acceptor.address() as AddressInfo;
    const host = bound.address.includes(":") ? `[${bound.address}]` : bound.address;
    this.#origin = `${tls ? "https" : "http"}://${host}:${bound.port}`;
    return { hostname: bound.address, port: bound.port };
  }

  /** A new TCP connection: admitted (then handed to the HTTP server) or refused with a reply. */
  #onTcp(socket: net.Socket): void {
    const server = this.#server;
    if (!server || this.#closing) {
      socket.destroy();
      return;
    }
    const ip = plainAddress(socket.remoteAddress);
    const admitted = this.#counter.admit(ip);
    if (admitted.admission !== "ok") {
      const listener = admitted.admission === "listener";
      this.#opts.log.warn(
        listener
          ? "connection refused: listener at max_connections"
          : "connection refused: too many from the address",
        {
          client_ip: ip,
          ...(listener ? { max_connections: this.#opts.limits().maxConnections } : {}),
          ...(!listener ? { max_connections_per_ip: this.#opts.limits().maxPerAddress } : {}),
        },
      );
      if (this.#opts.tls) {
        // No TLS handshake for a refused connection (as the other TLS listeners under load).
        socket.destroy();
        return;
      }
      // Plain HTTP: the refusal is a complete response, sent before the request is read.
      this.#refuse(
        socket,
        listener
          ? rawProblem(
            503,
            "Service Unavailable",
            "Too many connections to this server",
            "retry-after: 5\r\n",
          )
          : rawProblem(
            429,
            "Too Many Requests",
            "Too many connections from your address",
            "retry-after: 5\r\n",
          ),
      );
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => {
      this.#sockets.delete(socket);
      admitted.release();
    });
    socket.on("error", () => {});
    if (this.#opts.tls) {
      // Counted from now; the HTTP timers start with the TLS session (secureConnection).
      server.emit("connection", socket);
      return;
    }
    this.#track(socket, admitted.release);
    server.emit("connection", socket);
  }

  /** Starts the per-connection bookkeeping on the socket requests arrive on. */
  #track(socket: Duplex, release: (() => void) | undefined): void {
    const state: ConnState = { active: 0, timer: null, upgraded: false, release: release ?? (() => {}) };
    this.#conns.set(socket, state);
    socket.once("close", () => {
      this.#clearTimer(state);
      this.#conns.delete(socket);
      state.release();
    });
    this.#arm(socket, state, "header");
  }

  #clearTimer(state: ConnState): void {
    this.#deadlines.cancel(state.timer);
    state.timer = null;
  }

  /**
   * Arms the connection's timer: "header" (a request head must be complete in time; 408 and close,
   * RFC 9110 §15.5.9) or "idle" (no request for keep_alive_timeout: close, RFC 9112 §9.3).
   */
  #arm(socket: Duplex, state: ConnState, kind: "header" | "idle"): void {
    this.#clearTimer(state);
    const { headerMs, keepAliveMs } = this.#opts.timeouts();
    state.timer = this.#deadlines.add(kind === "header" ? headerMs : keepAliveMs, () => {
      state.timer = null;
      if (state.active > 0 || state.upgraded) return;
      // The slot is free from now on, before the client sees the close.
      state.release();
      if (kind === "idle") {
        socket.destroy();
        return;
      }
      this.#opts.log.info("HTTP request head not received in time", { header_timeout_ms: headerMs });
      this.#refuse(socket, rawProblem(408, "Request Timeout", "The request head did not arrive in time"));
    });
  }

  /** Writes a final response, half-closes, and destroys the socket once the client is done. */
  #refuse(socket: Duplex, response: string): void {
    socket.on("error", () => {});
    // What the client sends meanwhile is read and dropped, so the close is not a reset.
    socket.on("data", () => {});
    socket.resume();
    socket.end(response);
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once("close", () => clearTimeout(linger));
  }

  /** Loads the certificate and client CA again for new handshakes. Throws, keeping the old ones. */
  async reload(): Promise<void> {
    const server = this.#server;
    const tls = this.#opts.tls;
    if (!server || !tls) return;
    const secure = await this.#secureOptions(tls);
    (server as https.Server).setSecureContext({ ...secure, minVersion: MIN_TLS });
  }

  /** The verified subject, or why the presented certificate was refused; nothing without one. */
  #peer(socket: TLSSocket): { subject?: string; error?: string } {
    const known = this.#peers.get(socket);
    if (known) return known;
    let facts: { subject?: string; error?: string } = {};
    if (this.#opts.tls && this.#opts.clientCaPath) {
      const cert = socket.getPeerX509Certificate?.();
      // A resumed TLS session does not carry the verification result reliably (the runtime reports
      // a certificate that failed verification as authorized): check the issuer and validity here.
      const reused = socket.isSessionReused?.() === true;
      if (cert) {
        if (reused ? this.#issuedByClientCa(cert) : socket.authorized === true) {
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

  /** True when a client CA certificate issued and signed `cert`, and both are valid now. */
  #issuedByClientCa(cert: X509Certificate): boolean {
    const now = Date.now();
    const valid = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
    if (!valid(cert)) return false;
    return this.#caCerts.some((ca) => {
      try {
        return valid(ca) && cert.checkIssued(ca) && cert.verify(ca.publicKey);
      } catch {
        return false;
      }
    });
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
    // A request head arrived: the connection is busy until its response is written.
    const socket = req.socket as Duplex;
    const state = this.#conns.get(socket);
    if (state) {
      state.active++;
      this.#clearTimer(state);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        state.active--;
        if (state.active === 0 && !state.upgraded && !socket.destroyed) this.#arm(socket, state, "idle");
      };
      res.once("finish", end);
      res.once("close", end);
    }
    const done = this.#serve(req, res).catch((err) => {
      this.#opts.log.error("HTTP response failed", { error: (err as Error)?.message ?? String(err) });
      res.destroy();
    }).finally(() => this.#writing.delete(done));
    this.#writing.add(done);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    const abort = new AbortController();
    // The client went away before the response was complete (a finished response closes too:
    // aborting then only cost a DOMException per request).
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const { request, bodyAbandoned, badHost, badTarget } = requestFromNode(req, this.#origin, abort.signal);
    if (badHost || badTarget) {
      // RFC 9112 §3.2: a Host field with an invalid value (or two of them), or a request target that
      // is no URI, is a 400.
      const detail = badHost ? "Invalid Host header field" : "Invalid request target";
      this.#opts.log.info(`request refused: ${detail}`);
      const problem = JSON.stringify({ type: "about:blank", status: 400, title: "Bad Request", detail }) +
        "\n";
      await request.body?.cancel().catch(() => {});
      await writeNodeResponse(
        res,
        new Response(problem, { status: 400, headers: { "content-type": "application/problem+json" } }),
        { head: req.method === "HEAD", close: true },
      );
      socket.destroy();
      return;
    }
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
    const acceptor = this.#acceptor;
    if (!server || !acceptor) return;
    this.#server = null;
    this.#acceptor = null;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => acceptor.close(() => resolve()));
    // Idle keep-alive connections (no request in progress) close now.
    for (const [socket, state] of this.#conns) {
      if (state.active === 0 && !state.upgraded) socket.destroy();
    }
    await drained();
    while (this.#writing.size > 0) await Promise.allSettled([...this.#writing]);
    for (const socket of this.#conns.keys()) socket.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
