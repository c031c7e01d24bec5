/**
 * The PostgreSQL table of the share notifications (RFC 9670 §5) and the one sequence
 * (`share_notification_seq`) that numbers creations and destructions alike. The store is the shared
 * `SqlShareNotificationStore` (core/store/records/sql/share_notifications.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

/** Migration component of the share notifications table. */
export const SHARE_NOTIFICATIONS_COMPONENT = "share_notifications";

/** The share notifications table and its sequence. */
export const SHARE_NOTIFICATIONS_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE SEQUENCE share_notification_seq;
CREATE TABLE share_notifications (
  seq BIGINT PRIMARY KEY,
  account_id TEXT NOT NULL,
  created BIGINT NOT NULL,
  changed_by_name TEXT NOT NULL,
  changed_by_email TEXT,
  changed_by_id TEXT,
  object_type TEXT NOT NULL,
  object_account_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  old_rights TEXT NOT NULL,
  new_rights TEXT NOT NULL,
  name TEXT NOT NULL,
  destroyed_seq BIGINT
);
CREATE INDEX share_notifications_account ON share_notifications (account_id, seq);
`,
}];

/** The next number of the one sequence (`SqlShareNotificationStore`'s `nextSeq`). */
export const SHARE_NOTIFICATION_NEXT_SEQ = "nextval('share_notification_seq')";
