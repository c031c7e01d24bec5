/**
 * Test support for the admin API: a real server (createServer) on 127.0.0.1 port 0 with accounts,
 * a `fetch` wrapper that records which documented operation answered which status (for the
 * coverage check of tests/api/_openapi_cases.ts), and login helpers.
 *
 * @module
 */
import { createServer, type TernServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { DeepPartial } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";

/** The password of every test account. */
export const PASSWORD = "api-pass-1";

/** A running server with accounts. */
export interface ApiTestServer {
  srv: TernServer;
  dir: string;
  /** `http://127.0.0.1:PORT/api/v1` */
  api: string;
  accounts: Record<string, Account>;
  /** fetch relative to `api`, JSON body when `json` is given; records the status seen. */
  call(
    method: string,
    path: string,
    opts?: { token?: string; json?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** (method, path) → statuses seen, across every server in this process. */
export const SEEN = new Map<string, Set<number>>();

/** Records a status for a concrete request path (the OpenAPI test maps it to its template). */
export function recordSeen(method: string, path: string, status: number): void {
  const key = `${method.toLowerCase()} ${path.split("?")[0]}`;
  let set = SEEN.get(key);
  if (!set) SEEN.set(key, set = new Set());
  set.add(status);
}

/** Starts a server with the given accounts (addresses) and configuration overrides. */
export async function startApiServer(
  addresses: string[] = ["alice@example.org", "bob@example.org", "root@example.org"],
  overrides: DeepPartial<Config> = {},
): Promise<ApiTestServer> {
  const dir = await Deno.makeTempDir({ prefix: "tern-api-" });
  const config = testConfig(dir, {
    hostname: "mx.test",
    local_domains: ["example.org"],
    api: { platform_admins: ["root@example.org"] },
    ...overrides,
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const { store, auth } = srv.context;
  const accounts: Record<string, Account> = {};
  for (const address of addresses) {
    const domain = address.slice(address.indexOf("@") + 1);
    if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
    accounts[address] = await store.createAccount({ address, secrets: await auth.deriveSecrets(PASSWORD) });
  }
  await srv.start();
  const { hostname, port } = srv.addresses.http;
  const api = `http://${hostname}:${port}/api/v1`;
  return {
    srv,
    dir,
    api,
    accounts,
    async call(method, path, opts = {}) {
      const headers = new Headers(opts.headers ?? {});
      if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
      let body: string | undefined;
      if (opts.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(opts.json);
      }
      const res = await fetch(`${api}${path}`, { method, headers, body });
      recordSeen(method, path, res.status);
      return res;
    },
    async close() {
      await srv.stop({ graceSeconds: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Logs in and returns the tokens. */
export async function login(
  t: ApiTestServer,
  address: string,
  headers: Record<string, string> = {},
): Promise<{ accessToken: string; refreshToken: string; sessionId: string }> {
  const res = await t.call("POST", "/auth/login", { json: { address, password: PASSWORD }, headers });
  if (res.status !== 200) throw new Error(`login ${address}: ${res.status} ${await res.text()}`);
  return await res.json();
}
