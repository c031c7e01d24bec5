/**
 * `VacationStore` (JMAP VacationResponse, RFC 8621 §8, and who was answered, RFC 3834 §2) in SQL,
 * shared by SQLite and PostgreSQL (tables `jmap_vacation`, `jmap_vacation_sent`; each backend
 * keeps its schema). The flag is INTEGER 0/1 on SQLite and BOOLEAN on PostgreSQL.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { VacationResponse, VacationStore } from "../vacations.ts";
import { get, type Op, type RecordDb, run } from "./db.ts";

interface VacationRow {
  is_enabled: number | boolean;
  from_date: number | null;
  to_date: number | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  state: number;
}

function* set(accountId: AccountId, v: VacationResponse): Op<string> {
  const row = yield* get<{ state: number }>(
    "INSERT INTO jmap_vacation (account_id, is_enabled, from_date, to_date, subject, text_body, html_body, state) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (account_id) DO UPDATE SET is_enabled = excluded.is_enabled, " +
      "from_date = excluded.from_date, to_date = excluded.to_date, subject = excluded.subject, " +
      "text_body = excluded.text_body, html_body = excluded.html_body, state = jmap_vacation.state + 1 " +
      "RETURNING state",
    accountId,
    v.isEnabled,
    v.fromDate?.getTime() ?? null,
    v.toDate?.getTime() ?? null,
    v.subject,
    v.textBody,
    v.htmlBody,
  );
  // A changed response may be sent again to everyone (RFC 3834 §2 leaves this to the responder).
  yield* run("DELETE FROM jmap_vacation_sent WHERE account_id = ?", accountId);
  return String(row!.state);
}

/** Vacation responses over either backend. */
export class SqlVacationStore implements VacationStore {
  /** @param db the backend, its JMAP schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** The account's vacation response and its state. */
  async get(accountId: AccountId): Promise<{ value: VacationResponse; state: string }> {
    const row = await this.db.read(
      get<VacationRow>("SELECT * FROM jmap_vacation WHERE account_id = ?", accountId),
    );
    return {
      value: {
        id: "singleton",
        isEnabled: row ? Boolean(row.is_enabled) : false,
        fromDate: row?.from_date ? new Date(row.from_date) : null,
        toDate: row?.to_date ? new Date(row.to_date) : null,
        subject: row?.subject ?? null,
        textBody: row?.text_body ?? null,
        htmlBody: row?.html_body ?? null,
      },
      state: String(row?.state ?? 0),
    };
  }

  /** Replaces the response; returns the new state. */
  set(accountId: AccountId, v: VacationResponse): Promise<string> {
    return this.db.atomic(set(accountId, v));
  }

  /** True (and recorded) when the sender was not answered within the period (RFC 3834 §2). */
  async claimReply(accountId: AccountId, sender: string, now: Date, periodMs: number): Promise<boolean> {
    const t = now.getTime();
    // One upsert: a sender answered within the period is left alone and returns nothing.
    const row = await this.db.atomic(get(
      "INSERT INTO jmap_vacation_sent (account_id, sender, sent_at) VALUES (?, ?, ?) " +
        "ON CONFLICT (account_id, sender) DO UPDATE SET sent_at = excluded.sent_at " +
        "WHERE ? - jmap_vacation_sent.sent_at >= ? RETURNING sent_at",
      accountId,
      sender.toLowerCase(),
      t,
      t,
      periodMs,
    ));
    return row !== undefined;
  }
}
