/**
 * Test support for core/auth unit tests (not a test file itself): a manual clock and a minimal
 * in-memory directory implementing only what the authenticator reads (`getAccountByAddress`,
 * `getSecrets`). Wire and service tests under tests/auth/ use the real SqliteStore.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, AccountSecrets } from "../store/types.ts";
import type { Config } from "../config/types.ts";
import type { AuthContext } from "./types.ts";
import { defaultConfig } from "../config/defaults.ts";
import { Authenticator } from "./authenticator.ts";
import { createAuthThrottle } from "./throttle.ts";
import { hashPassword } from "./password.ts";
import { createScramSecret } from "./scram.ts";
import { createCramMd5Secret } from "./sasl_cram_md5.ts";

/** A clock the test moves by hand. */
export interface ManualClock {
  now(): Date;
  advance(ms: number): void;
}

/** Creates a manual clock starting at 2026-01-01. */
export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** An in-memory directory: accounts by address, with secrets; mutate `accounts` freely. */
export interface MemoryDirectory {
  store: Store;
  add(address: string, secrets: AccountSecrets, opts?: { disabled?: boolean }): Account;
  lookups: number;
}

/** Creates the in-memory directory (only `getAccountByAddress` and `getSecrets` work). */
export function memoryDirectory(): MemoryDirectory {
  const accounts = new Map<string, { account: Account; secrets: AccountSecrets }>();
  const dir: MemoryDirectory = {
    lookups: 0,
    add(address, secrets, opts = {}) {
      const account: Account = {
        id: crypto.randomUUID(),
        address,
        displayName: "",
        quotaBytes: 0,
        usedBytes: 0,
        disabled: opts.disabled ?? false,
        created: new Date(0),
      };
      accounts.set(address.toLowerCase(), { account, secrets });
      return account;
    },
    store: {
      getAccountByAddress(address: string) {
        dir.lookups++;
        return Promise.resolve(accounts.get(address.toLowerCase())?.account ?? null);
      },
      getSecrets(id: string) {
        for (const entry of accounts.values()) {
          if (entry.account.id === id) return Promise.resolve(entry.secrets);
        }
        return Promise.resolve(null);
      },
    } as Partial<Store> as Store,
  };
  return dir;
}

/** An authentication context from a client address. */
export function authContext(remoteAddress = "192.0.2.10"): AuthContext {
  return { remoteAddress, protocol: "imap", secure: true };
}

/** The default configuration with `auth` overrides. */
export function configWithAuth(auth: Partial<Config["auth"]> = {}): Config {
  const config = defaultConfig();
  Object.assign(config.auth, auth);
  return config;
}

/** Cheap scrypt parameters so tests derive secrets quickly (the dummy hash keeps the default cost). */
export const FAST_SCRYPT = Object.freeze({ N: 1024, r: 8, p: 1 });

/** UTF-8 helpers. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Decodes UTF-8. */
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A directory, clock and authenticator wired together, recording failure-hook calls. */
export interface AuthFixture {
  dir: MemoryDirectory;
  clock: ManualClock;
  auth: Authenticator;
  failures: { username: string; reason: string; remoteAddress: string }[];
  /** Adds an account with all secrets (scrypt at test cost, SCRAM, CRAM-MD5) for `password`. */
  addUser(
    address: string,
    password: string,
    opts?: { disabled?: boolean; cramMd5?: boolean },
  ): Promise<Account>;
}

/** Creates an `AuthFixture` with the default auth settings plus `overrides`. */
export function authFixture(overrides: Partial<Config["auth"]> = {}): AuthFixture {
  const dir = memoryDirectory();
  const clock = manualClock();
  const config = configWithAuth(overrides);
  const failures: AuthFixture["failures"] = [];
  const throttle = createAuthThrottle(config.auth, { clock });
  const auth = new Authenticator(dir.store, throttle, (ctx, username, reason) => {
    failures.push({ username, reason, remoteAddress: ctx.remoteAddress });
  });
  return {
    dir,
    clock,
    auth,
    failures,
    async addUser(address, password, opts = {}) {
      const secrets: AccountSecrets = {
        passwordHash: await hashPassword(password, FAST_SCRYPT),
        scramSha256: await createScramSecret(password),
      };
      if (opts.cramMd5 !== false) secrets.cramMd5 = createCramMd5Secret(password);
      return dir.add(address, secrets, opts.disabled === undefined ? {} : { disabled: opts.disabled });
    },
  };
}
