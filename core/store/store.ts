/**
 * The `Store` interface: the only way anything outside a backend reaches persistent data (mail,
 * and through `RecordStores` the queue, JMAP records, bans, DKIM keys and POP3 sizes). The first
 * implementation is `SqliteStore` (core/store/sqlite/); PostgreSQL will follow, so everything here is
 * in domain terms. tests/store/store_contract.ts is what a backend must pass.
 *
 * Durability contract: every method that writes resolves only after the change is committed and
 * fsynced (SQLite: the WAL fdatasynced after the COMMIT, before the write resolves; blobs fsynced
 * before the row that references them is committed). Implementations may batch concurrent writes into one commit (group commit).
 *
 * After every committed change the store publishes a `ChangeEvent` on its notifier.
 *
 * @module
 */
import type {
  Account,
  AccountId,
  AccountSecrets,
  AddedMessage,
  Alias,
  BlobId,
  Changes,
  ChangeType,
  Domain,
  KeywordChange,
  Mailbox,
  MailboxCounts,
  MailboxId,
  MailboxPatch,
  MailboxRole,
  Message,
  MessageFilter,
  MessageId,
  MessageSort,
  NewMailbox,
  NewMessage,
  Placement,
  ThreadId,
} from "./types.ts";
import type { BlobStore } from "./blob_store.ts";
import type { ExpungeHold } from "./expunge_holds.ts";
import type { ChangeNotifier } from "./notifier.ts";
import type { BackupReport } from "./backup.ts";
import type { QueueStore } from "./records/queue.ts";
import type { IdentityStore } from "./records/identities.ts";
import type { SubmissionStore } from "./records/submissions.ts";
import type { VacationStore } from "./records/vacations.ts";
import type { UploadStore } from "./records/uploads.ts";
import type { TokenStore } from "./records/tokens.ts";
import type { BanStore } from "./records/bans.ts";
import type { ApiSessionStore } from "./records/api_sessions.ts";
import type { AuditStore } from "./records/audit.ts";
import type { DkimKeyStore } from "./records/dkim_keys.ts";
import type { Pop3SizeStore } from "./records/pop3_sizes.ts";
import type { SubscriptionStore } from "./records/subscriptions.ts";
import type { OrganizationStore } from "./records/organizations.ts";
import type { PlanStore } from "./records/plans.ts";
import type { UsageStore } from "./records/usage.ts";
import type { HealthCheckStore } from "./records/health_checks.ts";
import type { DailyCounterStore } from "./records/daily_counters.ts";
import type { JunkTokenStore } from "./records/junk_tokens.ts";
import type { PushSubscriptionStore } from "./records/push_subscriptions.ts";
import type { DmarcStore } from "./records/dmarc.ts";
import type { TlsRptStore } from "./records/tlsrpt.ts";
import type { WebhookStore } from "./records/webhooks.ts";
import type { NotificationStore } from "./records/notifications.ts";
import type { SieveScriptStore } from "./records/sieve_scripts.ts";
import type { MailboxAclStore } from "./records/mailbox_acl.ts";
import type { ShareNotificationStore } from "./records/share_notifications.ts";
import type { MetadataStore } from "./records/metadata.ts";

/** Domains, accounts, aliases and secrets. */
export interface DirectoryStore {
  addDomain(name: string): Promise<Domain>;
  listDomains(): Promise<Domain[]>;
  /** Fails with StoreError("hasChildren") while accounts of the domain exist. */
  deleteDomain(name: string): Promise<void>;
  isLocalDomain(name: string): Promise<boolean>;

  /** Creates the account and its default mailboxes (Inbox, Drafts, Sent, Junk, Trash, Archive). */
  createAccount(
    input: { address: string; displayName?: string; quotaBytes?: number; secrets: AccountSecrets },
  ): Promise<Account>;
  getAccount(id: AccountId): Promise<Account | null>;
  /** Case-insensitive on the domain; local part compared case-insensitively too. */
  getAccountByAddress(address: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  updateAccount(
    id: AccountId,
    patch: { displayName?: string; quotaBytes?: number; disabled?: boolean },
  ): Promise<Account>;
  /** Deletes the account, its mailboxes and messages (blob references released). */
  deleteAccount(id: AccountId): Promise<void>;
  getSecrets(id: AccountId): Promise<AccountSecrets | null>;
  setSecrets(id: AccountId, secrets: AccountSecrets): Promise<void>;

  addAlias(address: string, targets: string[]): Promise<Alias>;
  listAliases(): Promise<Alias[]>;
  deleteAlias(address: string): Promise<void>;
  /** Addresses an account may send as: its own address and the aliases that target it. */
  sendableAddresses(id: AccountId): Promise<string[]>;

  /**
   * Resolves an envelope recipient to accounts: exact account address, then `user+tag@` to
   * `user@`, then aliases, then the domain's catch-all. Null when the domain is not local or nothing
   * matches. Disabled accounts are left out.
   */
  resolveRecipient(address: string): Promise<Account[] | null>;
}

/** Mailboxes of an account. */
export interface MailboxStore {
  listMailboxes(accountId: AccountId): Promise<Mailbox[]>;
  getMailbox(accountId: AccountId, id: MailboxId): Promise<Mailbox | null>;
  /** Finds a mailbox by role (e.g. the Inbox for delivery). */
  getMailboxByRole(accountId: AccountId, role: MailboxRole): Promise<Mailbox | null>;
  mailboxCounts(accountId: AccountId, id: MailboxId): Promise<MailboxCounts>;
  /** Fails with StoreError("alreadyExists") on a sibling with the same name (case-sensitive; INBOX excepted). */
  createMailbox(
    accountId: AccountId,
    input: NewMailbox,
  ): Promise<Mailbox>;
  updateMailbox(
    accountId: AccountId,
    id: MailboxId,
    patch: MailboxPatch,
  ): Promise<Mailbox>;
  /**
   * Deletes a mailbox. With `removeMessages` false it fails (StoreError "conflict") if the mailbox
   * has messages; with true, messages only in this mailbox are destroyed and others lose this
   * placement. Fails with "hasChildren" if it has child mailboxes.
   */
  deleteMailbox(accountId: AccountId, id: MailboxId, opts: { removeMessages: boolean }): Promise<void>;
  /**
   * IMAP \Recent (RFC 3501 §2.3.2): the highest UID of the mailbox already claimed as recent by
   * some session (0 when none). With `upTo`, raises it to `upTo` in the same atomic step, so that
   * exactly one caller claims each UID. Durable: claims survive restarts.
   */
  claimRecent(accountId: AccountId, id: MailboxId, upTo?: number): Promise<number>;
  /**
   * IMAP \Recent (RFC 3501 §2.3.2): claims every UID of the mailbox not claimed yet, like
   * `claimRecent` with `upTo` the mailbox's highest UID at the moment of the claim (one atomic
   * step, durable when it resolves). `before` is the highest UID claimed before: UIDs in
   * (`before`, `upTo`] are the caller's. Asked right after a write to the mailbox (without yielding
   * to the event loop in between), the claim is made after that write and in its commit: an IMAP
   * APPEND claims its own message without a commit of its own. Optional: only a store whose writes
   * of one event-loop turn share a commit (SQLite's group commit) has it; elsewhere it would only
   * add a transaction.
   */
  claimAllRecent?(accountId: AccountId, id: MailboxId): Promise<{ before: number; upTo: number }>;
}

/** A message's keywords and MODSEQ after `updateKeywords` (changed or already as asked). */
export interface UpdatedKeywords {
  id: MessageId;
  keywords: string[];
  modseq: number;
}

/** What `queryMessages` asks: a filter, a sort, thread collapsing and a window of the result. */
export interface MessageQuery {
  filter?: MessageFilter;
  sort?: MessageSort[];
  collapseThreads?: boolean;
  position?: number;
  limit?: number;
}

/** Result of copying or moving messages between mailboxes (UIDPLUS COPYUID data). */
export interface CopyResult {
  uidValidity: number;
  /** Source UID and the UID assigned in the destination, in source UID order. */
  pairs: { fromUid: number; toUid: number; messageId: MessageId }[];
  modseq: number;
}

/** Messages and their placements. */
export interface MessageStore {
  /**
   * Adds messages (each already in the blob store), parses their header summary, threads them and
   * places them. All-or-nothing per call. Enforces quota (StoreError "overQuota").
   */
  addMessages(messages: NewMessage[]): Promise<AddedMessage[]>;
  /**
   * Stores `raw` as a blob and adds messages of it, all-or-nothing: the same outcome as
   * `blobs.put(raw)` then `addMessages` with its id, in one durable step where the store can (the
   * delivery path: one commit and one fsync instead of two).
   */
  storeMessages(
    raw: Uint8Array,
    messages: Omit<NewMessage, "blobId">[],
  ): Promise<{ blobId: BlobId; size: number; added: AddedMessage[] }>;
  /**
   * Messages by id (unknown ids left out), in the order asked. With `mailboxIds: false` each
   * message's `mailboxIds` is empty, not read (IMAP, which knows the mailbox, never uses them).
   */
  getMessages(accountId: AccountId, ids: MessageId[], opts?: { mailboxIds?: boolean }): Promise<Message[]>;
  /**
   * Placements of a mailbox ordered by UID ascending, optionally only UIDs in [minUid, maxUid].
   * The array is the caller's; the Placement objects (and their keyword arrays) may be shared with
   * the store's cache and frozen: treat them as read-only, and copy fields by name rather than by
   * spreading (some fields may be getters over packed data).
   */
  listPlacements(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts?: { minUid?: number; maxUid?: number; changedSince?: number },
  ): Promise<Placement[]>;
  /**
   * RFC 5256 §2.2 sent dates of a mailbox's messages, for IMAP SORT and THREAD by date: for each
   * UID ascending, the Date: header's instant or else the placement's internal date (ms since the
   * epoch). Optional: without it the sort keys come from `getMessages`.
   */
  sentDates?(accountId: AccountId, mailboxId: MailboxId): Promise<{ uids: number[]; dates: number[] }>;
  /**
   * RFC 8514 save dates of a mailbox's messages: for each UID ascending (optionally only UIDs in
   * [minUid, maxUid]), when its placement was made by APPEND, COPY, MOVE or delivery, in ms since
   * the epoch, or null where the store cannot tell. Optional: a store without it has no save dates.
   */
  savedDates?(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts?: { minUid?: number; maxUid?: number },
  ): Promise<{ uids: number[]; dates: (number | null)[] }>;
  /**
   * Changes keywords of messages. `unchangedSince` (RFC 7162 CONDSTORE) skips messages modified
   * after that MODSEQ and reports them in `failed`; `updated` has every other message found, with
   * its keywords and MODSEQ after the change (what an IMAP STORE answers; no message is read back).
   */
  updateKeywords(
    accountId: AccountId,
    ids: MessageId[],
    change: KeywordChange,
    opts?: { unchangedSince?: number; origin?: symbol },
  ): Promise<{ updated: UpdatedKeywords[]; failed: MessageId[]; modseq: number }>;
  /** Replaces the mailboxes of a message (JMAP). New placements get new UIDs. */
  setMailboxes(accountId: AccountId, id: MessageId, mailboxIds: MailboxId[]): Promise<Message>;
  /** IMAP COPY: new messages sharing the blobs, keywords copied. */
  copyMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult>;
  /** IMAP MOVE (RFC 6851): atomic copy + expunge of the source placements, same message ids. */
  moveMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult>;
  /** Removes placements; a message left with no mailbox is destroyed. Returns the UIDs removed. */
  expunge(
    accountId: AccountId,
    mailboxId: MailboxId,
    uids: number[],
    opts?: { origin?: symbol },
  ): Promise<{ uids: number[]; modseq: number }>;
  /** JMAP destroy: removes the messages from every mailbox. */
  destroyMessages(
    accountId: AccountId,
    ids: MessageId[],
  ): Promise<{ destroyed: MessageId[]; notFound: MessageId[] }>;
  /** UIDs expunged from a mailbox after a MODSEQ (RFC 7162 QRESYNC VANISHED). */
  expungedSince(accountId: AccountId, mailboxId: MailboxId, modseq: number): Promise<number[]>;
  /**
   * Ordered message ids matching a filter (JMAP Email/query; IMAP SEARCH may use it). With
   * `position` the first that many results (after thread collapsing) are skipped; with `limit` at
   * most that many ids are returned, so a first page of a large mailbox costs only that page.
   */
  queryMessages(accountId: AccountId, query: MessageQuery): Promise<MessageId[]>;
  /** Message ids of each thread, ordered by receivedAt ascending. */
  getThreads(accountId: AccountId, ids: ThreadId[]): Promise<{ id: ThreadId; emailIds: MessageId[] }[]>;
}

/** State strings and the change log. */
export interface ChangeLogStore {
  /** Current state string of a data type for an account. */
  state(accountId: AccountId, type: ChangeType): Promise<string>;
  /**
   * What changed since `sinceState` (RFC 8620 §5.2). Throws CannotCalculateChangesError when the
   * state is unknown or the log was pruned past it.
   */
  changes(accountId: AccountId, type: ChangeType, sinceState: string, maxChanges?: number): Promise<Changes>;
  /** Records a change of a type the store does not manage itself (e.g. Identity) and returns the new state. */
  recordChange(
    accountId: AccountId,
    type: ChangeType,
    change: { created?: string[]; updated?: string[]; destroyed?: string[] },
  ): Promise<string>;
  /**
   * Keeps the newest `keepPerAccount` change-log entries of each account and drops the rest; clients
   * holding an older state then get CannotCalculateChangesError and resynchronise (RFC 8620 §5.2).
   */
  pruneChanges(keepPerAccount?: number): Promise<{ removed: number }>;
}

/**
 * The records that are not mail, each behind its own interface (core/store/records/): everything
 * Tern keeps lives behind `Store`, so a server built on any implementation keeps its queue, bans and
 * JMAP objects, and nothing outside the backend reaches its database.
 */
export interface RecordStores {
  /** The outbound queue's messages, recipients and attempts (core/queue). */
  readonly queue: QueueStore;
  /** JMAP Identity objects. */
  readonly identities: IdentityStore;
  /** JMAP EmailSubmission objects. */
  readonly submissions: SubmissionStore;
  /** JMAP VacationResponse objects and who was answered. */
  readonly vacations: VacationStore;
  /** JMAP uploads (blob ownership and media type). */
  readonly uploads: UploadStore;
  /** API token hashes. */
  readonly tokens: TokenStore;
  /** Authentication-failure bans (core/policy). */
  readonly bans: BanStore;
  /** Admin-API login sessions and refresh-token hashes (core/api_auth). */
  readonly apiSessions: ApiSessionStore;
  /** The audit log: changes and security events (core/audit). */
  readonly audit: AuditStore;
  /** DKIM signing keys per domain. */
  readonly dkimKeys: DkimKeyStore;
  /** POP3 CRLF sizes per blob (core/pop3). */
  readonly pop3Sizes: Pop3SizeStore;
  /** IMAP subscriptions that outlived their mailbox (RFC 9051 §6.3.7). */
  readonly subscriptions: SubscriptionStore;
  /** Mailbox access control lists (RFC 4314, core/acl). */
  readonly mailboxAcl: MailboxAclStore;
  /** Share notifications of grants, changes and revocations (RFC 9670 §5, core/acl). */
  readonly shareNotifications: ShareNotificationStore;
  /** IMAP METADATA entries of the server and of mailboxes (RFC 5464). */
  readonly metadata: MetadataStore;
  /** JMAP PushSubscription objects (RFC 8620 §7.2). */
  readonly pushSubscriptions: PushSubscriptionStore;
  /** DMARC results awaiting aggregate reports, and received reports (core/mailauth). */
  readonly dmarc: DmarcStore;
  /** Outbound TLS results awaiting TLS-RPT reports (RFC 8460, core/tlsrpt). */
  readonly tlsrpt: TlsRptStore;
  /** Webhooks, their outbox and delivery log (core/webhooks). */
  readonly webhooks: WebhookStore;
  /** When each notification cause was last sent (core/notify). */
  readonly notifications: NotificationStore;
  /** Sieve scripts (one active per account) and their vacation/duplicate trackers (core/sieve). */
  readonly sieveScripts: SieveScriptStore;
  /** Organizations, domain ownership and roles (core/tenancy). */
  readonly organizations: OrganizationStore;
  /** Plans: limits and feature flags (core/tenancy). */
  readonly plans: PlanStore;
  /** Usage counters per organization and day (core/tenancy). */
  readonly usage: UsageStore;
  /** Periodic health checks kept for their history (core/health). */
  readonly healthChecks: HealthCheckStore;
  /** Platform-wide counters per day: deliveries, bounces (core/stats). */
  readonly dailyCounters: DailyCounterStore;
  /**
   * The per-account Bayesian junk filter's token counts (core/spam). Optional while a backend lacks
   * it: without it the filter scores by rules only and nothing is trained.
   */
  readonly junkTokens?: JunkTokenStore;
}

/** The whole store. */
export interface Store extends DirectoryStore, MailboxStore, MessageStore, ChangeLogStore, RecordStores {
  readonly blobs: BlobStore;
  readonly notifier: ChangeNotifier;
  /**
   * Opens a hold on a mailbox for an IMAP session (expunge_holds.ts): messages destroyed from it
   * afterwards keep their blob, and the hold describes them, until the hold releases them. With
   * `owner`, messages destroyed by a write whose `origin` is `owner` (the session's own EXPUNGE,
   * reported in its response) are not held.
   */
  holdExpunged(accountId: AccountId, mailboxId: MailboxId, owner?: symbol): ExpungeHold;
  /** Reads a whole message's raw bytes. */
  readMessage(accountId: AccountId, id: MessageId): Promise<Uint8Array | null>;
  /**
   * Pins a blob that no message references (a queued message, a JMAP upload) so that garbage
   * collection keeps it; pair with `releaseBlob`. The blob must exist.
   */
  retainBlob(blobId: BlobId): Promise<void>;
  /** Drops a reference taken with `retainBlob`. */
  releaseBlob(blobId: BlobId): Promise<void>;
  /** Blobs written but never referenced (e.g. after a crash) and unreferenced ones are removed. */
  collectGarbage(): Promise<{ removed: number }>;
  /**
   * Reports every write transaction's time from start to durable commit, in seconds (the
   * `tern_store_commit_seconds` histogram, core/metrics). Optional: a backend without it is not timed.
   */
  observeCommits?(observer: (seconds: number) => void): void;
  /**
   * Writes a consistent copy of the whole store (database and blobs) to the directory `dest` while
   * the server keeps running (`tern backup`). Optional: a backend with its own tools (PostgreSQL:
   * pg_dump) leaves it out.
   */
  backup?(dest: string): Promise<BackupReport>;
  /**
   * The data dir another thread may open for reading only (`openReadOnlyStore` in open.ts), as
   * the JMAP read workers do (protocols/jmap/read_pool.ts): SQLite on disk, opened for writing.
   * Absent (or null) where a second read connection is not how the backend scales (PostgreSQL).
   */
  readonly replicaDir?: string | null;
  /**
   * Read-only stores: the next read starts a new snapshot, so it sees every commit made before
   * this call by any connection (SQLite: ends the open read scope).
   */
  freshRead?(): void;
  /** Read-only stores: how many writes were refused so far (also those a caller caught). */
  readonly refusedWrites?: number;
  close(): Promise<void>;
}

/** Re-exported for convenience. */
export type { BlobId };
