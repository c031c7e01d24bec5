/**
 * Test support for SMTP session tests (not a test file itself): a real SqliteStore and
 * AuthService in a temp dir, accounts alice@ and bob@example.org, and an in-memory client that
 * talks to `createSmtpHandler` over `createMemoryTransportPair()`.
 *
 * @module
 */
import type { Config } from "../../core/config/types.ts";
import { type DeepPartial, testConfig } from "../../core/config/test_config.ts";
import { type ConnectionContext, type ServerContext, systemClock } from "../../core/context.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createMemoryTransportPair } from "../../core/net/memory_transport.ts";
import { ByteReader } from "../../core/net/reader.ts";
import type { Transport } from "../../core/net/transport.ts";
import type { Protocol, Session } from "../../core/session.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import type { Account } from "../../core/store/types.ts";
import type { Store } from "../../core/store/store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import type { OutboundQueue } from "../../core/delivery/outbound.ts";
import { createSmtpHandler } from "./handler.ts";
import type { SmtpMode } from "./session.ts";

/** Passwords of the test accounts. */
export const PASSWORDS = { alice: "alice-secret", bob: "bob-secret" } as const;

/** A running test environment. */
export interface SmtpTestEnv {
  dir: string;
  config: Config;
  store: SqliteStore;
  server: ServerContext & { outbound?: OutboundQueue };
  alice: Account;
  bob: Account;
  /** Opens a session on a listener of the given mode. */
  connect(mode?: SmtpMode, opts?: { clientAddress?: string; abort?: AbortController }): TestClient;
  close(): Promise<void>;
}

/** Creates the environment; call `close()` at the end. */
export async function setup(
  overrides: DeepPartial<Config> = {},
  extra: { outbound?: OutboundQueue; wrapStore?: (store: Store) => Store } = {},
): Promise<SmtpTestEnv> {
  const dir = await Deno.makeTempDir({ prefix: "tern-smtp-" });
  const config = testConfig(dir, { local_domains: ["example.org"], hostname: "mx.test", ...overrides });
  const store = await SqliteStore.open({ dataDir: dir });
  if (!(await store.isLocalDomain("example.org"))) await store.addDomain("example.org");
  const auth = createAuthService(store, config, systemClock, { scrypt: { N: 1024, r: 8, p: 1 } });
  const alice = await store.createAccount({
    address: "alice@example.org",
    secrets: await auth.deriveSecrets(PASSWORDS.alice),
  });
  const bob = await store.createAccount({
    address: "bob@example.org",
    secrets: await auth.deriveSecrets(PASSWORDS.bob),
  });
  const server = {
    config,
    store: extra.wrapStore ? extra.wrapStore(store) : store,
    auth,
    log: nullLogger,
    clock: systemClock,
    outbound: extra.outbound,
  };
  const handlers = new Map<SmtpMode, ReturnType<typeof createSmtpHandler>>();
  const clients: TestClient[] = [];
  return {
    dir,
    config,
    store,
    server,
    alice,
    bob,
    connect(mode = "smtp", opts = {}) {
      let h = handlers.get(mode);
      if (!h) {
        h = createSmtpHandler(server, mode);
        handlers.set(mode, h);
      }
      const [srv, cli] = createMemoryTransportPair({ clientAddress: opts.clientAddress ?? "192.0.2.10" });
      const listenerName = mode === "smtp" ? "smtp" : mode;
      if (mode === "submissions") void srv.upgradeTls();
      const session: Session = {
        id: crypto.randomUUID(),
        protocol: mode as Protocol,
        listener: listenerName,
        remoteAddress: srv.remoteAddress,
        remotePort: srv.remotePort,
        localAddress: srv.localAddress,
        localPort: srv.localPort,
        created: new Date(),
        secure: srv.secure,
        state: "connected",
      };
      const conn: ConnectionContext = {
        server,
        transport: srv,
        session,
        log: nullLogger,
        listenerName,
        listener: config.listeners[listenerName],
        shutdown: (opts.abort ?? new AbortController()).signal,
        setUser(u) {
          session.user = u;
        },
      };
      const client = new TestClient(cli, h(conn));
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) {
        c.transport.close();
        await c.done;
      }
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const dec = new TextDecoder();

/** The client end: send lines, read whole replies. */
export class TestClient {
  readonly reader: ByteReader;

  /**
   * @param transport client end of the pair
   * @param done the server handler's promise
   */
  constructor(readonly transport: Transport, readonly done: Promise<void>) {
    this.reader = new ByteReader(transport);
  }

  /** Writes raw text or bytes. */
  async write(data: string | Uint8Array): Promise<void> {
    await this.transport.write(data);
  }

  /** Reads one (possibly multi-line) reply; returns its lines joined with "\n", or null at EOF. */
  async reply(): Promise<string | null> {
    const lines: string[] = [];
    for (;;) {
      const r = await this.reader.readLine(100_000);
      if (r === null) return lines.length ? lines.join("\n") : null;
      const text = dec.decode(r.line);
      lines.push(text);
      if (/^\d{3}( |$)/.test(text)) return lines.join("\n");
    }
  }

  /** Sends a command line and reads its reply. */
  async cmd(line: string): Promise<string | null> {
    await this.write(line + "\r\n");
    return await this.reply();
  }

  /** Reads `n` replies. */
  async replies(n: number): Promise<(string | null)[]> {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await this.reply());
    return out;
  }
}

/** Base64 of a UTF-8 string. */
export function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}
