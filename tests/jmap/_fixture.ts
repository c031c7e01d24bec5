/**
 * Test fixture for JMAP tests (not a test file): a real SqliteStore in a temp dir, the real auth
 * service, two accounts and the HTTP app, driven in-process with `app.request` (no socket).
 *
 * @module
 */
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { DeepPartial } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import { type ServerContext, systemClock } from "../../core/context.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import { createHttpApp } from "../../protocols/jmap/app.ts";

/** Passwords of the fixture accounts. */
export const PASSWORD = "correct horse battery staple";

/** Capabilities most requests use. */
export const USING = [
  "urn:ietf:params:jmap:core",
  "urn:ietf:params:jmap:mail",
  "urn:ietf:params:jmap:submission",
  "urn:ietf:params:jmap:vacationresponse",
];

/** A method call. */
export type Call = [string, Record<string, unknown>, string];

/** The fixture. */
export interface JmapFixture {
  dir: string;
  store: SqliteStore;
  server: ServerContext;
  app: ReturnType<typeof createHttpApp>;
  alice: Account;
  bob: Account;
  /** Basic auth header for an account. */
  basic(account?: Account): string;
  /** POSTs a JMAP request as alice (or another account) and returns the parsed response. */
  api(
    calls: Call[],
    opts?: { account?: Account; using?: string[]; createdIds?: Record<string, string> },
  ): Promise<{
    methodResponses: Call[];
    sessionState: string;
    createdIds?: Record<string, string>;
  }>;
  /** Raw fetch against the app. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Creates the fixture; close it at the end of the test. */
export async function jmapFixture(overrides?: DeepPartial<Config>): Promise<JmapFixture> {
  const dir = await Deno.makeTempDir({ prefix: "tern-jmap-" });
  const config = testConfig(dir, overrides);
  const store = await SqliteStore.open({ dataDir: dir });
  const auth = createAuthService(store, config, systemClock, { scrypt: { N: 1024, r: 8, p: 1 } });
  await store.addDomain("example.org");
  const secrets = await auth.deriveSecrets(PASSWORD);
  const alice = await store.createAccount({ address: "alice@example.org", displayName: "Alice", secrets });
  const bob = await store.createAccount({ address: "bob@example.org", displayName: "Bob", secrets });
  const server: ServerContext = { config, store, auth, log: nullLogger, clock: systemClock };
  const app = createHttpApp(server);
  const basic = (account: Account = alice) => "Basic " + btoa(`${account.address}:${PASSWORD}`);
  const fetchApp = (path: string, init: RequestInit = {}) =>
    Promise.resolve(app.request(new Request(`http://jmap.test${path}`, init)));
  return {
    dir,
    store,
    server,
    app,
    alice,
    bob,
    basic,
    fetch: fetchApp,
    async api(calls, opts = {}) {
      const res = await fetchApp("/jmap/api", {
        method: "POST",
        headers: { authorization: basic(opts.account ?? alice), "content-type": "application/json" },
        body: JSON.stringify({
          using: opts.using ?? USING,
          methodCalls: calls,
          ...(opts.createdIds ? { createdIds: opts.createdIds } : {}),
        }),
      });
      if (res.status !== 200) throw new Error(`API status ${res.status}: ${await res.text()}`);
      return await res.json();
    },
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A small plain-text message. */
export function sampleMessage(
  opts: {
    subject?: string;
    from?: string;
    to?: string;
    body?: string;
    messageId?: string;
    inReplyTo?: string;
  } = {},
): Uint8Array<ArrayBuffer> {
  const lines = [
    `From: ${opts.from ?? "Carol <carol@example.net>"}`,
    `To: ${opts.to ?? "alice@example.org"}`,
    `Subject: ${opts.subject ?? "Hello"}`,
    `Date: Sat, 21 Nov 2026 10:00:00 +0100`,
    `Message-ID: <${opts.messageId ?? crypto.randomUUID() + "@example.net"}>`,
    ...(opts.inReplyTo ? [`In-Reply-To: <${opts.inReplyTo}>`, `References: <${opts.inReplyTo}>`] : []),
    "",
    opts.body ?? "Hello Alice,\r\nhow are you?",
    "",
  ];
  return new TextEncoder().encode(lines.join("\r\n"));
}

/**
 * Adds a message to an account's Inbox through the store (as SMTP delivery would), received now
 * or at `receivedAt`.
 */
export async function addToInbox(
  f: JmapFixture,
  account: Account,
  raw: Uint8Array,
  keywords: string[] = [],
  receivedAt?: Date,
) {
  const inbox = await f.store.getMailboxByRole(account.id, "inbox");
  const { blobId } = await f.store.blobs.put(raw);
  const [added] = await f.store.addMessages([{
    accountId: account.id,
    mailboxIds: [inbox!.id],
    blobId,
    keywords,
    ...(receivedAt ? { receivedAt } : {}),
  }]);
  return added!;
}
