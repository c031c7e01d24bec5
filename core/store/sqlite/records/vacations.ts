/**
 * SQLite implementation of `VacationStore` (tables `jmap_vacation`, `jmap_vacation_sent`).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { VacationResponse, VacationStore } from "../../records/vacations.ts";
import type { Database } from "../database.ts";

interface VacationRow {
  is_enabled: number;
  from_date: number | null;
  to_date: number | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  state: number;
}

/** Vacation responses in the store database. */
export class SqliteVacationStore implements VacationStore {
  readonly #db: Database;

  /** @param db the store database, JMAP schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  #get(accountId: AccountId): { value: VacationResponse; state: string } {
    const row = this.#db.get<VacationRow>("SELECT * FROM jmap_vacation WHERE account_id = ?", accountId);
    return {
      value: {
        id: "singleton",
        isEnabled: row ? row.is_enabled === 1 : false,
        fromDate: row?.from_date ? new Date(row.from_date) : null,
        toDate: row?.to_date ? new Date(row.to_date) : null,
        subject: row?.subject ?? null,
        textBody: row?.text_body ?? null,
        htmlBody: row?.html_body ?? null,
      },
      state: String(row?.state ?? 0),
    };
  }

  get(accountId: AccountId): Promise<{ value: VacationResponse; state: string }> {
    return Promise.resolve(this.#get(accountId));
  }

  set(accountId: AccountId, v: VacationResponse): Promise<string> {
    return Promise.resolve(this.#db.transaction(() => {
      const state = Number(this.#get(accountId).state) + 1;
      this.#db.run(
        "INSERT INTO jmap_vacation (account_id, is_enabled, from_date, to_date, subject, text_body, html_body, state) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account_id) DO UPDATE SET is_enabled = excluded.is_enabled, " +
          "from_date = excluded.from_date, to_date = excluded.to_date, subject = excluded.subject, " +
          "text_body = excluded.text_body, html_body = excluded.html_body, state = excluded.state",
        accountId,
        v.isEnabled ? 1 : 0,
        v.fromDate?.getTime() ?? null,
        v.toDate?.getTime() ?? null,
        v.subject,
        v.textBody,
        v.htmlBody,
        state,
      );
      // A changed response may be sent again to everyone (RFC 3834 §2 leaves this to the responder).
      this.#db.run("DELETE FROM jmap_vacation_sent WHERE account_id = ?", accountId);
      return String(state);
    }));
  }

  claimReply(accountId: AccountId, sender: string, now: Date, periodMs: number): Promise<boolean> {
    const key = sender.toLowerCase();
    return Promise.resolve(this.#db.transaction(() => {
      const row = this.#db.get<{ sent_at: number }>(
        "SELECT sent_at FROM jmap_vacation_sent WHERE account_id = ? AND sender = ?",
        accountId,
        key,
      );
      if (row && now.getTime() - row.sent_at < periodMs) return false;
      this.#db.run(
        "INSERT INTO jmap_vacation_sent (account_id, sender, sent_at) VALUES (?, ?, ?) " +
          "ON CONFLICT(account_id, sender) DO UPDATE SET sent_at = excluded.sent_at",
        accountId,
        key,
        now.getTime(),
      );
      return true;
    }));
  }
}
