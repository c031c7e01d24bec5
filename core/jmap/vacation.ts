/**
 * The VacationResponse singleton of each account (RFC 8621 §8) and the record of who was already
 * answered (RFC 3834 §2: at most one reply per sender per period).
 *
 * @module
 */
import type { AccountId } from "../store/types.ts";
import type { JmapSql } from "./sql.ts";
import { ensureJmapSchema } from "./schema.ts";

/** The VacationResponse object; its id is always "singleton". */
export interface VacationResponse {
  id: "singleton";
  isEnabled: boolean;
  fromDate: Date | null;
  toDate: Date | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

interface VacationRow {
  is_enabled: number;
  from_date: number | null;
  to_date: number | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  state: number;
}

/** Vacation responses of all accounts. */
export class Vacations {
  readonly #sql: JmapSql;

  /** @param sql the store database */
  constructor(sql: JmapSql) {
    ensureJmapSchema(sql);
    this.#sql = sql;
  }

  /** The account's vacation response (disabled and empty when never set) and its state. */
  get(accountId: AccountId): { value: VacationResponse; state: string } {
    const row = this.#sql.get<VacationRow>("SELECT * FROM jmap_vacation WHERE account_id = ?", accountId);
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

  /** Replaces the account's vacation response; returns the new state. */
  set(accountId: AccountId, v: VacationResponse): string {
    const state = Number(this.get(accountId).state) + 1;
    this.#sql.run(
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
    this.#sql.run("DELETE FROM jmap_vacation_sent WHERE account_id = ?", accountId);
    return String(state);
  }

  /**
   * Whether a reply to `sender` is due at `now`, recording it when so (once per sender per
   * `periodMs`, RFC 3834 §2).
   */
  claimReply(accountId: AccountId, sender: string, now: Date, periodMs: number): boolean {
    const key = sender.toLowerCase();
    return this.#sql.transaction(() => {
      const row = this.#sql.get<{ sent_at: number }>(
        "SELECT sent_at FROM jmap_vacation_sent WHERE account_id = ? AND sender = ?",
        accountId,
        key,
      );
      if (row && now.getTime() - row.sent_at < periodMs) return false;
      this.#sql.run(
        "INSERT INTO jmap_vacation_sent (account_id, sender, sent_at) VALUES (?, ?, ?) " +
          "ON CONFLICT(account_id, sender) DO UPDATE SET sent_at = excluded.sent_at",
        accountId,
        key,
        now.getTime(),
      );
      return true;
    });
  }
}
