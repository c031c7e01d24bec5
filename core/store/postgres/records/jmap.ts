/**
 * JMAP EmailSubmission and PushSubscription records on PostgreSQL (JSON values as text, as in the
 * SQLite backend); the statements are the shared ones (core/store/records/sql/submissions.ts,
 * push_subscriptions.ts).
 *
 * @module
 */
import { SqlPushSubscriptionStore } from "../../records/sql/push_subscriptions.ts";
import { SqlSubmissionStore } from "../../records/sql/submissions.ts";
import type { Sql } from "../connection.ts";
import { PgDb } from "./db.ts";

/** JMAP EmailSubmission objects. */
export class PgSubmissionStore extends SqlSubmissionStore {
  /** @param sql the pool @param now the clock in ms */
  constructor(sql: Sql, now: () => number) {
    super(new PgDb(sql), now);
  }
}

/** JMAP PushSubscription objects (RFC 8620 §7.2). */
export class PgPushSubscriptionStore extends SqlPushSubscriptionStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}
