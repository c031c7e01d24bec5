/**
 * Bookkeeping of one write job: MODSEQ allocation, the change log and the effects on mailboxes and
 * threads that are logged once per job (a job that adds 1,000 messages to a mailbox logs one
 * Mailbox update, after the Email rows, so the mailbox's HIGHESTMODSEQ is at least every
 * placement's MODSEQ, RFC 7162 §3.1.1).
 *
 * MODSEQs are taken in memory: the account's counter is read at the job's first `next` and
 * written back once by `finish` (one read and one write per account and job instead of one
 * `UPDATE … RETURNING` per change; the job runs in its own savepoint, so a failed job leaves the
 * stored counter as it was). Code inside a job reads the account's MODSEQ only after `finish`.
 *
 * The change rows are kept in memory too and written by `finish` in multi-row INSERTs (a delivery
 * logs Email, Thread and Mailbox in one statement): code inside a job reads `changes` only after
 * `finish`. A thread's existence at `finish` is known without a read: the job tells `threadGone`
 * when it deletes one, and an account deleted by the job is seen by the write-back of its counter.
 *
 * @module
 */
import type { ChangeType } from "../types.ts";
import type { ChangeKind } from "./change_log.ts";
import type { Database, SqlValue } from "./database.ts";
import { formatId } from "./ids.ts";
import type { JobEffects } from "./write_queue.ts";

interface AccountEffects {
  types: Set<ChangeType>;
  /** mailbox row -> { log a Mailbox update?, highest MODSEQ of a change inside it } */
  mailboxes: Map<number, { log: boolean; modseq: number }>;
  /** thread row -> created by this job */
  threads: Map<number, boolean>;
  /** Threads the job deleted. */
  goneThreads: Set<number>;
  /** Change rows logged, not yet written: MODSEQ, type, object id, kind, row after row. */
  rows: (number | string)[];
  /** Mailboxes created or destroyed by the job (for the change event). */
  mailboxIds: Set<string>;
  /** The last MODSEQ taken by the job (null: none yet); `stored` is the counter it started from. */
  modseq: number | null;
  stored: number;
}

/** One write job's change bookkeeping (inside its transaction). */
export class Mutation {
  /** The database (inside the job's transaction). */
  readonly db: Database;
  /** The job's post-commit effects. */
  readonly fx: JobEffects;
  readonly #accounts = new Map<number, AccountEffects>();
  #finished = false;

  /**
   * Starts the bookkeeping of one job.
   *
   * @param db the database, inside a transaction
   * @param fx the job's post-commit effects
   */
  constructor(db: Database, fx: JobEffects) {
    this.db = db;
    this.fx = fx;
  }

  #account(accountRow: number): AccountEffects {
    let a = this.#accounts.get(accountRow);
    if (!a) {
      a = {
        types: new Set(),
        mailboxes: new Map(),
        threads: new Map(),
        goneThreads: new Set(),
        rows: [],
        mailboxIds: new Set(),
        modseq: null,
        stored: 0,
      };
      this.#accounts.set(accountRow, a);
    }
    return a;
  }

  /** Takes the account's next MODSEQ (stored by `finish`). */
  next(accountRow: number): number {
    const a = this.#account(accountRow);
    if (a.modseq === null) {
      const row = this.db.get<{ modseq: number }>("SELECT modseq FROM accounts WHERE id = ?", accountRow);
      if (!row) throw new Error(`Account row ${accountRow} vanished inside a transaction`);
      a.stored = a.modseq = row.modseq;
    }
    return ++a.modseq;
  }

  /**
   * Tells the account's stored MODSEQ counter, read by the caller inside this job before any
   * `finish` of it: the job's first `next` then reads nothing. Ignored once the job has the counter.
   */
  known(accountRow: number, modseq: number): void {
    const a = this.#account(accountRow);
    if (a.modseq === null) a.stored = a.modseq = modseq;
  }

  /**
   * The account's MODSEQ counter as this job leaves it, once `finish` has run (what a
   * `SELECT modseq FROM accounts` would read then); null when the job never read the counter nor
   * was told it (`known`), or found the account gone.
   */
  modseq(accountRow: number): number | null {
    return this.#finished ? this.#accounts.get(accountRow)?.modseq ?? null : null;
  }

  /** Records a change at a MODSEQ already taken with `next` (its row is written by `finish`). */
  record(accountRow: number, modseq: number, type: ChangeType, objectId: string, kind: ChangeKind): void {
    const a = this.#account(accountRow);
    a.rows.push(modseq, type, objectId, kind);
    a.types.add(type);
  }

  /** Takes a MODSEQ and records a change at it. */
  log(accountRow: number, type: ChangeType, objectId: string, kind: ChangeKind): number {
    const modseq = this.next(accountRow);
    this.record(accountRow, modseq, type, objectId, kind);
    return modseq;
  }

  /**
   * Notes a change inside a mailbox at `modseq`; with `logUpdate` a Mailbox update (counts
   * changed) is logged when the job finishes.
   */
  mailbox(accountRow: number, mailboxRow: number, modseq: number, logUpdate: boolean): void {
    const a = this.#account(accountRow);
    const m = a.mailboxes.get(mailboxRow);
    if (m) {
      m.log ||= logUpdate;
      m.modseq = Math.max(m.modseq, modseq);
    } else {
      a.mailboxes.set(mailboxRow, { log: logUpdate, modseq });
    }
  }

  /** Adds a mailbox id to the job's change event (created or destroyed mailboxes). */
  notifyMailbox(accountRow: number, mailboxId: string): void {
    this.#account(accountRow).mailboxIds.add(mailboxId);
  }

  /** Notes a thread whose emails changed (`created` when this job created it). */
  thread(accountRow: number, threadRow: number, created = false): void {
    const a = this.#account(accountRow);
    a.threads.set(threadRow, (a.threads.get(threadRow) ?? false) || created);
  }

  /** Notes that the job deleted a thread (its last email went). */
  threadGone(accountRow: number, threadRow: number): void {
    this.#account(accountRow).goneThreads.add(threadRow);
  }

  /**
   * Logs the deferred Mailbox and Thread changes, writes the change rows and the MODSEQ counters,
   * and records the job's events. Idempotent.
   */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const [accountRow, a] of this.#accounts) {
      if (a.modseq === null) {
        // No MODSEQ taken yet: the read is also the existence check.
        const row = this.db.get<{ modseq: number }>("SELECT modseq FROM accounts WHERE id = ?", accountRow);
        if (!row) continue;
        a.stored = a.modseq = row.modseq;
      }
      for (const [threadRow, created] of a.threads) {
        const id = formatId("thread", threadRow);
        if (!a.goneThreads.has(threadRow)) this.log(accountRow, "Thread", id, created ? "c" : "u");
        else if (!created) this.log(accountRow, "Thread", id, "d");
      }
      const mailboxIds = [...a.mailboxIds];
      for (const [mailboxRow, m] of a.mailboxes) {
        // The update is also the existence check (a mailbox the job destroyed has no row).
        const modseq = m.log ? this.next(accountRow) : m.modseq;
        const alive = this.db.get<{ id: number }>(
          "UPDATE mailboxes SET highest_modseq = max(highest_modseq, ?) WHERE id = ? RETURNING id",
          modseq,
          mailboxRow,
        );
        if (!alive) {
          // Gone: the MODSEQ just taken for its log entry is given back (nothing took one since).
          if (m.log) a.modseq!--;
          continue;
        }
        const id = formatId("mailbox", mailboxRow);
        if (m.log) this.record(accountRow, modseq, "Mailbox", id, "u");
        mailboxIds.push(id);
      }
      const modseq = a.modseq!;
      if (modseq > a.stored) {
        // The write-back is also the existence check: an account the job deleted logs nothing.
        const alive = this.db.get<{ id: number }>(
          "UPDATE accounts SET modseq = ? WHERE id = ? RETURNING id",
          modseq,
          accountRow,
        );
        if (!alive) {
          a.modseq = null;
          continue;
        }
      }
      this.#writeRows(accountRow, a.rows);
      const accountId = formatId("account", accountRow);
      for (const type of a.types) this.fx.touch(accountId, modseq, type, mailboxIds);
    }
  }

  /** Writes change rows, up to `ROWS_PER_INSERT` per statement. */
  #writeRows(accountRow: number, rows: (number | string)[]): void {
    for (let at = 0; at < rows.length; at += ROWS_PER_INSERT * 4) {
      const chunk = rows.slice(at, at + ROWS_PER_INSERT * 4);
      const n = chunk.length / 4;
      const params: SqlValue[] = [];
      for (let i = 0; i < chunk.length; i += 4) {
        params.push(accountRow, chunk[i]!, chunk[i + 1]!, chunk[i + 2]!, chunk[i + 3]!);
      }
      this.db.run(insertChanges(n), ...params);
    }
  }
}

/** Most change rows one INSERT writes (5 parameters each, far under SQLite's limit). */
const ROWS_PER_INSERT = 32;

/** `INSERT INTO changes` statements by row count (the database caches each prepared). */
const INSERTS: string[] = [];

function insertChanges(rows: number): string {
  return INSERTS[rows] ??= "INSERT INTO changes (account_id, modseq, type, object_id, kind) VALUES " +
    Array.from({ length: rows }, () => "(?, ?, ?, ?, ?)").join(", ");
}
