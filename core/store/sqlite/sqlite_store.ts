/**
 * `SqliteStore`: the `Store` on the built-in `node:sqlite` plus a filesystem blob store.
 *
 * Layout of a data dir: `<dataDir>/tern.db` (WAL, synchronous=FULL) and `<dataDir>/blobs/`.
 * Writes go through a group-commit queue (write_queue.ts): each resolves after its COMMIT and the
 * fdatasync of the WAL that follows it (run off the event loop), after the change events are
 * published. Reads run directly on the connection and see committed data only (a batch's rows are
 * readable from its COMMIT on, during the short WAL sync before its writes resolve).
 *
 * @example
 * ```ts
 * const store = await SqliteStore.open({ dataDir: await Deno.makeTempDir() });
 * await store.addDomain("example.org");
 * await store.close();
 * ```
 *
 * @module
 */
import { type Clock, systemClock } from "../../clock.ts";
import { type ChangeNotifier, MemoryNotifier } from "../notifier.ts";
import type { CopyResult, MessageQuery, Store, UpdatedKeywords } from "../store.ts";
import {
  type Account,
  type AccountId,
  type AccountSecrets,
  type AddedMessage,
  type Alias,
  type BlobId,
  type Changes,
  type ChangeType,
  type Domain,
  type KeywordChange,
  type Mailbox,
  type MailboxCounts,
  type MailboxId,
  type MailboxPatch,
  type MailboxRole,
  type Message,
  type MessageId,
  type NewMailbox,
  type NewMessage,
  type Placement,
  StoreError,
  type ThreadId,
} from "../types.ts";
import { FsBlobStore } from "../fs_blob_store.ts";
import { BLOB_DATA_COMPONENT, BLOB_DATA_MIGRATIONS, TieredBlobStore } from "./tiered_blob_store.ts";
import { SEARCH_PENDING_COMPONENT, SearchIndexer, searchPendingMigrations } from "./search_indexer.ts";
import { computeChanges, pruneChangeLog, typeState } from "./change_log.ts";
import { Database } from "./database.ts";
import { backupSqlite, restoreSqlite } from "./backup.ts";
import type { BackupReport } from "../backup.ts";
import { ACCOUNT_COLUMNS, type AccountRow, SqliteDirectory } from "./directory.ts";
import { type MailboxRow, SqliteMailboxes } from "./mailboxes.ts";
import { SqliteThreads } from "./threads.ts";
import { headerMatches } from "../text_match.ts";
import { type MessageRow, SqliteMessages } from "./messages.ts";
import { SqliteQueueStore } from "./records/queue.ts";
import { migrateJmap } from "./records/jmap_schema.ts";
import { SqliteIdentityStore } from "./records/identities.ts";
import { SqliteSubmissionStore } from "./records/submissions.ts";
import { SqliteVacationStore } from "./records/vacations.ts";
import { migratePushSubscriptions, SqlitePushSubscriptionStore } from "./records/push_subscriptions.ts";
import { migrateDmarc, SqliteDmarcStore } from "./records/dmarc.ts";
import { migrateTlsRpt, SqliteTlsRptStore } from "./records/tlsrpt.ts";
import { migrateWebhooks, SqliteWebhookStore } from "./records/webhooks.ts";
import { migrateNotifications, SqliteNotificationStore } from "./records/notifications.ts";
import { migrateSieveScripts, SqliteSieveScriptStore } from "./records/sieve_scripts.ts";
import { SqliteUploadStore } from "./records/uploads.ts";
import { SqliteTokenStore } from "./records/tokens.ts";
import { migrateBans, SqliteBanStore } from "./records/bans.ts";
import { migrateApiSessions, SqliteApiSessionStore } from "./records/api_sessions.ts";
import { migrateAudit, SqliteAuditStore } from "./records/audit.ts";
import { migrateDkimKeys, SqliteDkimKeyStore } from "./records/dkim_keys.ts";
import { migratePop3Sizes, SqlitePop3SizeStore } from "./records/pop3_sizes.ts";
import { migrateSubscriptions, SqliteSubscriptionStore } from "./records/subscriptions.ts";
import { migrateMailboxAcl, SqliteMailboxAclStore } from "./records/mailbox_acl.ts";
import { migrateShareNotifications, SqliteShareNotificationStore } from "./records/share_notifications.ts";
import { migrateMetadata, SqliteMetadataStore } from "./records/metadata.ts";
import { migrateTenancy } from "./records/tenancy_schema.ts";
import { SqliteOrganizationStore } from "./records/organizations.ts";
import { SqlitePlanStore } from "./records/plans.ts";
import { SqliteUsageStore } from "./records/usage.ts";
import { migrateHealthChecks, SqliteHealthCheckStore } from "./records/health_checks.ts";
import { SqliteDailyCounterStore } from "./records/daily_counters.ts";
import { migrateJunkTokens, SqliteJunkTokenStore } from "./records/junk_tokens.ts";
import { formatId, parseId } from "./ids.ts";
import { Mutation } from "./mutation.ts";
import { PlacementCache, type PlacementSource } from "./placement_cache.ts";
import { PlacementSnapshots } from "./placement_snapshot.ts";
import { STORE_COMPONENT, storeMigrations } from "./schema.ts";
import { WriteQueue } from "./write_queue.ts";
import { checkpointTruncate, vacuumFreePages } from "./disk_space.ts";
import type { ExpungeHold } from "../expunge_holds.ts";

/** Default of `SqliteStoreOptions.blobGraceMs`. */
const DEFAULT_BLOB_GRACE_MS = 3_600_000;

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Data directory; created if missing. */
  dataDir: string;
  /** Where change events are published (default: a new `MemoryNotifier`). */
  notifier?: ChangeNotifier;
  /** Clock for receivedAt defaults, creation times and UIDVALIDITY (default: system clock). */
  clock?: Clock;
  /**
   * Blob files without a database row younger than this are kept by `collectGarbage` (a put whose
   * message is not committed yet). Default one hour. A put's bytes also outlive the release of
   * another message with the same bytes until a message references them, for at most this long
   * (and at most 10 minutes: pending_puts.ts).
   */
  blobGraceMs?: number;
  /** SQLite busy timeout in milliseconds (default 10,000). */
  busyTimeoutMs?: number;
  /**
   * Full-text index: FTS5 with the trigram tokenizer when SQLite has it (default), else a plain
   * table searched with LIKE. `false` forces the plain table (tests of the fallback). Fixed when
   * the database is created.
   */
  fts5?: boolean;
  /** Called when a post-commit action fails (e.g. unlinking a blob file); default: ignored. */
  onError?: (err: unknown) => void;
  /**
   * Largest blob (bytes) stored inside the database, durable in the shared group commit; larger
   * ones are files under `<dataDir>/blobs`. Default 64 KiB; 0 stores every blob as a file.
   */
  inlineBlobMax?: number;
  /**
   * Full-text rows are built after delivery, in background batches (default) and before any text
   * search. False leaves them to the searches alone (tests that look at what is pending).
   */
  backgroundIndexing?: boolean;
  /**
   * Mailboxes with at least this many placements keep a packed snapshot of them, so that their
   * first listing after a start is fast (placement_snapshot.ts). Default 5,000.
   */
  snapshotMinPlacements?: number;
  /**
   * Opens an existing, migrated data dir for reading only (a second connection beside a running
   * server's, as the JMAP read workers do: protocols/jmap/read_pool.ts). No migrations, no
   * background indexing, no placement snapshots written; every write of a `Store` method (and a
   * text search that would first index pending blobs) rejects with `ReadOnlyStoreError` and is
   * counted in `refusedWrites`; SQLite refuses any other write on the connection. Not guarded:
   * `blobs.put` of a blob above the inline size writes its file first (no reader calls it).
   */
  readOnly?: boolean;
}

/** A write was asked of a store opened with `readOnly` (SqliteStoreOptions). */
export class ReadOnlyStoreError extends Error {
  override name = "ReadOnlyStoreError";
  constructor() {
    super("The store is open for reading only");
  }
}

/** A cold load that applied more changes than this (and a tenth of the list) to a snapshot rewrites it. */
const SNAPSHOT_MAX_DELTA = 1000;

/** The SQLite implementation of `Store`. */
export class SqliteStore implements Store {
  /**
   * The database: for this backend's own modules and its tests only. Everything else goes through
   * the `Store` interface (tests/architecture_test.ts keeps core/ and protocols/ off it).
   */
  readonly database: Database;
  /** Records beside mail (`RecordStores`), all in this database. */
  readonly queue: SqliteQueueStore;
  readonly identities: SqliteIdentityStore;
  readonly submissions: SqliteSubmissionStore;
  readonly vacations: SqliteVacationStore;
  readonly pushSubscriptions: SqlitePushSubscriptionStore;
  readonly dmarc: SqliteDmarcStore;
  readonly tlsrpt: SqliteTlsRptStore;
  readonly webhooks: SqliteWebhookStore;
  readonly notifications: SqliteNotificationStore;
  readonly sieveScripts: SqliteSieveScriptStore;
  readonly uploads: SqliteUploadStore;
  readonly tokens: SqliteTokenStore;
  readonly bans: SqliteBanStore;
  readonly apiSessions: SqliteApiSessionStore;
  readonly audit: SqliteAuditStore;
  readonly dkimKeys: SqliteDkimKeyStore;
  readonly pop3Sizes: SqlitePop3SizeStore;
  readonly subscriptions: SqliteSubscriptionStore;
  readonly mailboxAcl: SqliteMailboxAclStore;
  readonly shareNotifications: SqliteShareNotificationStore;
  readonly metadata: SqliteMetadataStore;
  readonly organizations: SqliteOrganizationStore;
  readonly plans: SqlitePlanStore;
  readonly usage: SqliteUsageStore;
  readonly healthChecks: SqliteHealthCheckStore;
  readonly dailyCounters: SqliteDailyCounterStore;
  readonly junkTokens: SqliteJunkTokenStore;
  /** Blobs: small ones in the database, the others as files under `<dataDir>/blobs`. */
  readonly blobs: TieredBlobStore;
  /** Where change events are published after each commit. */
  readonly notifier: ChangeNotifier;
  /** The data dir this store was opened on. */
  readonly dataDir: string;
  /** `Store.replicaDir`: the data dir, unless this store is itself read-only. */
  get replicaDir(): string | null {
    return this.readOnly ? null : this.dataDir;
  }

  /** `Store.freshRead`: ends the open read scope (Database.endReadScope). */
  freshRead(): void {
    this.database.endReadScope();
  }
  /** Opened with `readOnly` (SqliteStoreOptions): every write rejects. */
  readonly readOnly: boolean;
  /**
   * Writes refused so far (`readOnly`), also those whose error a caller caught and turned into a
   * result: a JMAP read worker compares it before and after a request (read_worker.ts).
   */
  refusedWrites = 0;
  readonly #clock: Clock;
  readonly #directory: SqliteDirectory;
  readonly #mailboxes: SqliteMailboxes;
  readonly #threads: SqliteThreads;
  readonly #messages: SqliteMessages;
  readonly #queue: WriteQueue;
  readonly #indexer: SearchIndexer;
  readonly #hasFts5: boolean;
  readonly #blobGraceMs: number;
  #closed = false;
  readonly #placements = new PlacementCache();
  readonly #snapshots: PlacementSnapshots;
  readonly #snapshotMin: number;
  /**
   * A batch gave pages back: the WAL holding them is checkpointed and truncated after it.
   * `released`: messages' releases (EXPUNGE, JMAP destroy) did; `deleted`: a mailbox deletion's
   * last job did.
   */
  #vacuumed: "no" | "released" | "deleted" = "no";
  /** Mailboxes whose snapshot write is queued. */
  readonly #snapshotsPending = new Set<number>();
  readonly #placementSource: PlacementSource = {
    load: (mailboxRow, sinceModseq) =>
      sinceModseq === undefined
        ? this.#messages.loadPlacements(mailboxRow)
        : this.#messages.loadChangedPlacements(mailboxRow, sinceModseq),
    expungedSince: (mailboxRow, modseq) =>
      this.database.values("SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ?", mailboxRow, modseq)
        .map(
          (r) => Number(r[0]),
        ),
    snapshot: (mailboxRow) => {
      const mb = this.database.get<{ uid_validity: number }>(
        "SELECT uid_validity FROM mailboxes WHERE id = ?",
        mailboxRow,
      );
      return mb ? this.#snapshots.read(mailboxRow, formatId("mailbox", mailboxRow), mb.uid_validity) : null;
    },
    coldLoaded: (mailboxRow, highestModseq, list, delta) => {
      // A big mailbox listed in full, or whose snapshot lacked many changes, gets a new snapshot.
      if (list.length < this.#snapshotMin) return;
      if (delta !== null && delta <= Math.max(SNAPSHOT_MAX_DELTA, list.length / 10)) return;
      this.#queueSnapshot(mailboxRow, highestModseq, list);
    },
  };

  private constructor(
    database: Database,
    files: FsBlobStore,
    notifier: ChangeNotifier,
    clock: Clock,
    hasFts5: boolean,
    opts: SqliteStoreOptions,
  ) {
    this.database = database;
    this.dataDir = opts.dataDir;
    this.readOnly = opts.readOnly === true;
    this.blobs = new TieredBlobStore(
      database,
      (fn) => this.#queue.run(() => fn()),
      files,
      opts.inlineBlobMax,
      opts.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS,
    );
    this.notifier = notifier;
    this.#clock = clock;
    this.queue = new SqliteQueueStore(database);
    this.identities = new SqliteIdentityStore(database, clock);
    this.submissions = new SqliteSubmissionStore(database, clock);
    this.vacations = new SqliteVacationStore(database);
    this.pushSubscriptions = new SqlitePushSubscriptionStore(database);
    this.dmarc = new SqliteDmarcStore(database);
    this.tlsrpt = new SqliteTlsRptStore(database);
    // The worker records attempts in the group commit (one fsync per batch, off the event loop).
    this.webhooks = new SqliteWebhookStore(database, (fn) => this.#queue.run(() => fn()));
    this.notifications = new SqliteNotificationStore(database);
    this.sieveScripts = new SqliteSieveScriptStore(database, () => clock.now());
    this.uploads = new SqliteUploadStore(database);
    this.tokens = new SqliteTokenStore(database);
    this.bans = new SqliteBanStore(database);
    this.apiSessions = new SqliteApiSessionStore(database);
    this.audit = new SqliteAuditStore(database);
    this.dkimKeys = new SqliteDkimKeyStore(database);
    this.pop3Sizes = new SqlitePop3SizeStore(database);
    this.subscriptions = new SqliteSubscriptionStore(database);
    this.mailboxAcl = new SqliteMailboxAclStore(database);
    this.shareNotifications = new SqliteShareNotificationStore(database);
    this.metadata = new SqliteMetadataStore(database);
    this.organizations = new SqliteOrganizationStore(database, clock);
    this.plans = new SqlitePlanStore(database, clock);
    this.usage = new SqliteUsageStore(
      database,
      (fn) => this.#queue.run(() => fn()),
      (fn, maxWaitMs) => this.#queue.ride(() => fn(), maxWaitMs),
    );
    this.healthChecks = new SqliteHealthCheckStore(database, (fn) => this.#queue.run(() => fn()));
    this.dailyCounters = new SqliteDailyCounterStore(database, (fn) => this.#queue.run(() => fn()));
    this.junkTokens = new SqliteJunkTokenStore(database, (fn) => this.#queue.run(() => fn()));
    this.#hasFts5 = hasFts5;
    this.#messages = new SqliteMessages({
      database,
      blobs: this.blobs,
      read: (fn) => this.#read(fn),
      write: (fn) => this.#write(fn),
      now: () => this.#now(),
      check: () => this.#check(),
      closed: () => this.#closed,
      accountRow: (id) => this.#accountRow(id),
      mailboxRow: (accountId, id) => this.#mailboxRow(accountId, id),
      mailboxRowOrNull: (accountId, id) => this.#mailboxRowOrNull(accountId, id),
      assignThread: (accountRow, summary, subjectKey) =>
        this.#threads.assignThread(accountRow, summary, subjectKey),
      indexer: () => this.#indexer,
      hasFts5,
      ftsTable: () => this.#ftsTable,
      pagesFreed: () => void (this.#vacuumed = this.#vacuumed === "deleted" ? "deleted" : "released"),
      placements: this.#placements,
      placementSource: this.#placementSource,
    });
    this.#threads = new SqliteThreads({
      database,
      read: (fn) => this.#read(fn),
      accountRow: (id) => this.#accountRow(id),
    });
    this.#mailboxes = new SqliteMailboxes({
      database,
      read: (fn) => this.#read(fn),
      write: (fn) => this.#write(fn),
      now: () => this.#now(),
      accountRow: (id) => this.#accountRow(id),
      mailboxRow: (accountId, id) => this.#mailboxRow(accountId, id),
      mailboxRowOrNull: (accountId, id) => this.#mailboxRowOrNull(accountId, id),
      removePlacement: (mut, messageRow, mailboxRow, recordExpunge = false) => {
        const msg = database.get<MessageRow>("SELECT * FROM messages WHERE id = ?", messageRow)!;
        this.#messages.removePlacement(mut, msg, mailboxRow, recordExpunge);
      },
      invalidatePlacements: (mailboxRow) => this.#placements.invalidate(mailboxRow),
      deferVacuum: (mut) => this.#messages.deferVacuum(mut),
      vacuumAtEnd: (mut) =>
        mut.fx.lastBeforeCommit.push(() => {
          if (vacuumFreePages(this.database, 1, this.#ftsTable) > 0) this.#vacuumed = "deleted";
        }),
    });
    this.#directory = new SqliteDirectory({
      database,
      read: (fn) => this.#read(fn),
      write: (fn) => this.#write(fn),
      now: () => this.#now(),
      accountRow: (id) => this.#accountRow(id),
      accountRowOrNull: (id) => this.#accountRowOrNull(id),
      insertMailbox: (mut, accountRow, mb) => void this.#mailboxes.insertMailbox(mut, accountRow, mb),
      releaseBlob: (mut, blobRow, n) => this.#messages.releaseBlobRow(mut, blobRow, n),
    });
    this.#blobGraceMs = opts.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS;
    this.#queue = new WriteQueue(database, notifier, opts.onError ?? (() => {}));
    this.#snapshots = new PlacementSnapshots(database);
    this.#snapshotMin = Math.max(1, opts.snapshotMinPlacements ?? 5000);
    this.#indexer = new SearchIndexer({
      database,
      blobBytes: (hash) => this.blobs.getSync(hash),
      // Read-only: a text search with blobs still pending rejects (the writer indexes them).
      write: (fn) => this.readOnly ? this.#refuse() : this.#queue.run(() => fn()),
      writeActivity: () => this.#queue.stats.jobs,
      background: !this.readOnly && (opts.backgroundIndexing ?? true),
      onError: opts.onError ?? (() => {}),
    });
    // Left pending by a previous run (or another process): index them soon.
    if (!this.readOnly && this.#indexer.pending) this.#indexer.schedule();
  }

  /** Opens (creating if needed) the store of a data dir and applies its migrations. */
  static async open(opts: SqliteStoreOptions): Promise<SqliteStore> {
    const dataDir = opts.dataDir.replace(/\/+$/, "") || "/";
    await Deno.mkdir(dataDir, { recursive: true });
    const database = Database.open(`${dataDir}/tern.db`, {
      busyTimeoutMs: opts.busyTimeoutMs,
      readOnly: opts.readOnly,
    });
    try {
      const hasFts5 = detectFts5(database, opts.fts5 ?? true);
      if (opts.readOnly) {
        database.raw.function("tern_header", { deterministic: true }, headerMatches);
        const files = new FsBlobStore(`${dataDir}/blobs`);
        return new SqliteStore(
          database,
          files,
          opts.notifier ?? new MemoryNotifier(),
          opts.clock ?? systemClock,
          hasFts5,
          {
            ...opts,
            dataDir,
          },
        );
      }
      database.applyMigrations(STORE_COMPONENT, storeMigrations(hasFts5));
      database.applyMigrations(BLOB_DATA_COMPONENT, BLOB_DATA_MIGRATIONS);
      database.applyMigrations(SEARCH_PENDING_COMPONENT, searchPendingMigrations(hasFts5));
      migrateJmap(database);
      migrateBans(database);
      migrateApiSessions(database);
      migrateAudit(database);
      migrateDkimKeys(database);
      migratePop3Sizes(database);
      migrateSubscriptions(database);
      migrateMailboxAcl(database);
      migrateShareNotifications(database);
      migrateMetadata(database);
      migrateTenancy(database);
      migratePushSubscriptions(database);
      migrateDmarc(database);
      migrateTlsRpt(database);
      migrateWebhooks(database);
      migrateNotifications(database);
      migrateSieveScripts(database);
      migrateJunkTokens(database);
      migrateHealthChecks(database);
      database.raw.function("tern_header", { deterministic: true }, headerMatches);
      const blobs = new FsBlobStore(`${dataDir}/blobs`);
      return new SqliteStore(
        database,
        blobs,
        opts.notifier ?? new MemoryNotifier(),
        opts.clock ?? systemClock,
        hasFts5,
        { ...opts, dataDir },
      );
    } catch (err) {
      database.close();
      throw err;
    }
  }

  /** Reports each group commit's time, start to durable (WAL synced), in seconds. */
  observeCommits(observer: (seconds: number) => void): void {
    this.#queue.observer = observer;
  }

  /** Group-commit counters (transactions, jobs, milliseconds inside transactions). */
  get writeStats(): { flushes: number; jobs: number; commitMs: number } {
    return this.#queue.stats;
  }

  /** Resolves when background full-text indexing has caught up with every delivery. */
  searchIndexIdle(): Promise<void> {
    return this.#indexer.idle();
  }

  /** Whether text search uses an FTS5 trigram index (else LIKE scans). */
  get hasFullTextIndex(): boolean {
    return this.#hasFts5;
  }

  /** The FTS5 search table whose segments a vacuum merges first, or null for the plain table. */
  get #ftsTable(): string | null {
    return this.#hasFts5 ? "message_text" : null;
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  #check(): void {
    if (this.#closed) throw new StoreError("invalid", "Store is closed");
  }

  /** Runs a synchronous read; its errors become rejections. */
  #read<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      this.#check();
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A write asked of a read-only store: counted, and rejected. */
  #refuse(): Promise<never> {
    this.refusedWrites++;
    return Promise.reject(new ReadOnlyStoreError());
  }

  /** Queues a write job (group commit); its errors, even synchronous ones, become rejections. */
  #write<T>(fn: (mut: Mutation) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError("invalid", "Store is closed"));
    if (this.readOnly) return this.#refuse();
    const job = this.#queue.run((fx) => {
      const mut = new Mutation(this.database, fx);
      const result = fn(mut);
      mut.finish();
      return result;
    });
    // After a batch that gave pages back (settled, so durable and outside any transaction): the
    // WAL is written back and emptied, and the database file shrinks with it.
    // A checkpoint running in the worker (checkpointer.ts) would make TRUNCATE busy: after it.
    // Pages that messages' releases freed while the worker checkpoints (a busy server) are left
    // to it: its checkpoints write them back and cut the database file, and it truncates the WAL
    // once the writer is quiet. A TRUNCATE here, on the event loop, would copy the whole WAL and
    // fsync between two commands: about every 30 single-message EXPUNGEs under IMAP load, 5% of
    // the main thread (measured). A deleted mailbox gives its space back at once.
    const giveBack = async () => {
      if (this.#vacuumed === "no" || this.#closed) return;
      const worker = this.database.checkpointer;
      if (this.#vacuumed === "released" && worker?.active) {
        this.#vacuumed = "no";
        return;
      }
      this.#vacuumed = "no";
      await worker?.idle();
      if (!this.#closed) checkpointTruncate(this.database);
    };
    return job.then(
      async (value) => {
        await giveBack();
        return value;
      },
      async (err) => {
        await giveBack();
        throw err;
      },
    );
  }

  // ---------------------------------------------------------------- directory (directory.ts)

  addDomain(name: string): Promise<Domain> {
    return this.#directory.addDomain(name);
  }

  listDomains(): Promise<Domain[]> {
    return this.#directory.listDomains();
  }

  deleteDomain(name: string): Promise<void> {
    return this.#directory.deleteDomain(name);
  }

  isLocalDomain(name: string): Promise<boolean> {
    return this.#directory.isLocalDomain(name);
  }

  createAccount(
    input: { address: string; displayName?: string; quotaBytes?: number; secrets: AccountSecrets },
  ): Promise<Account> {
    return this.#directory.createAccount(input);
  }

  getAccount(id: AccountId): Promise<Account | null> {
    return this.#directory.getAccount(id);
  }

  getAccountByAddress(address: string): Promise<Account | null> {
    return this.#directory.getAccountByAddress(address);
  }

  listAccounts(): Promise<Account[]> {
    return this.#directory.listAccounts();
  }

  updateAccount(
    id: AccountId,
    patch: { displayName?: string; quotaBytes?: number; disabled?: boolean },
  ): Promise<Account> {
    return this.#directory.updateAccount(id, patch);
  }

  deleteAccount(id: AccountId): Promise<void> {
    return this.#directory.deleteAccount(id);
  }

  getSecrets(id: AccountId): Promise<AccountSecrets | null> {
    return this.#directory.getSecrets(id);
  }

  setSecrets(id: AccountId, secrets: AccountSecrets): Promise<void> {
    return this.#directory.setSecrets(id, secrets);
  }

  addAlias(address: string, targets: string[]): Promise<Alias> {
    return this.#directory.addAlias(address, targets);
  }

  listAliases(): Promise<Alias[]> {
    return this.#directory.listAliases();
  }

  deleteAlias(address: string): Promise<void> {
    return this.#directory.deleteAlias(address);
  }

  sendableAddresses(id: AccountId): Promise<string[]> {
    return this.#directory.sendableAddresses(id);
  }

  resolveRecipient(address: string): Promise<Account[] | null> {
    return this.#directory.resolveRecipient(address);
  }

  // ---------------------------------------------------------------- mailboxes (mailboxes.ts)

  listMailboxes(accountId: AccountId): Promise<Mailbox[]> {
    return this.#mailboxes.listMailboxes(accountId);
  }

  getMailbox(accountId: AccountId, id: MailboxId): Promise<Mailbox | null> {
    return this.#mailboxes.getMailbox(accountId, id);
  }

  getMailboxByRole(accountId: AccountId, role: MailboxRole): Promise<Mailbox | null> {
    return this.#mailboxes.getMailboxByRole(accountId, role);
  }

  mailboxCounts(accountId: AccountId, id: MailboxId): Promise<MailboxCounts> {
    return this.#mailboxes.mailboxCounts(accountId, id);
  }

  claimRecent(accountId: AccountId, id: MailboxId, upTo?: number): Promise<number> {
    return this.#mailboxes.claimRecent(accountId, id, upTo);
  }

  claimAllRecent(accountId: AccountId, id: MailboxId): Promise<{ before: number; upTo: number }> {
    return this.#mailboxes.claimAllRecent(accountId, id);
  }

  createMailbox(
    accountId: AccountId,
    input: NewMailbox,
  ): Promise<Mailbox> {
    return this.#mailboxes.createMailbox(accountId, input);
  }

  updateMailbox(
    accountId: AccountId,
    id: MailboxId,
    patch: MailboxPatch,
  ): Promise<Mailbox> {
    return this.#mailboxes.updateMailbox(accountId, id, patch);
  }

  deleteMailbox(accountId: AccountId, id: MailboxId, opts: { removeMessages: boolean }): Promise<void> {
    return this.#mailboxes.deleteMailbox(accountId, id, opts);
  }

  // ---------------------------------------------------------------- messages (messages.ts)

  addMessages(messages: NewMessage[]): Promise<AddedMessage[]> {
    return this.#messages.addMessages(messages);
  }

  storeMessages(
    raw: Uint8Array,
    messages: Omit<NewMessage, "blobId">[],
  ): Promise<{ blobId: BlobId; size: number; added: AddedMessage[] }> {
    return this.#messages.storeMessages(raw, messages);
  }

  getMessages(accountId: AccountId, ids: MessageId[], opts?: { mailboxIds?: boolean }): Promise<Message[]> {
    return this.#messages.getMessages(accountId, ids, opts);
  }

  listPlacements(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts: { minUid?: number; maxUid?: number; changedSince?: number } = {},
  ): Promise<Placement[]> {
    return this.#messages.listPlacements(accountId, mailboxId, opts);
  }

  sentDates(accountId: AccountId, mailboxId: MailboxId): Promise<{ uids: number[]; dates: number[] }> {
    return this.#messages.sentDates(accountId, mailboxId);
  }

  savedDates(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts: { minUid?: number; maxUid?: number } = {},
  ): Promise<{ uids: number[]; dates: (number | null)[] }> {
    return this.#messages.savedDates(accountId, mailboxId, opts.minUid, opts.maxUid);
  }

  updateKeywords(
    accountId: AccountId,
    ids: MessageId[],
    change: KeywordChange,
    opts: { unchangedSince?: number; origin?: symbol } = {},
  ): Promise<{ updated: UpdatedKeywords[]; failed: MessageId[]; modseq: number }> {
    return this.#messages.updateKeywords(accountId, ids, change, opts);
  }

  setMailboxes(accountId: AccountId, id: MessageId, mailboxIds: MailboxId[]): Promise<Message> {
    return this.#messages.setMailboxes(accountId, id, mailboxIds);
  }

  holdExpunged(accountId: AccountId, mailboxId: MailboxId, owner?: symbol): ExpungeHold {
    return this.#messages.holdExpunged(accountId, mailboxId, owner);
  }

  copyMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult> {
    return this.#messages.copyMessages(accountId, fromMailboxId, uids, toMailboxId);
  }

  moveMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult> {
    return this.#messages.moveMessages(accountId, fromMailboxId, uids, toMailboxId);
  }

  expunge(
    accountId: AccountId,
    mailboxId: MailboxId,
    uids: number[],
    opts: { origin?: symbol } = {},
  ): Promise<{ uids: number[]; modseq: number }> {
    return this.#messages.expunge(accountId, mailboxId, uids, opts);
  }

  destroyMessages(
    accountId: AccountId,
    ids: MessageId[],
  ): Promise<{ destroyed: MessageId[]; notFound: MessageId[] }> {
    return this.#messages.destroyMessages(accountId, ids);
  }

  expungedSince(accountId: AccountId, mailboxId: MailboxId, modseq: number): Promise<number[]> {
    return this.#messages.expungedSince(accountId, mailboxId, modseq);
  }

  queryMessages(accountId: AccountId, query: MessageQuery): Promise<MessageId[]> {
    return this.#messages.queryMessages(accountId, query);
  }

  // ---------------------------------------------------------------- threads (threads.ts)

  getThreads(accountId: AccountId, ids: ThreadId[]): Promise<{ id: ThreadId; emailIds: MessageId[] }[]> {
    return this.#threads.getThreads(accountId, ids);
  }

  // ---------------------------------------------------------------- change log

  /** State string of a type: the MODSEQ of its last change ("0" before any). */
  state(accountId: AccountId, type: ChangeType): Promise<string> {
    return this.#read(() => {
      const acc = this.#accountRow(accountId);
      return Promise.resolve(String(typeState(this.database, acc.id, type)));
    });
  }

  /** RFC 8620 §5.2 changes since a state. */
  changes(accountId: AccountId, type: ChangeType, sinceState: string, maxChanges?: number): Promise<Changes> {
    return this.#read(() => {
      const acc = this.#accountRow(accountId);
      return Promise.resolve(
        computeChanges(this.database, this.#changeWindow(acc.id), type, sinceState, maxChanges),
      );
    });
  }

  /** Logs changes of a type the store does not manage (Identity, EmailSubmission). */
  recordChange(
    accountId: AccountId,
    type: ChangeType,
    change: { created?: string[]; updated?: string[]; destroyed?: string[] },
  ): Promise<string> {
    return this.#write((mut) => {
      const acc = this.#accountRow(accountId);
      for (const id of change.created ?? []) mut.log(acc.id, type, id, "c");
      for (const id of change.updated ?? []) mut.log(acc.id, type, id, "u");
      for (const id of change.destroyed ?? []) mut.log(acc.id, type, id, "d");
      // The change rows are written by `finish` (mutation.ts): read the state after it.
      mut.finish();
      return String(typeState(this.database, acc.id, type));
    });
  }

  /**
   * Keeps the newest `keepPerAccount` change-log rows of each account and drops the rest; clients
   * holding an older state then get CannotCalculateChangesError and resynchronise (RFC 8620 §5.2).
   */
  pruneChanges(keepPerAccount = 100_000): Promise<{ removed: number }> {
    return this.#write(() => ({ removed: pruneChangeLog(this.database, keepPerAccount) }));
  }

  // ---------------------------------------------------------------- blobs and lifecycle

  /** Raw bytes of a message. */
  async readMessage(accountId: AccountId, id: MessageId): Promise<Uint8Array | null> {
    this.#check();
    const acc = parseId("account", accountId);
    const row = parseId("message", id);
    if (acc === null || row === null) return null;
    const r = this.database.get<{ hash: string }>(
      "SELECT b.hash FROM messages m JOIN blobs b ON b.id = m.blob_id WHERE m.id = ? AND m.account_id = ?",
      row,
      acc,
    );
    return r ? await this.blobs.get(r.hash) : null;
  }

  /**
   * Pins a blob that no message references yet (e.g. a JMAP upload) so that garbage collection
   * keeps it; pair with `releaseBlob`. The file must exist.
   */
  async retainBlob(blobId: BlobId): Promise<void> {
    this.#check();
    const size = await this.blobs.size(blobId);
    if (size === null) throw new StoreError("notFound", `No such blob: "${blobId}"`);
    // The reference settles the put that stored the bytes (pending_puts.ts).
    return this.#write(() => {
      if (!this.blobs.hasSync(blobId)) throw new StoreError("notFound", `No such blob: "${blobId}"`);
      this.database.run(
        `INSERT INTO blobs (hash, size, refcount) VALUES (?, ?, 1)
         ON CONFLICT (hash) DO UPDATE SET refcount = refcount + 1`,
        blobId,
        size,
      );
    }).finally(() => this.blobs.settlePut(blobId));
  }

  /** Drops a reference taken with `retainBlob`. */
  releaseBlob(blobId: BlobId): Promise<void> {
    return this.#write((mut) => {
      const row = this.database.get<{ id: number }>("SELECT id FROM blobs WHERE hash = ?", blobId);
      if (!row) throw new StoreError("notFound", `No such blob: "${blobId}"`);
      this.#messages.releaseBlobRow(mut, row.id);
    });
  }

  /**
   * Restores a copy made by `backup` into an empty data directory (no store open on it), after
   * checking the database's integrity and every blob file's SHA-256 (core/store/sqlite/backup.ts).
   */
  static restore(src: string, dataDir: string): Promise<BackupReport> {
    return restoreSqlite(src, dataDir);
  }

  /** A consistent online copy of the database and blob files in `dest` (core/store/sqlite/backup.ts). */
  backup(dest: string): Promise<BackupReport> {
    this.#check();
    return backupSqlite(this.database, this.blobs.files.dir, dest);
  }

  /**
   * Removes rows with no reference (and their files) and files with no row older than the grace
   * period (a crash between blob write and commit), plus stale temp files; then gives free pages
   * back and truncates the WAL (disk_space.ts).
   */
  async collectGarbage(): Promise<{ removed: number }> {
    this.#check();
    let removed = await this.#write((mut) => {
      // Blobs pinned by a session's expunge hold are kept (#releaseBlob) and not counted.
      const rows = this.database.all<{ id: number; hash: string }>(
        "SELECT id, hash FROM blobs WHERE refcount <= 0",
      )
        .filter((r) => !this.#messages.holds.isPinned(r.hash));
      for (const r of rows) this.#messages.releaseBlobRow(mut, r.id, 0);
      return rows.length;
    });
    removed += await this.blobs.collectInline(this.#blobGraceMs);
    const limit = Date.now() - this.#blobGraceMs;
    for await (const hash of this.blobs.files.list()) {
      if (this.database.get("SELECT 1 FROM blobs WHERE hash = ?", hash)) continue;
      const mtime = await this.blobs.files.modifiedAt(hash);
      if (!mtime || mtime.getTime() > limit) continue;
      // Re-checked synchronously just before the unlink.
      if (this.database.get("SELECT 1 FROM blobs WHERE hash = ?", hash)) continue;
      this.blobs.deleteFileSync(hash);
      removed++;
    }
    await this.blobs.cleanTemp(this.#blobGraceMs);
    // Free pages left by deletes too small to vacuum at once go back to the disk, and the WAL is
    // written back and emptied (it keeps up to 1 MiB between checkpoints otherwise).
    await this.#queue.run(() => vacuumFreePages(this.database, 1, this.#ftsTable));
    await this.database.checkpointer?.idle();
    if (!this.#closed) checkpointTruncate(this.database);
    return { removed };
  }

  /**
   * Queues the write of a mailbox's snapshot (placement_snapshot.ts): encoded and written in a
   * write job, after the listing that asked for it has returned. Failures only cost the snapshot.
   */
  #queueSnapshot(mailboxRow: number, highestModseq: number, list: readonly Placement[]): void {
    if (this.#closed || this.readOnly || this.#snapshotsPending.has(mailboxRow)) return;
    this.#snapshotsPending.add(mailboxRow);
    this.#queue.run(() => {
      this.#snapshotsPending.delete(mailboxRow);
      const mb = this.database.get<{ uid_validity: number }>(
        "SELECT uid_validity FROM mailboxes WHERE id = ?",
        mailboxRow,
      );
      if (mb) this.#snapshots.write(mailboxRow, mb.uid_validity, highestModseq, list);
    }).catch(() => this.#snapshotsPending.delete(mailboxRow));
  }

  /** Waits for queued writes, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Big cached mailboxes whose snapshot is behind get a new one, so the next start is fast too.
    for (const { mailboxRow, highestModseq, list } of this.#placements.entries()) {
      if (list.length < this.#snapshotMin) continue;
      const snapshotModseq = this.#snapshots.modseqOf(mailboxRow);
      if (snapshotModseq === null || snapshotModseq < highestModseq) {
        this.#queueSnapshot(mailboxRow, highestModseq, list);
      }
    }
    // Messages waiting for the preparer's worker are indexed here and queue their writes.
    await this.#messages.stopPreparer();
    await this.#indexer.close();
    await this.#queue.drain();
    this.#closed = true;
    this.#placements.invalidate();
    await this.database.stopBackgroundCheckpoints();
    this.database.close();
    await this.blobs.close();
  }

  // ---------------------------------------------------------------- row helpers

  #accountRowOrNull(id: AccountId): AccountRow | null {
    const row = parseId("account", id);
    if (row === null) return null;
    // Read once per read scope (one snapshot): a JMAP request looks its account up in every method.
    return this.database.scopeMemo(`account:${row}`, () => {
      const found = this.database.get<AccountRow>(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`,
        row,
      );
      return found ? Object.freeze(found) : null;
    });
  }

  #accountRow(id: AccountId): AccountRow {
    const row = this.#accountRowOrNull(id);
    if (!row) throw new StoreError("notFound", `No such account: "${id}"`);
    return row;
  }

  #changeWindow(accountRow: number): { row: number; modseq: number; changesFloor: number } {
    const r = this.database.get<{ modseq: number; changes_floor: number }>(
      "SELECT modseq, changes_floor FROM accounts WHERE id = ?",
      accountRow,
    );
    return { row: accountRow, modseq: r?.modseq ?? 0, changesFloor: r?.changes_floor ?? 0 };
  }

  #mailboxRowOrNull(accountId: AccountId, id: MailboxId): MailboxRow | null {
    const acc = parseId("account", accountId);
    const row = parseId("mailbox", id);
    if (acc === null || row === null) return null;
    return this.database.get<MailboxRow>(
      "SELECT * FROM mailboxes WHERE id = ? AND account_id = ?",
      row,
      acc,
    ) ??
      null;
  }

  #mailboxRow(accountId: AccountId, id: MailboxId): MailboxRow {
    const row = this.#mailboxRowOrNull(accountId, id);
    if (!row) throw new StoreError("notFound", `No such mailbox: "${id}"`);
    return row;
  }
}

function detectFts5(db: Database, wanted: boolean): boolean {
  const existing = db.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'message_text'");
  if (existing) return /fts5/i.test(existing.sql);
  if (!wanted) return false;
  try {
    db.exec("CREATE VIRTUAL TABLE temp.tern_fts5_probe USING fts5(x, tokenize = 'trigram')");
    db.exec("DROP TABLE temp.tern_fts5_probe");
    return true;
  } catch {
    return false;
  }
}
