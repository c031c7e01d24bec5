/**
 * Shared driver of the fuzz tests (not a test file): run settings from the environment, the fuzz
 * server (attack settings, one cheap-hash account per worker with a few corpus messages) and the
 * final verdict (no failing connection, no error-level log line, a normal client still served).
 *
 * Environment: `TERN_FUZZ_COUNT` inputs per protocol (default 5000), `TERN_FUZZ_SEED` (default a
 * fixed seed, so CI is deterministic), `TERN_FUZZ_ONLY` replays one connection index.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hashPassword } from "../../core/auth/password.ts";
import { createScramSecret } from "../../core/auth/scram.ts";
import type { Account } from "../../core/store/types.ts";
import { type AttackEnv, startAttackEnv } from "../adversarial/_env.ts";
import { connectionSeed, describe, type Failure, type Span } from "./_wire.ts";

/** Settings of one fuzz run. */
export interface FuzzSettings {
  count: number;
  seed: number;
  only: number | null;
  workers: number;
}

/** Reads the run settings from the environment. */
export function settings(): FuzzSettings {
  const count = Number(Deno.env.get("TERN_FUZZ_COUNT") ?? 5000);
  const seed = Number(Deno.env.get("TERN_FUZZ_SEED") ?? 0x7e24);
  const onlyText = Deno.env.get("TERN_FUZZ_ONLY");
  return { count, seed, only: onlyText ? Number(onlyText) : null, workers: 8 };
}

/** The shared corpus of real messages (read at test time). */
const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

/** Password of the worker accounts w0…w7@example.org. */
export const WORKER_PASSWORD = "fuzz-worker-pw";

/** A fuzz server with worker accounts. */
export interface FuzzEnv {
  env: AttackEnv;
  workers: Account[];
}

/** Starts the server and creates the worker accounts (cheap scrypt, so logins cost little). */
export async function startFuzzEnv(workers: number): Promise<FuzzEnv> {
  const env = await startAttackEnv({
    jmap: { max_concurrent_requests: 64, max_concurrent_upload: 64 },
    smtp: { max_message_size: 4 * 1024 * 1024 },
    imap: { max_literal_size: 4 * 1024 * 1024 },
  });
  const store = env.t.srv.context.store;
  const corpus = [...Deno.readDirSync(CORPUS)].map((e) => e.name).filter((n) => n.endsWith(".eml")).sort()
    .slice(0, 4);
  const accounts: Account[] = [];
  for (let i = 0; i < workers; i++) {
    const account = await store.createAccount({
      address: `w${i}@example.org`,
      secrets: {
        passwordHash: await hashPassword(WORKER_PASSWORD, { N: 1024, r: 8, p: 1 }),
        scramSha256: await createScramSecret(WORKER_PASSWORD),
      },
    });
    const inbox = await store.getMailboxByRole(account.id, "inbox");
    for (const name of corpus) {
      const { blobId } = await store.blobs.put(await Deno.readFile(new URL(name, CORPUS)));
      await store.addMessages([{ accountId: account.id, mailboxIds: [inbox!.id], blobId }]);
    }
    accounts.push(account);
  }
  return { env, workers: accounts };
}

/** Fails with the failing connections, or the connections running when an error was logged. */
export async function verdict(
  protocol: string,
  s: FuzzSettings,
  env: AttackEnv,
  failures: Failure[],
  spans: Span[],
  inputsOf: (index: number) => string[],
): Promise<void> {
  const errors = await env.errorLogs();
  const logged = errors.slice(0, 5).map((e) => JSON.stringify(e)).join("\n");
  assert.equal(failures.length, 0, `${describe(protocol, s.seed, failures)}\nerror log lines:\n${logged}`);
  if (errors.length > 0) {
    const suspects = new Set<number>();
    for (const e of errors) {
      const t = Date.parse(String(e.timestamp));
      for (const sp of spans) if (sp.start <= t + 5 && t <= sp.end + 5) suspects.add(sp.index);
    }
    const list = [...suspects].slice(0, 5).map((index) => ({
      index,
      seed: connectionSeed(s.seed, index),
      reason: "running when the error was logged",
      inputs: inputsOf(index),
    }));
    assert.fail(
      `${protocol}: error-level log lines:\n${errors.map((e) => JSON.stringify(e)).join("\n")}\n` +
        describe(protocol, s.seed, list),
    );
  }
  await env.assertHealthy();
}

/** Reports the run's numbers on stdout (the long pass's only output besides failures). */
export function report(
  protocol: string,
  inputs: number,
  connections: number,
  started: number,
  seed: number,
): void {
  console.log(
    `fuzz ${protocol}: ${inputs} inputs over ${connections} connections in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s (seed ${seed})`,
  );
}
