/**
 * The HTTP listener (JMAP and the admin API) around the Hono app, with a session per request (id
 * returned in `X-Session-Id`), the connection hooks run per request, and graceful shutdown.
 *
 * Plain HTTP and HTTPS (`tls = "implicit"`) are both served by core/net/https_server.ts
 * (`node:http` / `node:https` behind a TCP acceptor), because `Deno.serve` has no per-connection
 * hook: TCP connections are counted against `max_connections` and `policy.max_connections_per_ip`,
 * and the header and keep-alive timeouts (`[http]`) are enforced per connection. `Deno.serve` can
 * neither ask for a TLS client certificate (the mTLS trusted front end, `jmap.client_ca`) nor change
 * its certificate without re-binding (SIGHUP reload).
 *
 * @module
 */
import type { Config, ListenerConfig } from "../config/types.ts";
import type { ListenerServer } from "./connection.ts";
import type { Logger } from "../log/logger.ts";
import { SessionLogger } from "../log/session_logger.ts";
import type { TlsSource } from "../tls/provider.ts";
import { runOnClose, runOnConnect } from "./hook_runner.ts";
import type { ServerHooks } from "./hooks.ts";
import { type HttpBindings, SESSION_ID_HEADER } from "./http_bindings.ts";
import { newSession } from "./session_factory.ts";
import { NodeHttpServer, type RequestOrigin, type WebSocketUpgrader } from "./https_server.ts";

/** What the listener passes to the app besides the `HttpBindings` every request gets. */
export interface ListenerBindings extends HttpBindings {
  /**
   * RFC 4514 subject of the TLS client certificate, present only when the certificate verified
   * against `jmap.client_ca` (core/net/client_cert.ts). Never set for an unverified certificate.
   */
  clientCertSubject?: string;
  /** Why a client certificate that was presented did not verify (then there is no subject). */
  clientCertError?: string;
  /** WebSocket upgrade (the node engine's; `Deno.upgradeWebSocket` does not apply). */
  upgradeWebSocket?: WebSocketUpgrader;
}

/** The part of a Hono app the listener uses. */
export interface FetchApp {
  /** Handles one request. */
  fetch(request: Request, env: ListenerBindings): Response | Promise<Response>;
}

/** Everything the HTTP listener needs. */
export interface HttpListenerOptions {
  /** The http listener's settings. */
  config: ListenerConfig;
  /** Server-wide services: the configuration, clock and log. */
  server: ListenerServer & { readonly config: Config };
  /** The Hono app (JMAP and admin API). */
  app: FetchApp;
  /** Connection hooks, run per request. */
  hooks: ServerHooks;
  /** Certificate when the listener uses implicit TLS. */
  tls: TlsSource | null;
  /** Aborted when the shutdown grace period is over. */
  shutdown: AbortSignal;
}

/** An RFC 7807 problem document (what JMAP clients parse for request-level errors). */
function problem(status: number, detail: string, sessionId: string): Response {
  const body = {
    type: "about:blank",
    status,
    title: status === 403 ? "Forbidden" : "Service Unavailable",
    detail,
  };
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/problem+json", [SESSION_ID_HEADER]: sessionId },
  });
}

function plain(status: number, text: string, sessionId: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", [SESSION_ID_HEADER]: sessionId },
  });
}

/** The HTTP listener: `node:http` (plain) or `node:https` (TLS), with per-request sessions. */
export class HttpListener {
  readonly #opts: HttpListenerOptions;
  readonly #log: Logger;
  #engine: NodeHttpServer | null = null;
  #addr: { hostname: string; port: number } | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Prepares the listener; `start()` binds it. */
  constructor(options: HttpListenerOptions) {
    this.#opts = options;
    this.#log = options.server.log.with({ listener: "http", protocol: "http" });
  }

  /** Binds and starts serving; resolves with the bound address. */
  async start(): Promise<{ hostname: string; port: number }> {
    const { tls } = this.#opts.config;
    if (tls === "implicit" && !this.#opts.tls) {
      throw new Error('Listener "http" uses TLS but has no certificate');
    }
    const server = this.#opts.server;
    const engine = new NodeHttpServer({
      config: this.#opts.config,
      tls: tls === "implicit" ? this.#opts.tls : null,
      clientCaPath: server.config.jmap.client_ca,
      maxWebSocketMessage: server.config.jmap.max_size_request,
      // Read per connection: a SIGHUP reload of [policy] applies to the next one.
      limits: () => ({
        maxConnections: this.#opts.config.max_connections,
        maxPerAddress: server.config.policy.max_connections_per_ip,
      }),
      timeouts: () => ({
        headerMs: server.config.http.header_timeout * 1000,
        keepAliveMs: server.config.http.keep_alive_timeout * 1000,
      }),
      log: this.#log,
      handle: (req, origin) => this.#track(this.#handle(req, origin)),
    });
    this.#engine = engine;
    this.#addr = await engine.listen();
    const addr = this.#addr!;
    this.#log.info("listening", { address: addr.hostname, port: addr.port, tls });
    return { hostname: addr.hostname, port: addr.port };
  }

  /**
   * Re-reads the certificate (from the TLS source, after `TlsProvider.reload()`) and the client
   * CA bundle for new HTTPS connections; established connections keep theirs. Throws (keeping the
   * current ones) when they cannot be loaded. Nothing to do for plain HTTP.
   */
  async reloadTls(): Promise<void> {
    await this.#engine?.reload();
  }

  #track(p: Promise<Response>): Promise<Response> {
    this.#inFlight.add(p);
    p.finally(() => this.#inFlight.delete(p)).catch(() => {});
    return p;
  }

  /** Requests being handled. */
  get activeSessions(): number {
    return this.#inFlight.size;
  }

  /** Open TCP connections (keep-alive, push streams and WebSockets included). */
  get connections(): number {
    return this.#engine?.connections ?? 0;
  }

  async #handle(req: Request, origin: RequestOrigin): Promise<Response> {
    const { server, hooks, config } = this.#opts;
    const local = this.#addr ?? { hostname: config.address, port: config.port };
    const session = newSession(
      "http",
      "http",
      {
        remoteAddress: origin.remoteAddress,
        remotePort: origin.remotePort,
        localAddress: local.hostname,
        localPort: local.port,
      },
      config.tls === "implicit",
      server.clock,
    );
    const log = new SessionLogger(server.log, session);
    // max_connections bounds TCP connections (the engine); a connection has one request at a time.
    const decision = await runOnConnect(hooks, session, log);
    try {
      if (!decision.allow) {
        log.info("request refused by onConnect", { reason: decision.reason });
        return problem(403, decision.reason.replace(/[\r\n]+/g, " "), session.id);
      }
      // RFC 9112 §3.2: a Host field that makes no valid target URI is a 400 (Deno builds the URL from it).
      if (!URL.canParse(req.url)) {
        log.info("request refused: invalid Host header field");
        return problem(400, "Invalid Host header field", session.id);
      }
      const env: ListenerBindings = {
        ...(origin.clientCertSubject !== undefined ? { clientCertSubject: origin.clientCertSubject } : {}),
        ...(origin.clientCertError !== undefined ? { clientCertError: origin.clientCertError } : {}),
        ...(origin.upgradeWebSocket ? { upgradeWebSocket: origin.upgradeWebSocket } : {}),
        session,
        log,
        shutdown: this.#opts.shutdown,
        setUser(username) {
          session.user = username;
          log.setUser(username);
        },
      };
      let res: Response;
      try {
        res = await this.#opts.app.fetch(req, env);
      } catch (err) {
        log.error("HTTP app failed", { error: (err as Error)?.message ?? String(err) });
        return plain(500, "Internal Server Error", session.id);
      }
      try {
        res.headers.set(SESSION_ID_HEADER, session.id);
      } catch {
        // Immutable headers (e.g. a Response from fetch()): copy the response.
        res = new Response(res.body, res);
        res.headers.set(SESSION_ID_HEADER, session.id);
      }
      log.debug("request", { method: req.method, path: new URL(req.url).pathname, status: res.status });
      return res;
    } finally {
      session.state = "closed";
      await runOnClose(hooks, session, log);
    }
  }

  /** Stops accepting; in-flight requests finish (those watching the shutdown signal end early). */
  async stop(): Promise<void> {
    const engine = this.#engine;
    this.#engine = null;
    if (engine) await engine.close(() => this.drained());
  }

  /** Resolves when no request is in flight. */
  async drained(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
