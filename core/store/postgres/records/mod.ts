/**
 * The record stores (`RecordStores`) of `PostgresStore`, each in its own file over the same pool
 * and migration ledger. A record store that has no PostgreSQL implementation yet is a stand-in
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
import {
  PgBanStore,
  PgDkimKeyStore,
  PgIdentityStore,
  PgPop3SizeStore,
  PgSubscriptionStore,
  PgTokenStore,
  PgUploadStore,
  PgVacationStore,
} from "./small.ts";
import { PgPushSubscriptionStore, PgSubmissionStore } from "./jmap.ts";
import { PgQueueStore } from "./queue.ts";
import { PgDb } from "./db.ts";
import {
  PgOrganizationStore,
  PgPlanStore,
  PgUsageStore,
  TENANCY_COMPONENT,
  TENANCY_MIGRATIONS,
} from "./tenancy.ts";
import {
  OPS_COMPONENT,
  OPS_MIGRATIONS,
  PgAuditStore,
  PgDailyCounterStore,
  PgHealthCheckStore,
  PgNotificationStore,
} from "./ops.ts";
import { PgSieveScriptStore, SIEVE_COMPONENT, SIEVE_MIGRATIONS } from "./sieve_scripts.ts";
import { PgWebhookStore, WEBHOOKS_COMPONENT, WEBHOOKS_MIGRATIONS } from "./webhooks.ts";
import { DMARC_COMPONENT, DMARC_MIGRATIONS, PgDmarcStore } from "./dmarc.ts";
import { PgTlsRptStore, TLSRPT_COMPONENT, TLSRPT_MIGRATIONS } from "./tlsrpt.ts";
import { MAILBOX_ACL_COMPONENT, MAILBOX_ACL_MIGRATIONS, PgMailboxAclStore } from "./mailbox_acl.ts";
import {
  PgShareNotificationStore,
  SHARE_NOTIFICATIONS_COMPONENT,
  SHARE_NOTIFICATIONS_MIGRATIONS,
} from "./share_notifications.ts";
import { METADATA_COMPONENT, METADATA_MIGRATIONS, PgMetadataStore } from "./metadata.ts";
import { JUNK_COMPONENT, JUNK_MIGRATIONS, PgJunkTokenStore } from "./junk_tokens.ts";
import { API_AUTH_COMPONENT, API_AUTH_MIGRATIONS, PgApiSessionStore } from "./api_sessions.ts";

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
  Object.assign(stores, {
    identities: new PgIdentityStore(sql, host.now),
    uploads: new PgUploadStore(sql),
    tokens: new PgTokenStore(sql),
    vacations: new PgVacationStore(sql),
    bans: new PgBanStore(sql),
    dkimKeys: new PgDkimKeyStore(sql),
    pop3Sizes: new PgPop3SizeStore(sql),
    subscriptions: new PgSubscriptionStore(sql),
    submissions: new PgSubmissionStore(sql, host.now),
    pushSubscriptions: new PgPushSubscriptionStore(sql),
    queue: new PgQueueStore(sql),
    organizations: new PgOrganizationStore(db, host.now),
    plans: new PgPlanStore(db, host.now),
    usage: new PgUsageStore(db),
    dailyCounters: new PgDailyCounterStore(db),
    healthChecks: new PgHealthCheckStore(db),
    notifications: new PgNotificationStore(db),
    audit: new PgAuditStore(db),
    apiSessions: new PgApiSessionStore(db),
    sieveScripts: new PgSieveScriptStore(db, host.now),
    webhooks: new PgWebhookStore(db),
    dmarc: new PgDmarcStore(db),
    tlsrpt: new PgTlsRptStore(db),
    mailboxAcl: new PgMailboxAclStore(db),
    shareNotifications: new PgShareNotificationStore(db),
    metadata: new PgMetadataStore(sql),
    junkTokens: new PgJunkTokenStore(sql),
  });
  return { ...(stores as unknown as RecordStores), bind: () => {} };
}
