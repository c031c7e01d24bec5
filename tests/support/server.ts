/**
 * Starts a real Tern server for wire tests: temp data dir, every listener on 127.0.0.1 port 0,
 * optional users, and helpers to put mail straight into a mailbox.
 *
 * @module
 */
import { createServer, type TernServer } from "../../mod.ts";
import type { CreateServerOptions } from "../../protocols/server.ts";
import { type DeepPartial, testConfig } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import type { Account } from "../../core/store/types.ts";

/** A running test server. */
export interface TestServer {
  srv: TernServer;
  config: Config;
  dir: string;
  port(name: keyof Config["listeners"]): number;
  addUser(address: string, password: string): Promise<Account>;
  /** Stores a message in the account's mailbox with the given role (default inbox). */
  deliver(account: Account, raw: string | Uint8Array, role?: "inbox" | "sent" | "drafts"): Promise<string>;
  close(): Promise<void>;
}

/**
 * The `[store]` of test servers: SQLite in the data dir, or with `TERN_TEST_STORE=postgres` a fresh
 * database of a throwaway PostgreSQL cluster (tests/support/postgres_cluster.ts), so that the wire
 * tests can be run against the PostgreSQL backend.
 */
async function testStore(): Promise<{ store?: Config["store"] }> {
  if (Deno.env.get("TERN_TEST_STORE") !== "postgres") return {};
  const { sharedPostgresCluster } = await import("./postgres_cluster.ts");
  return { store: { backend: "postgres", url: await (await sharedPostgresCluster()).createDatabase() } };
}

/**
 * Starts a server on a fresh temp dir with `localhost` and `example.org` local; `options` are
 * `createServer`'s (e.g. a logger a test reads).
 */
export async function startTestServer(
  overrides?: DeepPartial<Config>,
  options?: CreateServerOptions,
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "tern-test-" });
  const config = testConfig(dir, {
    local_domains: ["localhost", "example.org"],
    ...(await testStore()),
    ...overrides,
  });
  const srv = await createServer(config, undefined, options);
  await srv.start();
  const store = srv.context.store;
  return {
    srv,
    config,
    dir,
    port: (name) => srv.addresses[name]!.port,
    async addUser(address, password) {
      return await store.createAccount({ address, secrets: await srv.context.auth.deriveSecrets(password) });
    },
    async deliver(account, raw, role = "inbox") {
      const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
      const mbox = await store.getMailboxByRole(account.id, role);
      const { blobId } = await store.blobs.put(bytes);
      const [added] = await store.addMessages([{ accountId: account.id, mailboxIds: [mbox!.id], blobId }]);
      return added!.id;
    },
    async close() {
      await srv.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
