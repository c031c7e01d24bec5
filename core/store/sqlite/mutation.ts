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
 * @module
 */
import type { ChangeType } from "../types.ts";
import type { ChangeKind } from "./change_log.ts";
import type { Database } from "./database.ts";
import { formatId } from "./ids.ts";
import type { JobEffects } from "./write_queue.ts";

interface AccountEffects {
  types: Set<ChangeType>;
  /** mailbox row -> { log a Mailbox update?, highest MODSEQ of a change inside it } */
  mailboxes: Map<number, { log: boolean; modseq: number }>;
  /** thread row -> created by this job */
  threads: Map<number, boolean>;
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

  /** Records a change at a MODSEQ already taken with `next`. */
  record(accountRow: number, modseq: number, type: ChangeType, objectId: string, kind: ChangeKind): void {
    this.db.run(
      "INSERT INTO changes (account_id, modseq, type, object_id, kind) VALUES (?, ?, ?, ?, ?)",
      accountRow,
      modseq,
      type,
      objectId,
      kind,
    );
    this.#account(accountRow).types.add(type);
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

  /** Logs the deferred Mailbox and Thread changes and records the job's events. Idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const [accountRow, a] of this.#accounts) {
      const row = this.db.get<{ modseq: number }>("SELECT modseq FROM accounts WHERE id = ?", accountRow);
      if (!row) continue;
      if (a.modseq === null) a.stored = a.modseq = row.modseq;
      for (const [threadRow, created] of a.threads) {
        const alive =
          this.db.get<{ id: number }>("SELECT id FROM threads WHERE id = ?", threadRow) !== undefined;
        const id = formatId("thread", threadRow);
        if (alive) this.log(accountRow, "Thread", id, created ? "c" : "u");
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
      if (modseq > a.stored) this.db.run("UPDATE accounts SET modseq = ? WHERE id = ?", modseq, accountRow);
      const accountId = formatId("account", accountRow);
      for (const type of a.types) this.fx.touch(accountId, modseq, type, mailboxIds);
    }
  }
}
