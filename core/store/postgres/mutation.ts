/**
 * One write transaction's change bookkeeping on PostgreSQL: MODSEQs, change-log rows, the deferred
 * Mailbox and Thread changes (logged once at the end, as the SQLite backend does) and the change
 * events the store publishes after COMMIT. The account rows were locked `FOR UPDATE` by the store
 * before the first statement, so MODSEQs are taken in commit order.
 *
 * @module
 */
import type { ChangeType } from "../types.ts";
import type { ChangeEvent } from "../notifier.ts";
import { formatId } from "../ids.ts";
import type { Tx } from "./connection.ts";

/** Kind of a logged change. */
export type ChangeKind = "c" | "u" | "d";

interface AccountEffects {
  types: Set<ChangeType>;
  mailboxes: Map<number, { log: boolean; modseq: number }>;
  threads: Map<number, boolean>;
  mailboxIds: Set<string>;
}

/** Bookkeeping of one write transaction. */
export class PgMutation {
  /** The transaction. */
  readonly tx: Tx;
  /** Work to run after COMMIT (blob file removal). */
  readonly afterCommit: (() => Promise<void>)[] = [];
  /** Events to publish after COMMIT (filled by `finish`). */
  readonly events: ChangeEvent[] = [];
  /** Who made this write (`ChangeEvent.origin`, told to this process's listeners only), or null. */
  origin: symbol | null = null;
  readonly #accounts = new Map<number, AccountEffects>();
  #finished = false;

  /** @param tx the transaction the write runs in */
  constructor(tx: Tx) {
    this.tx = tx;
  }

  #account(accountRow: number): AccountEffects {
    let a = this.#accounts.get(accountRow);
    if (!a) {
      a = { types: new Set(), mailboxes: new Map(), threads: new Map(), mailboxIds: new Set() };
      this.#accounts.set(accountRow, a);
    }
    return a;
  }

  /** Takes the account's next MODSEQ. */
  async next(accountRow: number): Promise<number> {
    this.#account(accountRow);
    const [row] = await this.tx<{ modseq: number }[]>`
      UPDATE accounts SET modseq = modseq + 1 WHERE id = ${accountRow} RETURNING modseq`;
    if (!row) throw new Error(`Account row ${accountRow} vanished inside a transaction`);
    return row.modseq;
  }

  /** Records a change at a MODSEQ already taken with `next`. */
  async record(
    accountRow: number,
    modseq: number,
    type: ChangeType,
    objectId: string,
    kind: ChangeKind,
  ): Promise<void> {
    await this.tx`INSERT INTO changes (account_id, modseq, type, object_id, kind)
      VALUES (${accountRow}, ${modseq}, ${type}, ${objectId}, ${kind})`;
    this.#account(accountRow).types.add(type);
  }

  /** Takes a MODSEQ and records a change at it. */
  async log(accountRow: number, type: ChangeType, objectId: string, kind: ChangeKind): Promise<number> {
    const modseq = await this.next(accountRow);
    await this.record(accountRow, modseq, type, objectId, kind);
    return modseq;
  }

  /** Notes a change inside a mailbox; with `logUpdate` a Mailbox update is logged at `finish`. */
  mailbox(accountRow: number, mailboxRow: number, modseq: number, logUpdate: boolean): void {
    const a = this.#account(accountRow);
    const m = a.mailboxes.get(mailboxRow);
    if (m) {
      m.log ||= logUpdate;
      m.modseq = Math.max(m.modseq, modseq);
    } else a.mailboxes.set(mailboxRow, { log: logUpdate, modseq });
  }

  /** Adds a mailbox id to the change event (created, updated or destroyed mailboxes). */
  notifyMailbox(accountRow: number, mailboxId: string): void {
    this.#account(accountRow).mailboxIds.add(mailboxId);
  }

  /** Notes a thread whose emails changed (`created` when this write created it). */
  thread(accountRow: number, threadRow: number, created = false): void {
    const a = this.#account(accountRow);
    a.threads.set(threadRow, (a.threads.get(threadRow) ?? false) || created);
  }

  /** Logs the deferred Mailbox and Thread changes and builds the events. Idempotent. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (const [accountRow, a] of this.#accounts) {
      const [exists] = await this.tx`SELECT id FROM accounts WHERE id = ${accountRow}`;
      if (!exists) continue;
      for (const [threadRow, created] of a.threads) {
        const [alive] = await this.tx`SELECT id FROM threads WHERE id = ${threadRow}`;
        const id = formatId("thread", threadRow);
        if (alive) await this.log(accountRow, "Thread", id, created ? "c" : "u");
        else if (!created) await this.log(accountRow, "Thread", id, "d");
      }
      const mailboxIds = [...a.mailboxIds];
      for (const [mailboxRow, m] of a.mailboxes) {
        const [alive] = await this.tx`SELECT id FROM mailboxes WHERE id = ${mailboxRow}`;
        if (!alive) continue;
        const id = formatId("mailbox", mailboxRow);
        const modseq = m.log ? await this.log(accountRow, "Mailbox", id, "u") : m.modseq;
        await this.tx`UPDATE mailboxes SET highest_modseq = greatest(highest_modseq, ${modseq})
          WHERE id = ${mailboxRow}`;
        if (!mailboxIds.includes(id)) mailboxIds.push(id);
      }
      if (a.types.size === 0) continue;
      const [acc] = await this.tx<{ modseq: number }[]>`SELECT modseq FROM accounts WHERE id = ${accountRow}`;
      this.events.push({
        accountId: formatId("account", accountRow),
        modseq: acc!.modseq,
        types: [...a.types],
        mailboxIds,
      });
    }
  }
}
