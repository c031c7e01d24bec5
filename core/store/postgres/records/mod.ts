/**
 * The record stores (`RecordStores`) of `PostgresStore` over one pool and migration ledger: the
 * tables in this folder, one file per component, and the stores themselves mostly the ones shared
 * with SQLite (core/store/records/sql, run here by `PgDb`). A record store that has no PostgreSQL implementation yet is a stand-in
 * whose every method rejects with a clear error (`unported`), so a server on PostgreSQL fails
 * loudly where it would otherwise lose data.
 *
 * @module
 */
import type { RecordStores, Store } from "../../store.ts";
import type { BlobStore } from "../../blob_store.ts";
import type { Sql } from "../connection.ts";
import { migrate } from "../migrations.ts";
import { RECORDS_COMPONENT, RECORDS_MIGRATIONS } from "./schema.ts";
import { PgDb } from "./db.ts";
import { TENANCY_COMPONENT, TENANCY_MIGRATIONS } from "./tenancy.ts";
import { OPS_COMPONENT, OPS_MIGRATIONS } from "./ops.ts";
import { SIEVE_COMPONENT, SIEVE_MIGRATIONS } from "./sieve_scripts.ts";
import { PgWebhookStore, WEBHOOKS_COMPONENT, WEBHOOKS_MIGRATIONS } from "./webhooks.ts";
import { DMARC_COMPONENT, DMARC_MIGRATIONS } from "./dmarc.ts";
import { TLSRPT_COMPONENT, TLSRPT_MIGRATIONS } from "./tlsrpt.ts";
import { MAILBOX_ACL_COMPONENT, MAILBOX_ACL_MIGRATIONS } from "./mailbox_acl.ts";
import {
  SHARE_NOTIFICATION_NEXT_SEQ,
  SHARE_NOTIFICATIONS_COMPONENT,
  SHARE_NOTIFICATIONS_MIGRATIONS,
} from "./share_notifications.ts";
import { METADATA_COMPONENT, METADATA_MIGRATIONS } from "./metadata.ts";
import { JUNK_COMPONENT, JUNK_MIGRATIONS, PgJunkTokenStore } from "./junk_tokens.ts";
import { API_AUTH_COMPONENT, API_AUTH_MIGRATIONS } from "./api_sessions.ts";
import { SqlApiSessionStore } from "../../records/sql/api_sessions.ts";
import { SqlAuditStore } from "../../records/sql/audit.ts";
import { SqlBanStore } from "../../records/sql/bans.ts";
import { SqlDailyCounterStore } from "../../records/sql/daily_counters.ts";
import { SqlDkimKeyStore } from "../../records/sql/dkim_keys.ts";
import { SqlDmarcStore } from "../../records/sql/dmarc.ts";
import { SqlIdentityStore } from "../../records/sql/identities.ts";
import { SqlHealthCheckStore } from "../../records/sql/health_checks.ts";
import { SqlMailboxAclStore } from "../../records/sql/mailbox_acl.ts";
import { SqlMetadataStore } from "../../records/sql/metadata.ts";
import { SqlNotificationStore } from "../../records/sql/notifications.ts";
import { SqlOrganizationStore } from "../../records/sql/organizations.ts";
import { SqlPlanStore } from "../../records/sql/plans.ts";
import { SqlPop3SizeStore } from "../../records/sql/pop3_sizes.ts";
import { SqlPushSubscriptionStore } from "../../records/sql/push_subscriptions.ts";
import { SqlQueueStore } from "../../records/sql/queue.ts";
import { SqlShareNotificationStore } from "../../records/sql/share_notifications.ts";
import { SqlSieveScriptStore } from "../../records/sql/sieve_scripts.ts";
import { SqlSubmissionStore } from "../../records/sql/submissions.ts";
import { SqlSubscriptionStore } from "../../records/sql/subscriptions.ts";
import { SqlTlsRptStore } from "../../records/sql/tlsrpt.ts";
import { SqlTokenStore } from "../../records/sql/tokens.ts";
import { SqlUploadStore } from "../../records/sql/uploads.ts";
import { SqlUsageStore } from "../../records/sql/usage.ts";
import { SqlVacationStore } from "../../records/sql/vacations.ts";

/** What record stores get from the store that hosts them. */
export interface PgRecordHost {
  /** The clock, in milliseconds. */
  now(): number;
  readonly blobs: BlobStore;
}

/** The record stores, plus `bind` to hand them the finished store (for blob pinning). */
export type PgRecordStores = RecordStores & { bind(store: Store): void };

/**
 * Every record store `RecordStores` declares (a new one there fails type checking here until it is
 * listed, so the PostgreSQL backend cannot silently lack it).
 */
const NAMES: Record<keyof RecordStores, true> = {
  queue: true,
  identities: true,
  submissions: true,
  vacations: true,
  uploads: true,
  tokens: true,
  bans: true,
  apiSessions: true,
  audit: true,
  dkimKeys: true,
  pop3Sizes: true,
  subscriptions: true,
  mailboxAcl: true,
  shareNotifications: true,
  metadata: true,
  junkTokens: true,
  pushSubscriptions: true,
  organizations: true,
  plans: true,
  usage: true,
  healthChecks: true,
  dailyCounters: true,
  webhooks: true,
  notifications: true,
  sieveScripts: true,
  dmarc: true,
  tlsrpt: true,
};

/** The names of the record stores. */
export const RECORD_STORE_NAMES = Object.keys(NAMES) as (keyof RecordStores)[];

/** A stand-in for a record store not ported to PostgreSQL yet: every call rejects. */
export function unported<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_t, prop) {
      if (prop === "then") return undefined;
      return () =>
        Promise.reject(
          new Error(`PostgresStore: the ${name} record store is not available on PostgreSQL yet`),
        );
    },
  });
}

/** Opens (and migrates) every record store. */
export async function openPgRecordStores(sql: Sql, host: PgRecordHost): Promise<PgRecordStores> {
  await migrate(sql, RECORDS_COMPONENT, RECORDS_MIGRATIONS);
  await migrate(sql, TENANCY_COMPONENT, TENANCY_MIGRATIONS);
  await migrate(sql, OPS_COMPONENT, OPS_MIGRATIONS);
  await migrate(sql, API_AUTH_COMPONENT, API_AUTH_MIGRATIONS);
  await migrate(sql, SIEVE_COMPONENT, SIEVE_MIGRATIONS);
  await migrate(sql, WEBHOOKS_COMPONENT, WEBHOOKS_MIGRATIONS);
  await migrate(sql, DMARC_COMPONENT, DMARC_MIGRATIONS);
  await migrate(sql, TLSRPT_COMPONENT, TLSRPT_MIGRATIONS);
  await migrate(sql, MAILBOX_ACL_COMPONENT, MAILBOX_ACL_MIGRATIONS);
  await migrate(sql, SHARE_NOTIFICATIONS_COMPONENT, SHARE_NOTIFICATIONS_MIGRATIONS);
  await migrate(sql, METADATA_COMPONENT, METADATA_MIGRATIONS);
  await migrate(sql, JUNK_COMPONENT, JUNK_MIGRATIONS);
  const db = new PgDb(sql);
  const stores = {} as Record<string, unknown>;
  for (const name of RECORD_STORE_NAMES) stores[name] = unported(name);
  // Every store but the webhooks' due deliveries and the junk counts runs the statements shared
  // with SQLite (core/store/records/sql).
  Object.assign(stores, {
    identities: new SqlIdentityStore(db, host.now),
    uploads: new SqlUploadStore(db),
    tokens: new SqlTokenStore(db),
    vacations: new SqlVacationStore(db),
    bans: new SqlBanStore(db),
    dkimKeys: new SqlDkimKeyStore(db),
    pop3Sizes: new SqlPop3SizeStore(db),
    subscriptions: new SqlSubscriptionStore(db),
    submissions: new SqlSubmissionStore(db, host.now),
    pushSubscriptions: new SqlPushSubscriptionStore(db),
    queue: new SqlQueueStore(db),
    organizations: new SqlOrganizationStore(db, host.now),
    plans: new SqlPlanStore(db, host.now),
    usage: new SqlUsageStore(db),
    dailyCounters: new SqlDailyCounterStore(db),
    healthChecks: new SqlHealthCheckStore(db),
    notifications: new SqlNotificationStore(db),
    audit: new SqlAuditStore(db),
    apiSessions: new SqlApiSessionStore(db),
    sieveScripts: new SqlSieveScriptStore(db, host.now),
    webhooks: new PgWebhookStore(db),
    dmarc: new SqlDmarcStore(db),
    tlsrpt: new SqlTlsRptStore(db),
    mailboxAcl: new SqlMailboxAclStore(db),
    shareNotifications: new SqlShareNotificationStore(db, SHARE_NOTIFICATION_NEXT_SEQ),
    metadata: new SqlMetadataStore(db),
    junkTokens: new PgJunkTokenStore(sql),
  });
  return { ...(stores as unknown as RecordStores), bind: () => {} };
}
