/**
 * The Tern side of the peer harness, as its own process so its CPU time and PSS are read alone
 * from /proc: a real server (`createServer`, default configuration apart from loopback ports and
 * per-IP limits off), users with real password hashes, mailboxes prefilled through the store.
 *
 * Protocol with the parent: argument `--spec JSON` (`TernSpec`); prints one JSON line
 * (`TernReady`) once listening; stops and removes its data dir when stdin closes. With
 * `--fill DIR` it only creates the accounts and mailboxes in DIR and exits; `--dir DIR` then
 * serves that dir (so the filling does not grow the serving process's heap).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createServer, type TernServer } from "../../protocols/server.ts";
import { benchMessage } from "./lib.ts";

/** What the Tern child creates. */
export interface TernSpec {
  /** Accounts (full addresses) and their password. */
  users: string[];
  password: string;
  /** Messages put in each account's inbox before the server listens. */
  prefill: number;
  /** Size of each prefilled message in bytes. */
  size: number;
}

/** The child's answer once listening. */
export interface TernReady {
  imap: number;
  smtp: number;
  dir: string;
}

/** Creates the accounts and prefills their inboxes through the store. */
async function fill(context: TernServer["context"], spec: TernSpec): Promise<void> {
  const store = context.store;
  const secrets = await context.auth.deriveSecrets(spec.password);
  for (const address of spec.users) {
    const account = await store.createAccount({ address, secrets });
    if (spec.prefill <= 0) continue;
    const inbox = (await store.getMailboxByRole(account.id, "inbox"))!;
    for (let i = 0; i < spec.prefill; i += 500) {
      const batch = [];
      for (let j = i; j < Math.min(spec.prefill, i + 500); j++) {
        const { blobId } = await store.blobs.put(benchMessage(spec.size, address, j, address));
        batch.push({
          accountId: account.id,
          mailboxIds: [inbox.id],
          blobId,
          keywords: j % 3 ? ["$seen"] : [],
        });
      }
      await store.addMessages(batch);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { spec: { type: "string" }, fill: { type: "string" }, dir: { type: "string" } },
  });
  const spec = JSON.parse(values.spec ?? "{}") as TernSpec;
  const dir = values.fill ?? values.dir ?? await Deno.makeTempDir({ prefix: "tern-bench-peers-" });
  const config = testConfig(dir, {
    hostname: "bench.test",
    local_domains: ["example.org"],
    smtp: { rate_limit_per_minute: 0, max_connections_per_ip: 0 },
    // Every bench connection comes from 127.0.0.1: per-IP limits are not under test.
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    listeners: { imap: { max_connections: 30000 }, smtp: { max_connections: 30000 } },
    imap: { max_literal_size: 64 * 1024 * 1024 },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  if (values.dir === undefined) await fill(srv.context, spec);
  if (values.fill !== undefined) {
    // Fill only: the serving process starts afresh on this dir, its heap not grown by the fill.
    await srv.stop({ graceSeconds: 0 });
    return;
  }
  await srv.start();
  const ready: TernReady = { imap: srv.addresses.imap.port, smtp: srv.addresses.smtp.port, dir };
  console.log(JSON.stringify(ready));
  for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
  await srv.stop({ graceSeconds: 0 });
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

if (import.meta.main) await main();
