/**
 * SQLite implementation of `JunkTokenStore` (component "junk": tables `junk_tokens`,
 * `junk_totals`, `junk_marks`); training steps run in the store's group commit.
 *
 * @module
 */
import type { AccountId, MessageId } from "../../types.ts";
import type { JunkMark, JunkTokenStore, JunkTraining, TokenCounts } from "../../records/junk_tokens.ts";
import type { Database } from "../database.ts";

const CHUNK = 500;

/** Applies the "junk" migrations. */
export function migrateJunkTokens(db: Database): void {
  db.applyMigrations("junk", [{
    version: 1,
    sql: `CREATE TABLE junk_tokens (
      account_id TEXT NOT NULL,
      token TEXT NOT NULL,
      spam INTEGER NOT NULL,
      ham INTEGER NOT NULL,
      touched INTEGER NOT NULL,
      PRIMARY KEY (account_id, token)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE junk_totals (
      account_id TEXT PRIMARY KEY,
      spam INTEGER NOT NULL,
      ham INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE junk_marks (
      account_id TEXT NOT NULL,
      message_id TEXT NOT NULL,
      mark TEXT NOT NULL CHECK (mark IN ('spam', 'ham', 'filed')),
      touched INTEGER NOT NULL,
      PRIMARY KEY (account_id, message_id)
    ) STRICT, WITHOUT ROWID;`,
  }]);
}

/** Junk filter counts in the store database. */
export class SqliteJunkTokenStore implements JunkTokenStore {
  readonly #db: Database;
  readonly #write: <T>(fn: () => T) => Promise<T>;
  #seq = 0;

  /**
   * @param db the store database, "junk" schema applied
   * @param write runs a job in the store's group commit
   */
  constructor(db: Database, write: <T>(fn: () => T) => Promise<T>) {
    this.#db = db;
    this.#write = write;
  }

  /** A strictly increasing stamp (ms, then +1 within the same ms): "oldest" for pruning. */
  #stamp(): number {
    this.#seq = Math.max(this.#seq + 1, Date.now());
    return this.#seq;
  }

  counts(accountId: AccountId, tokens: readonly string[]): Promise<Map<string, TokenCounts>> {
    const out = new Map<string, TokenCounts>();
    const unique = [...new Set(tokens)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const part = unique.slice(i, i + CHUNK);
      const rows = this.#db.all<{ token: string; spam: number; ham: number }>(
        `SELECT token, spam, ham FROM junk_tokens WHERE account_id = ? AND token IN (${
          part.map(() => "?").join(",")
        })`,
        accountId,
        ...part,
      );
      for (const r of rows) out.set(r.token, { spam: r.spam, ham: r.ham });
    }
    return Promise.resolve(out);
  }

  totals(accountId: AccountId): Promise<TokenCounts> {
    const r = this.#db.get<{ spam: number; ham: number }>(
      "SELECT spam, ham FROM junk_totals WHERE account_id = ?",
      accountId,
    );
    return Promise.resolve({ spam: r?.spam ?? 0, ham: r?.ham ?? 0 });
  }

  marks(accountId: AccountId, messageIds: readonly MessageId[]): Promise<Map<MessageId, JunkMark>> {
    const out = new Map<MessageId, JunkMark>();
    const unique = [...new Set(messageIds)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const part = unique.slice(i, i + CHUNK);
      const rows = this.#db.all<{ message_id: string; mark: JunkMark }>(
        `SELECT message_id, mark FROM junk_marks WHERE account_id = ? AND message_id IN (${
          part.map(() => "?").join(",")
        })`,
        accountId,
        ...part,
      );
      for (const r of rows) out.set(r.message_id, r.mark);
    }
    return Promise.resolve(out);
  }

  train(accountId: AccountId, step: JunkTraining): Promise<void> {
    return this.#write(() => {
      const now = this.#stamp();
      const tokens = [...new Set(step.tokens)];
      const db = this.#db;
      db.run("INSERT OR IGNORE INTO junk_totals (account_id, spam, ham) VALUES (?, 0, 0)", accountId);
      if (step.untrain) {
        const col = step.untrain;
        for (const t of tokens) {
          db.run(
            `UPDATE junk_tokens SET ${col} = MAX(${col} - 1, 0), touched = ? WHERE account_id = ? AND token = ?`,
            now,
            accountId,
            t,
          );
        }
        db.run(`UPDATE junk_totals SET ${col} = MAX(${col} - 1, 0) WHERE account_id = ?`, accountId);
        db.run("DELETE FROM junk_tokens WHERE account_id = ? AND spam = 0 AND ham = 0", accountId);
      }
      if (step.train) {
        const spam = step.train === "spam" ? 1 : 0;
        const ham = 1 - spam;
        for (const t of tokens) {
          db.run(
            `INSERT INTO junk_tokens (account_id, token, spam, ham, touched) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (account_id, token) DO UPDATE SET spam = spam + excluded.spam,
               ham = ham + excluded.ham, touched = excluded.touched`,
            accountId,
            t,
            spam,
            ham,
            now,
          );
        }
        db.run(`UPDATE junk_totals SET ${step.train} = ${step.train} + 1 WHERE account_id = ?`, accountId);
      }
      if (step.mark === null) {
        db.run("DELETE FROM junk_marks WHERE account_id = ? AND message_id = ?", accountId, step.messageId);
      } else {
        db.run(
          `INSERT INTO junk_marks (account_id, message_id, mark, touched) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id, message_id) DO UPDATE SET mark = excluded.mark, touched = excluded.touched`,
          accountId,
          step.messageId,
          step.mark,
          now,
        );
      }
    });
  }

  prune(accountId: AccountId, maxTokens: number, maxMarks: number): Promise<number> {
    return this.#write(() => {
      const db = this.#db;
      const before = db.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM junk_tokens WHERE account_id = ?",
        accountId,
      )?.n ?? 0;
      const excess = before - maxTokens;
      if (excess > 0) {
        db.run(
          `DELETE FROM junk_tokens WHERE account_id = ? AND token IN (
             SELECT token FROM junk_tokens WHERE account_id = ? ORDER BY spam + ham, touched LIMIT ?)`,
          accountId,
          accountId,
          excess,
        );
      }
      db.run(
        `DELETE FROM junk_marks WHERE account_id = ? AND message_id IN (
           SELECT message_id FROM junk_marks WHERE account_id = ? ORDER BY touched DESC LIMIT -1 OFFSET ?)`,
        accountId,
        accountId,
        maxMarks,
      );
      return Math.max(excess, 0);
    });
  }
}
