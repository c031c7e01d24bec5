/**
 * The TCP listener shared by SMTP, IMAP and POP3: accepts connections, creates each `Session`,
 * enforces `max_connections`, runs the connection hooks, performs the handshake of implicit-TLS
 * listeners and hands the connection to the protocol's handler. It owns the session's lifetime:
 * the transport is closed and `onClose` runs exactly once, whatever path the session took.
 *
 * @module
 */
import type { ListenerConfig, ListenerName } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { SessionLogger } from "../log/session_logger.ts";
import type { Protocol, Session } from "../session.ts";
import type { TlsSource } from "../tls/provider.ts";
import type { Connection, ListenerServer } from "./connection.ts";
import { DenoTransport } from "./deno_transport.ts";
import { runOnClose, runOnConnect } from "./hook_runner.ts";
import { type RejectFn, type ServerHooks, TOO_MANY_CONNECTIONS_REASON } from "./hooks.ts";
import { newSession } from "./session_factory.ts";

/** Everything a listener needs; `S` is the server's services handed on to the handler. */
export interface TcpListenerOptions<S extends ListenerServer> {
  /** Listener name (config key), e.g. "imaps". */
  name: ListenerName;
  /** Protocol the sessions speak (logs, policies). */
  protocol: Protocol;
  /** The listener's settings (address, port, tls, max_connections). */
  config: ListenerConfig;
  /** Server-wide services handed to the handler. */
  server: S;
  /** Runs one session; must never throw. */
  handler: (conn: Connection<S>) => Promise<void>;
  /** Writes the protocol's refusal line. */
  reject: RejectFn;
  /** Connection hooks (policies and the embedding program's). */
  hooks: ServerHooks;
  /** Certificates; required when `config.tls` is not "none". */
  tls: TlsSource | null;
  /** Aborted when the shutdown grace period is over (shared by every listener of a server). */
  shutdown: AbortSignal;
  /** TLS handshake limit in milliseconds (default 30 s). */
  handshakeTimeoutMs?: number;
}

interface Active {
  session: Session;
  transport: DenoTransport;
  done: Promise<void>;
}

/** A bound TCP listener and its sessions. */
export class TcpListener<S extends ListenerServer> {
  readonly #opts: TcpListenerOptions<S>;
  readonly #log: Logger;
  #listener: Deno.TcpListener | null = null;
  #acceptLoop: Promise<void> | null = null;
  readonly #active = new Set<Active>();

  /** Prepares the listener; `start()` binds it. */
  constructor(options: TcpListenerOptions<S>) {
    this.#opts = options;
    this.#log = options.server.log.with({ listener: options.name, protocol: options.protocol });
  }

  /** Binds the socket and starts accepting; returns the bound address (the real port when 0 was asked). */
  start(): { hostname: string; port: number } {
    if (this.#listener) throw new Error(`Listener "${this.#opts.name}" is already started`);
    const { address, port, tls } = this.#opts.config;
    if (tls !== "none" && !this.#opts.tls) {
      throw new Error(`Listener "${this.#opts.name}" uses TLS but has no certificate`);
    }
    this.#listener = Deno.listen({ hostname: address, port, transport: "tcp" });
    this.#acceptLoop = this.#accept(this.#listener);
    const addr = this.#listener.addr;
    this.#log.info("listening", { address: addr.hostname, port: addr.port, tls });
    return { hostname: addr.hostname, port: addr.port };
  }

  /** Sessions currently running. */
  get activeSessions(): number {
    return this.#active.size;
  }

  /** Stops accepting new connections; running sessions go on. */
  async stopAccepting(): Promise<void> {
    const l = this.#listener;
    if (!l) return;
    this.#listener = null;
    try {
      l.close();
    } catch {
      // already closed
    }
    await this.#acceptLoop;
  }

  /** Resolves when every running session has ended (including its `onClose`). */
  async drained(): Promise<void> {
    while (this.#active.size > 0) {
      await Promise.all([...this.#active].map((a) => a.done));
    }
  }

  /** Closes every remaining connection (after the handlers had their chance to say goodbye). */
  closeAll(): void {
    for (const a of this.#active) a.transport.close();
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#listener !== listener) return; // closed by stopAccepting
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) return;
        // EMFILE and friends: log, back off briefly, keep serving.
        this.#log.error("accept failed", { error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch {
        // The peer may already be gone.
      }
      this.#startSession(conn);
    }
  }

  #startSession(conn: Deno.TcpConn): void {
    const { name, protocol, server } = this.#opts;
    let session: Session | null = null;
    const transport = new DenoTransport(conn, {
      tls: this.#opts.tls,
      ...(this.#opts.handshakeTimeoutMs !== undefined
        ? { handshakeTimeoutMs: this.#opts.handshakeTimeoutMs }
        : {}),
      onSecure: () => {
        if (session) session.secure = true;
      },
    });
    session = newSession(protocol, name, transport, false, server.clock);
    const overLimit = this.#active.size >= this.#opts.config.max_connections;
    const entry: Active = { session, transport, done: Promise.resolve() };
    this.#active.add(entry);
    entry.done = this.#runSession(entry, overLimit);
  }

  async #runSession(entry: Active, overLimit: boolean): Promise<void> {
    const { session, transport } = entry;
    const { config, hooks, reject } = this.#opts;
    const log = new SessionLogger(this.#opts.server.log, session);
    const started = performance.now();
    let hooksRun = false;
    log.info("connection opened", { client_port: session.remotePort });
    try {
      let refusal: string | null = null;
      if (overLimit) {
        refusal = TOO_MANY_CONNECTIONS_REASON;
        log.warn("connection refused: listener at max_connections", {
          max_connections: config.max_connections,
        });
      } else {
        hooksRun = true;
        const decision = await runOnConnect(hooks, session, log);
        if (!decision.allow) {
          refusal = decision.reason;
          log.info("connection refused by onConnect", { reason: decision.reason });
        }
      }
      if (config.tls === "implicit") {
        if (overLimit) return; // no TLS handshake for a connection we refuse under load
        try {
          await transport.upgradeTls();
          log.debug("TLS established", {
            tls_protocol: transport.tlsInfo?.protocol,
            tls_cipher: transport.tlsInfo?.cipher,
          });
        } catch (err) {
          log.info("TLS handshake failed", { error: (err as Error).message });
          return;
        }
      }
      if (refusal !== null) {
        await reject(transport, refusal).catch(() => {});
        return;
      }
      session.state = "greeting";
      const ctx: Connection<S> = {
        server: this.#opts.server,
        transport,
        session,
        log,
        listenerName: this.#opts.name,
        listener: config,
        shutdown: this.#opts.shutdown,
        setUser(username: string) {
          session.user = username;
          log.setUser(username);
        },
      };
      try {
        await this.#opts.handler(ctx);
      } catch (err) {
        // Handlers must not throw; if one does, the session ends here and the server goes on.
        log.error("connection handler failed", { error: (err as Error)?.message ?? String(err) });
      }
    } finally {
      transport.close();
      session.state = "closed";
      if (hooksRun) await runOnClose(hooks, session, log);
      this.#active.delete(entry);
      log.info("connection closed", { duration_ms: Math.round(performance.now() - started) });
    }
  }
}
