/**
 * Sieve scripts of each account (`Store.sieveScripts`, issue 20): many per account, at most one
 * active (RFC 5804 §1.2, RFC 9661 §2), and the trackers Sieve needs across deliveries: who got a
 * `vacation` reply under which handle (RFC 5230 §4.2), and which message identifiers the
 * `duplicate` test has seen (RFC 7352 §3). ManageSieve, JMAP for Sieve, the CLI and the delivery
 * stage (core/delivery/sieve_stage.ts) all go through it.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/**
 * The owner of the global scripts (RFC 6609 §3.1 `include :global`): the server's scripts, shared
 * by every account, kept as the scripts of this pseudo-account (no account has this id: account
 * ids are a letter and a row number). The admin manages them with `tern sieve ... --global`; they are
 * never active, only included.
 */
export const GLOBAL_SCRIPTS: AccountId = "$global";

/** A script without its content. */
export interface SieveScriptInfo {
  /** Stable id (JMAP SieveScript id), kept across renames and replacements. */
  id: string;
  /** RFC 5804 script name, unique per account. */
  name: string;
  isActive: boolean;
  /** Size of the content in UTF-8 octets. */
  size: number;
  /** Bumped at every content change: the compiled form is cached per (id, version). */
  version: number;
  updatedAt: Date;
}

/** A script with its content. */
export interface SieveScript extends SieveScriptInfo {
  content: string;
}

/** Sieve scripts of all accounts. Writes are durable before they resolve. */
export interface SieveScriptStore {
  /** The account's scripts, by name. */
  list(accountId: AccountId): Promise<SieveScriptInfo[]>;
  get(accountId: AccountId, name: string): Promise<SieveScript | null>;
  getById(accountId: AccountId, id: string): Promise<SieveScript | null>;
  /** The active script, or null. */
  active(accountId: AccountId): Promise<SieveScript | null>;
  /** Creates the script or replaces its content (same id, version + 1); keeps its active flag. */
  put(accountId: AccountId, name: string, content: string): Promise<SieveScriptInfo>;
  /** StoreError "notFound" / "alreadyExists" (the new name is taken). Same id, active flag kept. */
  rename(accountId: AccountId, from: string, to: string): Promise<void>;
  /** StoreError "notFound", or "conflict" while the script is active (RFC 5804 §2.10). */
  delete(accountId: AccountId, name: string): Promise<void>;
  /** Makes `name` the only active script, or deactivates all with null; StoreError "notFound". */
  setActive(accountId: AccountId, name: string | null): Promise<void>;
  /** A counter that moves on every change of the account's scripts (JMAP state). */
  state(accountId: AccountId): Promise<string>;
  /**
   * Whether a vacation reply to `sender` under `handle` is due at `now`, recording it when so
   * (RFC 5230 §4.2: once per sender per period). Atomic: two concurrent claims give one true.
   */
  claimVacation(
    accountId: AccountId,
    handle: string,
    sender: string,
    now: Date,
    periodMs: number,
  ): Promise<boolean>;
  /** RFC 7352 §3: whether `id` is in the tracking list under `handle` and not expired at `now`. */
  isDuplicate(accountId: AccountId, handle: string, id: string, now: Date): Promise<boolean>;
  /**
   * RFC 7352 §3: adds `id` to the tracking list after a successful run: an absent (or expired)
   * entry is stored to expire at `now + periodMs`; a present one keeps its expiry unless
   * `restart` (`:last`), which moves it to `now + periodMs`. The list is bounded per account.
   */
  recordDuplicate(
    accountId: AccountId,
    handle: string,
    id: string,
    now: Date,
    periodMs: number,
    restart: boolean,
  ): Promise<void>;
}
