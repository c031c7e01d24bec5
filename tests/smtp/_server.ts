/**
 * Wire-test support: a real Tern server on 127.0.0.1 port 0 with accounts alice@ and bob@
 * example.org, and a python3 smtplib runner. Not a test file itself.
 *
 * @module
 */
import type { Config } from "../../core/config/types.ts";
import { type DeepPartial, testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import { createServer, type TernServer } from "../../protocols/server.ts";
import { type PythonResult, runPython } from "../support/line_client.ts";

/** Passwords of the test accounts. */
export const PASSWORDS = { alice: "alice-pw-1", bob: "bob-pw-2" } as const;

/** A started server and its accounts. */
export interface WireEnv {
  srv: TernServer;
  dir: string;
  alice: Account;
  bob: Account;
  port(name: "smtp" | "submission" | "submissions" | "lmtp"): number;
  /** Raw messages in an account's Inbox, in UID order. */
  inbox(account: Account): Promise<Uint8Array[]>;
  close(): Promise<void>;
}

/** Starts a server with test settings plus `overrides`. */
export async function startServer(overrides: DeepPartial<Config> = {}): Promise<WireEnv> {
  const dir = await Deno.makeTempDir({ prefix: "tern-smtp-wire-" });
  const config = testConfig(dir, { hostname: "mx.test", local_domains: ["example.org"], ...overrides });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const { store, auth } = srv.context;
  const alice = await store.createAccount({
    address: "alice@example.org",
    secrets: await auth.deriveSecrets(PASSWORDS.alice),
  });
  const bob = await store.createAccount({
    address: "bob@example.org",
    secrets: await auth.deriveSecrets(PASSWORDS.bob),
  });
  await srv.start();
  return {
    srv,
    dir,
    alice,
    bob,
    port: (name) => srv.addresses[name].port,
    async inbox(account) {
      const box = await store.getMailboxByRole(account.id, "inbox");
      const out: Uint8Array[] = [];
      for (const p of await store.listPlacements(account.id, box!.id)) {
        out.push((await store.readMessage(account.id, p.messageId))!);
      }
      return out;
    },
    async close() {
      await srv.stop({ graceSeconds: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs a python3 script with arguments; returns exit code and output. */
export function python(script: string, ...args: string[]): Promise<PythonResult> {
  return runPython(script, args);
}

/** Strips the Return-Path and Received trace fields Tern adds; fails if they are missing. */
export function stripTrace(raw: Uint8Array): { trace: string; body: Uint8Array } {
  const text = new TextDecoder("latin1").decode(raw);
  const m = /^Return-Path: <[^\r\n]*>\r\nReceived: [^\r\n]*(?:\r\n\t[^\r\n]*)*\r\n/.exec(text);
  if (!m) throw new Error(`No trace fields at the top: ${JSON.stringify(text.slice(0, 200))}`);
  return { trace: m[0], body: raw.subarray(m[0].length) };
}
