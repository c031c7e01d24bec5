/**
 * The junk filter's per-account token counts, totals and per-message marks on PostgreSQL. A
 * training step is one transaction (tokens updated with one statement each way). Semantics as
 * core/store/sqlite/records/junk_tokens.ts.
 *
 * @module
 */
import type { AccountId, MessageId } from "../../types.ts";
import type { JunkMark, JunkTokenStore, JunkTraining, TokenCounts } from "../../records/junk_tokens.ts";
import type { PgMigration } from "../migrations.ts";
import type { Sql } from "../connection.ts";

/** Migration component of the junk tables. */
export const JUNK_COMPONENT = "junk";

/** The junk tables. */
export const JUNK_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE junk_tokens (
  account_id TEXT NOT NULL,
  token TEXT NOT NULL,
  spam BIGINT NOT NULL,
  ham BIGINT NOT NULL,
  touched BIGINT NOT NULL,
  PRIMARY KEY (account_id, token)
);
CREATE TABLE junk_totals (
  account_id TEXT PRIMARY KEY,
  spam BIGINT NOT NULL,
  ham BIGINT NOT NULL
);
CREATE TABLE junk_marks (
  account_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  mark TEXT NOT NULL CHECK (mark IN ('spam', 'ham', 'filed')),
  touched BIGINT NOT NULL,
  PRIMARY KEY (account_id, message_id)
);
`,
}];

/** Junk filter statistics. */
export class PgJunkTokenStore implements JunkTokenStore {
  #seq = 0;

  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** A strictly increasing stamp (ms), so later touches sort later. */
  #stamp(): number {
    this.#seq = Math.max(this.#seq + 1, Date.now());
    return this.#seq;
  }

  /** Counts of the known tokens among `tokens`. */
  async counts(accountId: AccountId, tokens: readonly string[]): Promise<Map<string, TokenCounts>> {
    const out = new Map<string, TokenCounts>();
    const unique = [...new Set(tokens)];
    if (unique.length === 0) return out;
    const rows = await this.sql<{ token: string; spam: number; ham: number }[]>`
      SELECT token, spam, ham FROM junk_tokens WHERE account_id = ${accountId} AND token = ANY(${unique}::text[])`;
    for (const r of rows) out.set(r.token, { spam: r.spam, ham: r.ham });
    return out;
  }

  /** How many messages were trained as spam and as ham. */
  async totals(accountId: AccountId): Promise<TokenCounts> {
    const [r] = await this.sql<{ spam: number; ham: number }[]>`
      SELECT spam, ham FROM junk_totals WHERE account_id = ${accountId}`;
    return { spam: r?.spam ?? 0, ham: r?.ham ?? 0 };
  }

  /** The marks of these messages. */
  async marks(accountId: AccountId, messageIds: readonly MessageId[]): Promise<Map<MessageId, JunkMark>> {
    const out = new Map<MessageId, JunkMark>();
    const unique = [...new Set(messageIds)];
    if (unique.length === 0) return out;
    const rows = await this.sql<{ message_id: string; mark: JunkMark }[]>`
      SELECT message_id, mark FROM junk_marks WHERE account_id = ${accountId}
        AND message_id = ANY(${unique}::text[])`;
    for (const r of rows) out.set(r.message_id, r.mark);
    return out;
  }

  /** Untrains and/or trains a message's tokens and sets its mark, in one transaction. */
  async train(accountId: AccountId, step: JunkTraining): Promise<void> {
    const now = this.#stamp();
    const tokens = [...new Set(step.tokens)];
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO junk_totals (account_id, spam, ham) VALUES (${accountId}, 0, 0) ON CONFLICT DO NOTHING`;
      if (step.untrain) {
        const col = step.untrain === "spam" ? "spam" : "ham";
        await tx.unsafe(
          `UPDATE junk_tokens SET ${col} = greatest(${col} - 1, 0), touched = $1
           WHERE account_id = $2 AND token = ANY($3::text[])`,
          [now, accountId, tokens],
        );
        await tx.unsafe(`UPDATE junk_totals SET ${col} = greatest(${col} - 1, 0) WHERE account_id = $1`, [
          accountId,
        ]);
        await tx`DELETE FROM junk_tokens WHERE account_id = ${accountId} AND spam = 0 AND ham = 0`;
      }
      if (step.train) {
        const spam = step.train === "spam" ? 1 : 0;
        const ham = 1 - spam;
        if (tokens.length) {
          await tx`INSERT INTO junk_tokens (account_id, token, spam, ham, touched)
            SELECT ${accountId}, t, ${spam}, ${ham}, ${now} FROM unnest(${tokens}::text[]) AS t
            ON CONFLICT (account_id, token) DO UPDATE SET spam = junk_tokens.spam + excluded.spam,
              ham = junk_tokens.ham + excluded.ham, touched = excluded.touched`;
        }
        const col = step.train === "spam" ? "spam" : "ham";
        await tx.unsafe(`UPDATE junk_totals SET ${col} = ${col} + 1 WHERE account_id = $1`, [accountId]);
      }
      if (step.mark === null) {
        await tx`DELETE FROM junk_marks WHERE account_id = ${accountId} AND message_id = ${step.messageId}`;
      } else {
        await tx`INSERT INTO junk_marks (account_id, message_id, mark, touched)
          VALUES (${accountId}, ${step.messageId}, ${step.mark}, ${now})
          ON CONFLICT (account_id, message_id) DO UPDATE SET mark = excluded.mark, touched = excluded.touched`;
      }
    });
  }

  /** Keeps at most `maxTokens` tokens (the rarest, oldest go) and the newest `maxMarks` marks. */
  async prune(accountId: AccountId, maxTokens: number, maxMarks: number): Promise<number> {
    return await this.sql.begin(async (tx) => {
      const [c] = await tx<{ n: number }[]>`SELECT count(*)::bigint AS n FROM junk_tokens
        WHERE account_id = ${accountId}`;
      const excess = (c?.n ?? 0) - maxTokens;
      if (excess > 0) {
        await tx`DELETE FROM junk_tokens WHERE account_id = ${accountId} AND token IN (
          SELECT token FROM junk_tokens WHERE account_id = ${accountId} ORDER BY spam + ham, touched
          LIMIT ${excess})`;
      }
      await tx`DELETE FROM junk_marks WHERE account_id = ${accountId} AND message_id IN (
        SELECT message_id FROM junk_marks WHERE account_id = ${accountId} ORDER BY touched DESC
        OFFSET ${Math.max(0, maxMarks)})`;
      return Math.max(excess, 0);
    }) as number;
  }
}
