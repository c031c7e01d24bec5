/**
 * The threads part of `SqliteStore`: a new message's thread from its references, and the
 * messages of threads, over the store's database.
 *
 * @module
 */
import type { AccountId, MessageId, MessageSummary, ThreadId } from "../types.ts";
import type { Database } from "./database.ts";
import type { AccountRow } from "./directory.ts";
import { formatId, parseId } from "./ids.ts";

/** What the threads need of the store that hosts them. */
export interface ThreadsHost {
  readonly database: Database;
  /** Runs a synchronous read; its errors become rejections. */
  read<T>(fn: () => T | Promise<T>): Promise<T>;
  accountRow(id: AccountId): AccountRow;
}

/** The threads of the accounts in the SQLite database. */
export class SqliteThreads {
  readonly #h: ThreadsHost;

  /** @param host the store's database, reads and row helpers */
  constructor(host: ThreadsHost) {
    this.#h = host;
  }

  /**
   * Threads by Message-ID / In-Reply-To / References (RFC 8621 §3): the message joins the thread of
   * a message it references or that references it; with several candidates, one whose base subject
   * matches wins, else the nearest reference. Thread ids never change once assigned.
   */
  assignThread(
    accountRow: number,
    summary: MessageSummary,
    subjectKey: string,
  ): { id: number; created: boolean } {
    const db = this.#h.database;
    const refs: string[] = [];
    for (const v of [...summary.messageId, ...summary.inReplyTo, ...[...summary.references].reverse()]) {
      if (typeof v === "string" && v.length > 0 && v.length <= 998 && !refs.includes(v)) refs.push(v);
      if (refs.length >= 64) break;
    }
    const candidates: number[] = [];
    for (const ref of refs) {
      const t = db.get<{ thread_id: number }>(
        "SELECT thread_id FROM thread_refs WHERE account_id = ? AND message_id_header = ?",
        accountRow,
        ref,
      );
      if (t && !candidates.includes(t.thread_id)) candidates.push(t.thread_id);
    }
    let id: number;
    let created = false;
    if (candidates.length === 0) {
      id = db.get<{ id: number }>(
        "INSERT INTO threads (account_id, subject_key) VALUES (?, ?) RETURNING id",
        accountRow,
        subjectKey,
      )!.id;
      created = true;
    } else if (candidates.length === 1) {
      id = candidates[0]!;
    } else {
      id = candidates.find((c) =>
        db.get<{ subject_key: string }>("SELECT subject_key FROM threads WHERE id = ?", c)?.subject_key ===
          subjectKey
      ) ?? candidates[0]!;
    }
    for (const ref of refs) {
      db.run(
        "INSERT OR IGNORE INTO thread_refs (account_id, message_id_header, thread_id) VALUES (?, ?, ?)",
        accountRow,
        ref,
        id,
      );
    }
    return { id, created };
  }

  /** Email ids of threads, by receivedAt ascending; unknown threads left out. */
  getThreads(accountId: AccountId, ids: ThreadId[]): Promise<{ id: ThreadId; emailIds: MessageId[] }[]> {
    return this.#h.read(() => {
      const acc = this.#h.accountRow(accountId);
      const out: { id: ThreadId; emailIds: MessageId[] }[] = [];
      for (const id of ids) {
        const row = parseId("thread", id);
        if (row === null) continue;
        const emailIds = this.#h.database.values(
          "SELECT id FROM messages WHERE thread_id = ? AND account_id = ? ORDER BY received_at, id",
          row,
          acc.id,
        ).map((r) => formatId("message", Number(r[0])));
        if (emailIds.length) out.push({ id, emailIds });
      }
      return Promise.resolve(out);
    });
  }
}
