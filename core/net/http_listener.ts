/**
 * The HTTP listener (JMAP and the admin API): `Deno.serve` around the Hono app, with a session per
 * request (id returned in `X-Session-Id`), the connection hooks, `max_connections` as a limit on
 * concurrent requests, and graceful shutdown.
 *
 * @module
 */
import type { ListenerConfig } from "../config/types.ts";
import type { ServerContext } from "../context.ts";
import type { Logger } from "../log/logger.ts";
import { SessionLogger } from "../log/session_logger.ts";
import type { TlsSource } from "../tls/provider.ts";
import { runOnClose, runOnConnect } from "./hook_runner.ts";
import type { ServerHooks } from "./hooks.ts";
import { type HttpBindings, SESSION_ID_HEADER } from "./http_bindings.ts";
import { newSession } from "./session_factory.ts";

/** The part of a Hono app the listener uses. */
export interface FetchApp {
  /** Handles one request. */
  fetch(request: Request, env: HttpBindings): Response | Promise<Response>;
}

/** Everything the HTTP listener needs. */
export interface HttpListenerOptions {
  /** The http listener's settings. */
  config: ListenerConfig;
  /** Server-wide services. */
  server: ServerContext;
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

/** A running `Deno.serve` with per-request sessions. */
export class HttpListener {
  readonly #opts: HttpListenerOptions;
  readonly #log: Logger;
  #server: Deno.HttpServer<Deno.NetAddr> | null = null;
  #addr: Deno.NetAddr | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Prepares the listener; `start()` binds it. */
  constructor(options: HttpListenerOptions) {
    this.#opts = options;
    this.#log = options.server.log.with({ listener: "http", protocol: "http" });
  }

  /** Binds and starts serving; returns the bound address. */
  start(): { hostname: string; port: number } {
    const { address, port, tls } = this.#opts.config;
    const material = tls === "implicit" ? this.#opts.tls?.material() : undefined;
    if (tls === "implicit" && !material) throw new Error('Listener "http" uses TLS but has no certificate');
    this.#server = Deno.serve({
      hostname: address,
      port,
      ...(material ? { cert: material.cert, key: material.key } : {}),
      onListen: (addr) => {
        this.#addr = addr;
      },
      onError: (err) => {
        this.#log.error("HTTP handler failed", { error: (err as Error)?.message ?? String(err) });
        return new Response("Internal Server Error\n", { status: 500 });
      },
    }, (req, info) => {
      const p = this.#handle(req, info);
      this.#inFlight.add(p);
      p.finally(() => this.#inFlight.delete(p)).catch(() => {});
      return p;
    });
    const addr = this.#addr ?? this.#server.addr;
    this.#log.info("listening", { address: addr.hostname, port: addr.port, tls });
    return { hostname: addr.hostname, port: addr.port };
  }

  /** Requests being handled. */
  get activeSessions(): number {
    return this.#inFlight.size;
  }

  async #handle(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const { server, hooks, config } = this.#opts;
    const local = this.#server?.addr ?? { hostname: config.address, port: config.port };
    const session = newSession(
      "http",
      "http",
      {
        remoteAddress: info.remoteAddr.hostname,
        remotePort: info.remoteAddr.port,
        localAddress: local.hostname,
        localPort: local.port,
      },
      config.tls === "implicit",
      server.clock,
    );
    const log = new SessionLogger(server.log, session);
    if (this.#inFlight.size >= config.max_connections) {
      log.warn("request refused: listener at max_connections", { max_connections: config.max_connections });
      return problem(503, "Too many concurrent requests", session.id);
    }
    const decision = await runOnConnect(hooks, session, log);
    try {
      if (!decision.allow) {
        log.info("request refused by onConnect", { reason: decision.reason });
        return problem(403, decision.reason.replace(/[\r\n]+/g, " "), session.id);
      }
      const env: HttpBindings = {
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
    const s = this.#server;
    if (!s) return;
    this.#server = null;
    await s.shutdown();
    await s.finished;
  }

  /** Resolves when no request is in flight. */
  async drained(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
