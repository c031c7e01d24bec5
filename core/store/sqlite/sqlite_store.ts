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
import type { CopyResult, MessageQuery, Store } from "../store.ts";
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
  type MailboxRole,
  type Message,
  type MessageId,
  type NewMessage,
  type Placement,
  StoreError,
  type ThreadId,
} from "../types.ts";
import { FsBlobStore } from "../fs_blob_store.ts";
import { BLOB_DATA_COMPONENT, BLOB_DATA_MIGRATIONS, blobIdOf, TieredBlobStore } from "./tiered_blob_store.ts";
import {
  SEARCH_PENDING_COMPONENT,
  SearchIndexer,
  searchPendingMigrations,
  usesTextSearch,
} from "./search_indexer.ts";
import { computeChanges, pruneChangeLog, typeState } from "./change_log.ts";
import { Database } from "./database.ts";
import { ACCOUNT_COLUMNS, type AccountRow, SqliteDirectory } from "./directory.ts";
import { type MailboxRow, SqliteMailboxes } from "./mailboxes.ts";
import { SqliteThreads } from "./threads.ts";
import { SqliteQueueStore } from "./records/queue.ts";
import { migrateJmap } from "./records/jmap_schema.ts";
import { SqliteIdentityStore } from "./records/identities.ts";
import { SqliteSubmissionStore } from "./records/submissions.ts";
import { SqliteVacationStore } from "./records/vacations.ts";
import { SqliteUploadStore } from "./records/uploads.ts";
import { SqliteTokenStore } from "./records/tokens.ts";
import { migrateBans, SqliteBanStore } from "./records/bans.ts";
import { migrateDkimKeys, SqliteDkimKeyStore } from "./records/dkim_keys.ts";
import { migratePop3Sizes, SqlitePop3SizeStore } from "./records/pop3_sizes.ts";
import { migrateSubscriptions, SqliteSubscriptionStore } from "./records/subscriptions.ts";
import { formatId, parseId } from "./ids.ts";
import { applyKeywordChange, frozenKeywords, packKeywords, SEEN, unpackKeywords } from "./keywords.ts";
import {
  addressSortKey,
  baseSubject,
  decodeSummary,
  encodeSummary,
  indexMessage,
  type MessageIndex,
} from "./message_index.ts";
import { Mutation } from "./mutation.ts";
import { lowerBound, PlacementCache, type PlacementSource } from "./placement_cache.ts";
import { PlacementRecord } from "./placement_record.ts";
import { PlacementSnapshots } from "./placement_snapshot.ts";
import { filterSql, headerMatches, sortSql } from "./query.ts";
import { STORE_COMPONENT, storeMigrations } from "./schema.ts";
import { type JobEffects, WriteQueue } from "./write_queue.ts";
import { checkpointTruncate, VACUUM_MIN_FREE_PAGES, vacuumFreePages } from "./disk_space.ts";
import { type ExpungeHold, ExpungeHolds } from "../expunge_holds.ts";

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
   * message is not committed yet). Default one hour.
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
}

interface MessageRow {
  id: number;
  account_id: number;
  thread_id: number;
  blob_id: number;
  size: number;
  received_at: number;
  flags: number;
  keywords: string;
  modseq: number;
  sent_at: number | null;
  has_attachment: number;
  subject_key: string;
  from_key: string;
  to_key: string;
}

interface BlobRow {
  id: number;
  hash: string;
  size: number;
  refcount: number;
  summary: string | null;
}

interface Prepared {
  msg: NewMessage;
  index: MessageIndex | null;
  size: number;
}

const BLOB_ID_RE = /^[0-9a-f]{64}$/;
/** `inMailbox` of a mailbox with at most this many messages reads its placements, then sorts. */
const SMALL_MAILBOX = 2000;
/** A cold load that applied more changes than this (and a tenth of the list) to a snapshot rewrites it. */
const SNAPSHOT_MAX_DELTA = 1000;
/** …and so does a mailbox holding at most 1/this of the account's placements. */
const SMALL_MAILBOX_SHARE = 8;

/** A parsed address: key is the comparison form (lowercase local part and A-label domain). */
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
  readonly uploads: SqliteUploadStore;
  readonly tokens: SqliteTokenStore;
  readonly bans: SqliteBanStore;
  readonly dkimKeys: SqliteDkimKeyStore;
  readonly pop3Sizes: SqlitePop3SizeStore;
  readonly subscriptions: SqliteSubscriptionStore;
  /** Blobs: small ones in the database, the others as files under `<dataDir>/blobs`. */
  readonly blobs: TieredBlobStore;
  /** Where change events are published after each commit. */
  readonly notifier: ChangeNotifier;
  readonly #clock: Clock;
  readonly #directory: SqliteDirectory;
  readonly #mailboxes: SqliteMailboxes;
  readonly #threads: SqliteThreads;
  readonly #queue: WriteQueue;
  readonly #indexer: SearchIndexer;
  readonly #hasFts5: boolean;
  readonly #blobGraceMs: number;
  /** Sessions' holds on destroyed messages (expunge_holds.ts): pinned blobs keep their bytes. */
  readonly #holds = new ExpungeHolds((hash) => this.#unpinned(hash));
  #closed = false;
  readonly #placements = new PlacementCache();
  readonly #snapshots: PlacementSnapshots;
  readonly #snapshotMin: number;
  /** Write jobs that released a blob: their batch gives free pages back before it commits. */
  readonly #vacuumJobs = new WeakSet<JobEffects>();
  /** A batch gave pages back: the WAL holding them is checkpointed and truncated after it. */
  #vacuumed = false;
  /** Mailboxes whose snapshot write is queued. */
  readonly #snapshotsPending = new Set<number>();
  readonly #placementSource: PlacementSource = {
    load: (mailboxRow, sinceModseq) =>
      sinceModseq === undefined
        ? this.#loadPlacements(mailboxRow)
        : this.#loadChangedPlacements(mailboxRow, sinceModseq),
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
    this.blobs = new TieredBlobStore(
      database,
      (fn) => this.#queue.run(() => fn()),
      files,
      opts.inlineBlobMax,
    );
    this.notifier = notifier;
    this.#clock = clock;
    this.queue = new SqliteQueueStore(database);
    this.identities = new SqliteIdentityStore(database, clock);
    this.submissions = new SqliteSubmissionStore(database, clock);
    this.vacations = new SqliteVacationStore(database);
    this.uploads = new SqliteUploadStore(database);
    this.tokens = new SqliteTokenStore(database);
    this.bans = new SqliteBanStore(database);
    this.dkimKeys = new SqliteDkimKeyStore(database);
    this.pop3Sizes = new SqlitePop3SizeStore(database);
    this.subscriptions = new SqliteSubscriptionStore(database);
    this.#hasFts5 = hasFts5;
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
      removePlacement: (mut, messageRow, mailboxRow) => {
        const msg = database.get<MessageRow>("SELECT * FROM messages WHERE id = ?", messageRow)!;
        this.#removePlacement(mut, msg, mailboxRow, false);
      },
      invalidatePlacements: (mailboxRow) => this.#placements.invalidate(mailboxRow),
    });
    this.#directory = new SqliteDirectory({
      database,
      read: (fn) => this.#read(fn),
      write: (fn) => this.#write(fn),
      now: () => this.#now(),
      accountRow: (id) => this.#accountRow(id),
      accountRowOrNull: (id) => this.#accountRowOrNull(id),
      insertMailbox: (mut, accountRow, mb) => void this.#mailboxes.insertMailbox(mut, accountRow, mb),
      releaseBlob: (mut, blobRow, n) => this.#releaseBlob(mut, blobRow, n),
    });
    this.#blobGraceMs = opts.blobGraceMs ?? 3_600_000;
    this.#queue = new WriteQueue(database, notifier, opts.onError ?? (() => {}));
    this.#snapshots = new PlacementSnapshots(database);
    this.#snapshotMin = Math.max(1, opts.snapshotMinPlacements ?? 5000);
    this.#indexer = new SearchIndexer({
      database,
      blobBytes: (hash) => this.blobs.getSync(hash),
      write: (fn) => this.#queue.run(() => fn()),
      writeActivity: () => this.#queue.stats.jobs,
      background: opts.backgroundIndexing ?? true,
      onError: opts.onError ?? (() => {}),
    });
    // Left pending by a previous run (or another process): index them soon.
    if (this.#indexer.pending) this.#indexer.schedule();
  }

  /** Opens (creating if needed) the store of a data dir and applies its migrations. */
  static async open(opts: SqliteStoreOptions): Promise<SqliteStore> {
    const dataDir = opts.dataDir.replace(/\/+$/, "") || "/";
    await Deno.mkdir(dataDir, { recursive: true });
    const database = Database.open(`${dataDir}/tern.db`, { busyTimeoutMs: opts.busyTimeoutMs });
    try {
      const hasFts5 = detectFts5(database, opts.fts5 ?? true);
      database.applyMigrations(STORE_COMPONENT, storeMigrations(hasFts5));
      database.applyMigrations(BLOB_DATA_COMPONENT, BLOB_DATA_MIGRATIONS);
      database.applyMigrations(SEARCH_PENDING_COMPONENT, searchPendingMigrations(hasFts5));
      migrateJmap(database);
      migrateBans(database);
      migrateDkimKeys(database);
      migratePop3Sizes(database);
      migrateSubscriptions(database);
      database.raw.function("tern_header", { deterministic: true }, headerMatches);
      const blobs = new FsBlobStore(`${dataDir}/blobs`);
      return new SqliteStore(
        database,
        blobs,
        opts.notifier ?? new MemoryNotifier(),
        opts.clock ?? systemClock,
        hasFts5,
        opts,
      );
    } catch (err) {
      database.close();
      throw err;
    }
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

  /** Queues a write job (group commit); its errors, even synchronous ones, become rejections. */
  #write<T>(fn: (mut: Mutation) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError("invalid", "Store is closed"));
    const job = this.#queue.run((fx) => {
      const mut = new Mutation(this.database, fx);
      const result = fn(mut);
      mut.finish();
      return result;
    });
    // After a batch that gave pages back (settled, so durable and outside any transaction): the
    // WAL is written back and emptied, and the database file shrinks with it.
    const giveBack = () => {
      if (!this.#vacuumed || this.#closed) return;
      this.#vacuumed = false;
      checkpointTruncate(this.database);
    };
    job.then(giveBack, giveBack);
    return job;
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

  createMailbox(
    accountId: AccountId,
    input: {
      name: string;
      parentId?: MailboxId | null;
      role?: MailboxRole | null;
      subscribed?: boolean;
      sortOrder?: number;
    },
  ): Promise<Mailbox> {
    return this.#mailboxes.createMailbox(accountId, input);
  }

  updateMailbox(
    accountId: AccountId,
    id: MailboxId,
    patch: {
      name?: string;
      parentId?: MailboxId | null;
      role?: MailboxRole | null;
      subscribed?: boolean;
      sortOrder?: number;
    },
  ): Promise<Mailbox> {
    return this.#mailboxes.updateMailbox(accountId, id, patch);
  }

  deleteMailbox(accountId: AccountId, id: MailboxId, opts: { removeMessages: boolean }): Promise<void> {
    return this.#mailboxes.deleteMailbox(accountId, id, opts);
  }

  // ---------------------------------------------------------------- messages

  /** Adds messages: indexes new blobs, threads, places and logs them (all-or-nothing per call). */
  addMessages(messages: NewMessage[]): Promise<AddedMessage[]> {
    return this.#addMessages(messages, null);
  }

  /** `addMessages`; with `inline`, those bytes are stored as that blob in the same write job. */
  async #addMessages(
    messages: NewMessage[],
    inline: { blobId: BlobId; bytes: Uint8Array } | null,
  ): Promise<AddedMessage[]> {
    this.#check();
    if (messages.length === 0) return [];
    const prepared: Prepared[] = [];
    const indexed = new Map<string, { index: MessageIndex; size: number }>();
    for (const msg of messages) {
      if (!BLOB_ID_RE.test(msg.blobId)) throw new StoreError("invalid", `Invalid blob id: "${msg.blobId}"`);
      if (!Array.isArray(msg.mailboxIds) || msg.mailboxIds.length === 0) {
        throw new StoreError("invalid", "A message needs at least one mailbox");
      }
      const known = this.database.get<{ size: number; indexed: number }>(
        "SELECT size, summary IS NOT NULL AS indexed FROM blobs WHERE hash = ?",
        msg.blobId,
      );
      if (known?.indexed) {
        prepared.push({ msg, index: null, size: known.size });
        continue;
      }
      let entry = indexed.get(msg.blobId);
      if (!entry) {
        const raw = inline?.blobId === msg.blobId ? inline.bytes : await this.blobs.get(msg.blobId);
        if (!raw) throw new StoreError("notFound", `No such blob: "${msg.blobId}"`);
        entry = { index: indexMessage(raw), size: raw.length };
        indexed.set(msg.blobId, entry);
      }
      prepared.push({ msg, index: entry.index, size: entry.size });
    }
    const receivedDefault = this.#now();
    return this.#write((mut) => {
      if (inline) this.blobs.putInlineSync(inline.blobId, inline.bytes);
      return prepared.map((p) => this.#addOne(mut, p, receivedDefault));
    });
  }

  /**
   * Blob and messages in one write job when the bytes go to the database tier (one commit, one
   * fsync); otherwise the file is written first, as `blobs.put` does.
   */
  async storeMessages(
    raw: Uint8Array,
    messages: Omit<NewMessage, "blobId">[],
  ): Promise<{ blobId: BlobId; size: number; added: AddedMessage[] }> {
    this.#check();
    if (!this.blobs.isInlineSize(raw.length)) {
      const blob = await this.blobs.put(raw);
      return { ...blob, added: await this.addMessages(messages.map((m) => ({ ...m, blobId: blob.blobId }))) };
    }
    const bytes = raw.slice();
    const blobId = blobIdOf(bytes);
    const added = await this.#addMessages(messages.map((m) => ({ ...m, blobId })), { blobId, bytes });
    this.blobs.remember(blobId, bytes);
    return { blobId, size: bytes.length, added };
  }

  #addOne(mut: Mutation, p: Prepared, receivedDefault: number): AddedMessage {
    const db = this.database;
    const acc = this.#accountRow(p.msg.accountId);
    const mailboxes: MailboxRow[] = [];
    for (const mid of new Set(p.msg.mailboxIds)) mailboxes.push(this.#mailboxRow(p.msg.accountId, mid));
    const blob = this.#ensureBlob(p.msg.blobId, p.index, p.size);
    if (acc.quota_bytes > 0 && acc.used_bytes + blob.size > acc.quota_bytes) {
      throw new StoreError("overQuota", `Quota exceeded for "${acc.address}"`);
    }
    const keywords = packKeywords(p.msg.keywords ?? []);
    const receivedAt = p.msg.receivedAt ? p.msg.receivedAt.getTime() : receivedDefault;
    if (!Number.isFinite(receivedAt)) throw new StoreError("invalid", "Invalid receivedAt");
    // Freshly indexed: the summary is at hand; otherwise it comes from the blob row.
    const summary = p.index ? p.index.summary : decodeSummary(blob.summary);
    const subjectKey = baseSubject(summary.subject);
    const thread = this.#threads.assignThread(acc.id, summary, subjectKey);
    const modseq = mut.next(acc.id);
    const messageRow = db.get<{ id: number }>(
      `INSERT INTO messages (account_id, thread_id, blob_id, size, received_at, flags, keywords, modseq,
         sent_at, has_attachment, subject_key, from_key, to_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      acc.id,
      thread.id,
      blob.id,
      blob.size,
      receivedAt,
      keywords.flags,
      keywords.custom,
      modseq,
      validTime(summary.sentAt),
      summary.hasAttachment ? 1 : 0,
      subjectKey,
      addressSortKey(summary.from),
      addressSortKey(summary.to),
    )!.id;
    const id = formatId("message", messageRow);
    mut.record(acc.id, modseq, "Email", id, "c");
    db.run("UPDATE blobs SET refcount = refcount + 1 WHERE id = ?", blob.id);
    db.run("UPDATE accounts SET used_bytes = used_bytes + ? WHERE id = ?", blob.size, acc.id);
    const uids: AddedMessage["uids"] = [];
    for (const mb of mailboxes) {
      const uid = this.#insertPlacement(
        mb.id,
        messageRow,
        modseq,
        keywords.flags,
        keywords.custom,
        blob.size,
        receivedAt,
        thread.id,
      );
      uids.push({ mailboxId: formatId("mailbox", mb.id), uid, uidValidity: mb.uid_validity });
      mut.mailbox(acc.id, mb.id, modseq, true);
    }
    mut.thread(acc.id, thread.id, thread.created);
    return { id, threadId: formatId("thread", thread.id), accountId: p.msg.accountId, uids, modseq };
  }

  #insertPlacement(
    mailboxRow: number,
    messageRow: number,
    modseq: number,
    flags: number,
    keywords: string,
    size: number,
    receivedAt: number,
    threadRow: number,
  ): number {
    // UIDs come from uid_next, which only ever grows: never reused (RFC 9051 §2.3.1.1).
    const uid = this.database.get<{ uid: number }>(
      "UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = ? RETURNING uid_next - 1 AS uid",
      mailboxRow,
    )!.uid;
    this.database.run(
      `INSERT INTO placements (mailbox_id, uid, message_id, modseq, flags, keywords, size, received_at, thread_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      mailboxRow,
      uid,
      messageRow,
      modseq,
      flags,
      keywords,
      size,
      receivedAt,
      threadRow,
    );
    return uid;
  }

  /** Finds or creates the blob row with its summary and search text. */
  #ensureBlob(hash: string, index: MessageIndex | null, size: number): BlobRow {
    const db = this.database;
    const row = db.get<BlobRow>("SELECT id, hash, size, refcount, summary FROM blobs WHERE hash = ?", hash);
    if (row && row.summary !== null) return row;
    if (!index) {
      // The row went away between preparation and this transaction: index the file again.
      const raw = this.blobs.getSync(hash);
      if (!raw) throw new StoreError("notFound", `No such blob: "${hash}"`);
      index = indexMessage(raw);
      size = raw.length;
    }
    // The blob may have been removed after its last reference went; then the sender must retry.
    if (!this.blobs.hasSync(hash)) throw new StoreError("notFound", `No such blob: "${hash}"`);
    const summary = encodeSummary(index.summary);
    let id: number;
    if (row) {
      db.run("UPDATE blobs SET summary = ?, headers = ? WHERE id = ?", summary, index.headers, row.id);
      id = row.id;
    } else {
      id = db.get<{ id: number }>(
        "INSERT INTO blobs (hash, size, refcount, summary, headers) VALUES (?, ?, 0, ?, ?) RETURNING id",
        hash,
        size,
        summary,
        index.headers,
      )!.id;
    }
    // The search row is built off the delivery path (search_indexer.ts); searches wait for it.
    this.#indexer.enqueue(id);
    return { id, hash, size: row ? row.size : size, refcount: row ? row.refcount : 0, summary };
  }

  /**
   * Drops `n` references to a blob; the last one deletes the row now and the file after commit,
   * unless a session's expunge hold pins the blob: the row then stays with no reference until the
   * hold lets go (`#unpinned`), or until the next garbage collection after a restart.
   */
  #releaseBlob(mut: Mutation, blobRow: number, n = 1): void {
    const db = this.database;
    const r = db.get<{ refcount: number; hash: string }>(
      "UPDATE blobs SET refcount = refcount - ? WHERE id = ? RETURNING refcount, hash",
      n,
      blobRow,
    );
    if (!r || r.refcount > 0 || this.#holds.isPinned(r.hash)) return;
    db.run("DELETE FROM message_text WHERE rowid = ?", blobRow);
    db.run("DELETE FROM blobs WHERE id = ?", blobRow);
    const hash = r.hash;
    if (!this.#vacuumJobs.has(mut.fx)) {
      this.#vacuumJobs.add(mut.fx);
      // After the batch's other end-of-batch actions (the inline rows below are gone then): when
      // the releases freed enough pages (a mailbox deleted, a big expunge), they go to the disk.
      mut.fx.lastBeforeCommit.push(() => {
        if (vacuumFreePages(this.database, VACUUM_MIN_FREE_PAGES, this.#ftsTable) > 0) this.#vacuumed = true;
      });
    }
    // An inline blob goes at the end of the batch, inside its transaction, unless a later job of
    // the batch referenced the same bytes again.
    mut.fx.beforeCommit.push(() => {
      if (!this.database.get("SELECT 1 FROM blobs WHERE hash = ?", hash)) this.blobs.releaseInline(hash);
    });
    // Inline: nothing more (a twin file, possible only if the threshold changed, is collected as
    // an orphan). A file: its existence is checked once here, not per batch.
    if (this.blobs.hasInlineSync(hash) || !this.blobs.files.hasSync(hash)) return;
    // A file: unlinked synchronously right after COMMIT, so no other write can re-reference the
    // hash between the check and the unlink; a put racing with it is caught by #ensureBlob's
    // existence check.
    mut.fx.afterCommit.push(() => {
      if (!this.database.get("SELECT 1 FROM blobs WHERE hash = ?", hash)) this.blobs.deleteFileSync(hash);
    });
  }

  /** Messages by id (unknown ids are left out), in the order asked. */
  getMessages(accountId: AccountId, ids: MessageId[]): Promise<Message[]> {
    return this.#read(() => {
      const acc = this.#accountRow(accountId);
      const out: Message[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        if (row === null) continue;
        const m = this.#messageOut(acc.id, accountId, row);
        if (m) out.push(m);
      }
      return Promise.resolve(out);
    });
  }

  #messageOut(accountRow: number, accountId: AccountId, messageRow: number): Message | null {
    const r = this.database.get<MessageRow & { hash: string; summary: string | null }>(
      `SELECT m.*, b.hash, b.summary FROM messages m JOIN blobs b ON b.id = m.blob_id
       WHERE m.id = ? AND m.account_id = ?`,
      messageRow,
      accountRow,
    );
    if (!r) return null;
    const mailboxIds = this.database.values(
      "SELECT mailbox_id FROM placements WHERE message_id = ? ORDER BY mailbox_id",
      messageRow,
    ).map((v) => formatId("mailbox", Number(v[0])));
    return {
      id: formatId("message", r.id),
      accountId,
      threadId: formatId("thread", r.thread_id),
      blobId: r.hash,
      size: r.size,
      receivedAt: new Date(r.received_at),
      keywords: unpackKeywords(r.flags, r.keywords),
      mailboxIds,
      summary: decodeSummary(r.summary),
      modseq: r.modseq,
    };
  }

  /** Placements of a mailbox by UID (one range scan of the clustered placements table). */
  listPlacements(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts: { minUid?: number; maxUid?: number; changedSince?: number } = {},
  ): Promise<Placement[]> {
    return this.#read(() => {
      const mb = this.#mailboxRow(accountId, mailboxId);
      const min = opts.minUid ?? 1;
      const max = opts.maxUid ?? Number.MAX_SAFE_INTEGER;
      const wholeRange = min <= 1 && max >= mb.uid_next - 1;
      if (!wholeRange && !this.#placements.has(mb.id)) {
        return this.#loadPlacements(mb.id, opts.changedSince, min, max);
      }
      // Large mailboxes are listed again and again (SELECT, FETCH 1:*, IDLE): served from the cache,
      // refreshed with what changed since it was filled.
      const list = this.#placements.get(mb.id, mb.highest_modseq, this.#placementSource, mb.c_total);
      const from = min <= 1 ? 0 : lowerBound(list, min);
      const to = max >= Number.MAX_SAFE_INTEGER ? list.length : lowerBound(list, max + 1);
      const since = opts.changedSince;
      const out = from === 0 && to === list.length ? list.slice() : list.slice(from, to);
      return since === undefined ? out : out.filter((p) => p.modseq > since);
    });
  }

  /** RFC 5256 §2.2 sent dates by UID (one range scan of the placements with their messages). */
  sentDates(accountId: AccountId, mailboxId: MailboxId): Promise<{ uids: number[]; dates: number[] }> {
    return this.#read(() => {
      const mb = this.#mailboxRow(accountId, mailboxId);
      const rows = this.database.values(
        `SELECT p.uid, coalesce(m.sent_at, p.received_at) FROM placements p
         JOIN messages m ON m.id = p.message_id WHERE p.mailbox_id = ? ORDER BY p.uid`,
        mb.id,
      );
      const uids = new Array<number>(rows.length);
      const dates = new Array<number>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        uids[i] = Number(rows[i]![0]);
        dates[i] = Number(rows[i]![1]);
      }
      return Promise.resolve({ uids, dates });
    });
  }

  #loadPlacements(
    mailboxRow: number,
    changedSince?: number,
    min = 1,
    max = Number.MAX_SAFE_INTEGER,
  ): Placement[] {
    const rows = changedSince === undefined
      ? this.database.values(
        `SELECT uid, message_id, modseq, flags, keywords, size, received_at FROM placements
         WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`,
        mailboxRow,
        min,
        max,
      )
      : this.database.values(
        `SELECT uid, message_id, modseq, flags, keywords, size, received_at FROM placements
         WHERE mailbox_id = ? AND uid BETWEEN ? AND ? AND modseq > ? ORDER BY uid`,
        mailboxRow,
        min,
        max,
        changedSince,
      );
    return this.#toPlacements(mailboxRow, rows);
  }

  /**
   * Placements with a MODSEQ above `sinceModseq`, by UID: a range scan of `placements_modseq`
   * (the delta that refreshes a cached list or a snapshot costs what changed, not the mailbox size).
   */
  #loadChangedPlacements(mailboxRow: number, sinceModseq: number): Placement[] {
    const rows = this.database.values(
      `SELECT uid, message_id, modseq, flags, keywords, size, received_at FROM placements
       WHERE mailbox_id = ? AND modseq > ?`,
      mailboxRow,
      sinceModseq,
    );
    rows.sort((a, b) => (a[0] as number) - (b[0] as number));
    return this.#toPlacements(mailboxRow, rows);
  }

  /** Placement objects from `uid, message_id, modseq, flags, keywords, size, received_at` rows. */
  #toPlacements(mailboxRow: number, rows: unknown[][]): Placement[] {
    const mailboxId = formatId("mailbox", mailboxRow);
    const n = rows.length;
    // messageId and receivedAt are read from these on access (placement_record.ts).
    const columns = { messageRows: new Float64Array(n), receivedAt: new Float64Array(n) };
    const out = new Array<Placement>(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      columns.messageRows[i] = r[1] as number;
      columns.receivedAt[i] = r[6] as number;
      out[i] = new PlacementRecord(
        mailboxId,
        r[0] as number,
        r[2] as number,
        frozenKeywords(r[3] as number, r[4] as string),
        r[5] as number,
        columns,
        i,
      );
    }
    return out;
  }

  /** Changes keywords (CONDSTORE `unchangedSince` honoured); unchanged sets take no MODSEQ. */
  updateKeywords(
    accountId: AccountId,
    ids: MessageId[],
    change: KeywordChange,
    opts: { unchangedSince?: number } = {},
  ): Promise<{ updated: Message[]; failed: MessageId[]; modseq: number }> {
    return this.#write((mut) => {
      // Validated first, so a bad keyword fails the whole call before any change.
      applyKeywordChange({ flags: 0, custom: "" }, change);
      const db = this.database;
      const acc = this.#accountRow(accountId);
      const failed: MessageId[] = [];
      const touched: number[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        if (row === null) continue;
        const msg = db.get<MessageRow>("SELECT * FROM messages WHERE id = ? AND account_id = ?", row, acc.id);
        if (!msg) continue;
        // RFC 7162 §3.1.3: UNCHANGEDSINCE fails messages whose mod-sequence is greater.
        if (opts.unchangedSince !== undefined && msg.modseq > opts.unchangedSince) {
          failed.push(id);
          continue;
        }
        touched.push(row);
        const next = applyKeywordChange({ flags: msg.flags, custom: msg.keywords }, change);
        if (next.flags === msg.flags && next.custom === msg.keywords) continue;
        const modseq = mut.next(acc.id);
        db.run(
          "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?",
          next.flags,
          next.custom,
          modseq,
          row,
        );
        db.run(
          "UPDATE placements SET flags = ?, keywords = ?, modseq = ? WHERE message_id = ?",
          next.flags,
          next.custom,
          modseq,
          row,
        );
        mut.record(acc.id, modseq, "Email", id, "u");
        const unreadChanged = (next.flags & SEEN) !== (msg.flags & SEEN);
        for (const p of db.values("SELECT mailbox_id FROM placements WHERE message_id = ?", row)) {
          mut.mailbox(acc.id, Number(p[0]), modseq, unreadChanged);
        }
        mut.thread(acc.id, msg.thread_id);
      }
      mut.finish();
      const updated = touched.map((row) => this.#messageOut(acc.id, accountId, row)!).filter(Boolean);
      return { updated, failed, modseq: this.#accountModseq(acc.id) };
    });
  }

  /** Replaces the mailboxes of a message; new placements get new UIDs. */
  setMailboxes(accountId: AccountId, id: MessageId, mailboxIds: MailboxId[]): Promise<Message> {
    return this.#write((mut) => {
      const db = this.database;
      const acc = this.#accountRow(accountId);
      if (mailboxIds.length === 0) throw new StoreError("invalid", "A message needs at least one mailbox");
      const msg = this.#messageRow(acc.id, id);
      const targets = new Set([...new Set(mailboxIds)].map((m) => this.#mailboxRow(accountId, m).id));
      const current = new Set(
        db.values("SELECT mailbox_id FROM placements WHERE message_id = ?", msg.id).map((r) => Number(r[0])),
      );
      const removed = [...current].filter((m) => !targets.has(m));
      const added = [...targets].filter((m) => !current.has(m));
      if (removed.length === 0 && added.length === 0) return this.#messageOut(acc.id, accountId, msg.id)!;
      const modseq = mut.next(acc.id);
      for (const mb of added) {
        this.#insertPlacement(
          mb,
          msg.id,
          modseq,
          msg.flags,
          msg.keywords,
          msg.size,
          msg.received_at,
          msg.thread_id,
        );
        mut.mailbox(acc.id, mb, modseq, true);
      }
      for (const mb of removed) {
        this.#deletePlacement(mb, msg.id, modseq);
        mut.mailbox(acc.id, mb, modseq, true);
      }
      db.run("UPDATE messages SET modseq = ? WHERE id = ?", modseq, msg.id);
      mut.record(acc.id, modseq, "Email", id, "u");
      return this.#messageOut(acc.id, accountId, msg.id)!;
    });
  }

  /** Removes one placement and records its UID as expunged at `modseq`. */
  #deletePlacement(mailboxRow: number, messageRow: number, modseq: number): number | null {
    const p = this.database.get<{ uid: number }>(
      "DELETE FROM placements WHERE mailbox_id = ? AND message_id = ? RETURNING uid",
      mailboxRow,
      messageRow,
    );
    if (!p) return null;
    // RFC 7162 §3.2.7: remembered for VANISHED (EARLIER) replies.
    this.database.run(
      "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
      mailboxRow,
      p.uid,
      modseq,
    );
    return p.uid;
  }

  /**
   * Removes a message from one mailbox; when it was its last placement, the message is destroyed.
   * Returns the removed UID.
   */
  #removePlacement(mut: Mutation, msg: MessageRow, mailboxRow: number, recordExpunge = true): number | null {
    const db = this.database;
    const others = db.get<{ n: number }>(
      "SELECT count(*) AS n FROM placements WHERE message_id = ? AND mailbox_id != ?",
      msg.id,
      mailboxRow,
    )!.n;
    if (others === 0) return this.#destroyMessage(mut, msg).get(mailboxRow) ?? null;
    const modseq = mut.next(msg.account_id);
    const uid = recordExpunge ? this.#deletePlacement(mailboxRow, msg.id, modseq) : db.get<{ uid: number }>(
      "DELETE FROM placements WHERE mailbox_id = ? AND message_id = ? RETURNING uid",
      mailboxRow,
      msg.id,
    )?.uid ?? null;
    db.run("UPDATE messages SET modseq = ? WHERE id = ?", modseq, msg.id);
    mut.record(msg.account_id, modseq, "Email", formatId("message", msg.id), "u");
    mut.mailbox(msg.account_id, mailboxRow, modseq, true);
    return uid;
  }

  /** Records a message destroyed from a mailbox in the sessions' holds on it (expunge_holds.ts). */
  #capture(msg: MessageRow, mailboxRow: number, uid: number): void {
    const mailboxId = formatId("mailbox", mailboxRow);
    if (!this.#holds.watching(mailboxId)) return;
    const blob = this.database.get<{ hash: string }>("SELECT hash FROM blobs WHERE id = ?", msg.blob_id);
    if (!blob) return;
    this.#holds.capture(mailboxId, uid, {
      messageId: formatId("message", msg.id),
      blobId: blob.hash,
      threadId: formatId("thread", msg.thread_id),
      keywords: unpackKeywords(msg.flags, msg.keywords),
    });
  }

  /** The last hold let go of a blob: it is released now if no message references it again. */
  #unpinned(hash: BlobId): void {
    if (this.#closed) return;
    this.#write((mut) => {
      const row = this.database.get<{ id: number }>(
        "SELECT id FROM blobs WHERE hash = ? AND refcount <= 0",
        hash,
      );
      if (row) this.#releaseBlob(mut, row.id, 0);
    }).catch(() => {});
  }

  /** See `Store.holdExpunged`. */
  holdExpunged(_accountId: AccountId, mailboxId: MailboxId): ExpungeHold {
    return this.#holds.open(mailboxId);
  }

  /** Destroys a message: placements (expunged), row, quota, blob reference. Returns mailbox -> uid. */
  #destroyMessage(mut: Mutation, msg: MessageRow): Map<number, number> {
    const db = this.database;
    const modseq = mut.next(msg.account_id);
    const removed = new Map<number, number>();
    for (const p of db.values("SELECT mailbox_id FROM placements WHERE message_id = ?", msg.id)) {
      const mb = Number(p[0]);
      const uid = this.#deletePlacement(mb, msg.id, modseq);
      if (uid !== null) removed.set(mb, uid);
      if (uid !== null) this.#capture(msg, mb, uid);
      mut.mailbox(msg.account_id, mb, modseq, true);
    }
    db.run("DELETE FROM messages WHERE id = ?", msg.id);
    mut.record(msg.account_id, modseq, "Email", formatId("message", msg.id), "d");
    db.run("UPDATE accounts SET used_bytes = max(0, used_bytes - ?) WHERE id = ?", msg.size, msg.account_id);
    this.#releaseBlob(mut, msg.blob_id);
    if (!db.get("SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1", msg.thread_id)) {
      db.run("DELETE FROM threads WHERE id = ?", msg.thread_id);
    }
    mut.thread(msg.account_id, msg.thread_id);
    return removed;
  }

  /** IMAP COPY: new messages sharing the blobs, keywords and thread copied. */
  copyMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult> {
    return this.#transfer(accountId, fromMailboxId, uids, toMailboxId, (mut, acc, _from, to, sources) => {
      const db = this.database;
      const total = sources.reduce((s, p) => s + p.msg.size, 0);
      if (acc.quota_bytes > 0 && acc.used_bytes + total > acc.quota_bytes) {
        throw new StoreError("overQuota", `Quota exceeded for "${acc.address}"`);
      }
      const pairs: CopyResult["pairs"] = [];
      for (const { uid, msg } of sources) {
        const modseq = mut.next(acc.id);
        const row = db.get<{ id: number }>(
          `INSERT INTO messages (account_id, thread_id, blob_id, size, received_at, flags, keywords, modseq,
             sent_at, has_attachment, subject_key, from_key, to_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          acc.id,
          msg.thread_id,
          msg.blob_id,
          msg.size,
          msg.received_at,
          msg.flags,
          msg.keywords,
          modseq,
          msg.sent_at,
          msg.has_attachment,
          msg.subject_key,
          msg.from_key,
          msg.to_key,
        )!.id;
        const id = formatId("message", row);
        mut.record(acc.id, modseq, "Email", id, "c");
        db.run("UPDATE blobs SET refcount = refcount + 1 WHERE id = ?", msg.blob_id);
        const toUid = this.#placeLike(to.id, row, modseq, msg);
        mut.mailbox(acc.id, to.id, modseq, true);
        mut.thread(acc.id, msg.thread_id);
        pairs.push({ fromUid: uid, toUid, messageId: id });
      }
      db.run("UPDATE accounts SET used_bytes = used_bytes + ? WHERE id = ?", total, acc.id);
      return pairs;
    });
  }

  /** IMAP MOVE (RFC 6851): same message ids, new UIDs in the target, source UIDs expunged. */
  moveMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult> {
    return this.#transfer(accountId, fromMailboxId, uids, toMailboxId, (mut, acc, from, to, sources) => {
      const db = this.database;
      const pairs: CopyResult["pairs"] = [];
      for (const { uid, msg } of sources) {
        const modseq = mut.next(acc.id);
        this.#deletePlacement(from.id, msg.id, modseq);
        const existing = db.get<{ uid: number }>(
          "SELECT uid FROM placements WHERE mailbox_id = ? AND message_id = ?",
          to.id,
          msg.id,
        );
        const toUid = existing ? existing.uid : this.#placeLike(to.id, msg.id, modseq, msg);
        db.run("UPDATE messages SET modseq = ? WHERE id = ?", modseq, msg.id);
        const id = formatId("message", msg.id);
        mut.record(acc.id, modseq, "Email", id, "u");
        mut.mailbox(acc.id, from.id, modseq, true);
        mut.mailbox(acc.id, to.id, modseq, true);
        pairs.push({ fromUid: uid, toUid, messageId: id });
      }
      return pairs;
    });
  }

  /**
   * The prologue and epilogue COPY and MOVE share, in one write job: the account, both mailboxes
   * and the source placements (by UID, ascending) in; `body` places them and gives the UID pairs;
   * the result carries the target's UIDVALIDITY and the account's MODSEQ after the job.
   */
  #transfer(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
    body: (
      mut: Mutation,
      acc: AccountRow,
      from: MailboxRow,
      to: MailboxRow,
      sources: { uid: number; msg: MessageRow }[],
    ) => CopyResult["pairs"],
  ): Promise<CopyResult> {
    return this.#write((mut) => {
      const acc = this.#accountRow(accountId);
      const from = this.#mailboxRow(accountId, fromMailboxId);
      const to = this.#mailboxRow(accountId, toMailboxId);
      const pairs = body(mut, acc, from, to, this.#placementsByUid(from.id, uids));
      mut.finish();
      return { uidValidity: to.uid_validity, pairs, modseq: this.#accountModseq(acc.id) };
    });
  }

  /** Places message row `messageRow` in a mailbox with the flags, keywords, size, date and thread of `like`. */
  #placeLike(mailboxRow: number, messageRow: number, modseq: number, like: MessageRow): number {
    return this.#insertPlacement(
      mailboxRow,
      messageRow,
      modseq,
      like.flags,
      like.keywords,
      like.size,
      like.received_at,
      like.thread_id,
    );
  }

  #placementsByUid(mailboxRow: number, uids: number[]): { uid: number; msg: MessageRow }[] {
    const out: { uid: number; msg: MessageRow }[] = [];
    for (
      const uid of [...new Set(uids)].filter((u) => Number.isSafeInteger(u) && u > 0).sort((a, b) => a - b)
    ) {
      const msg = this.database.get<MessageRow>(
        "SELECT m.* FROM placements p JOIN messages m ON m.id = p.message_id WHERE p.mailbox_id = ? AND p.uid = ?",
        mailboxRow,
        uid,
      );
      if (msg) out.push({ uid, msg });
    }
    return out;
  }

  /** Removes placements by UID; messages left without a mailbox are destroyed. */
  expunge(
    accountId: AccountId,
    mailboxId: MailboxId,
    uids: number[],
  ): Promise<{ uids: number[]; modseq: number }> {
    return this.#write((mut) => {
      const acc = this.#accountRow(accountId);
      const mb = this.#mailboxRow(accountId, mailboxId);
      const removed: number[] = [];
      for (const { uid, msg } of this.#placementsByUid(mb.id, uids)) {
        if (this.#removePlacement(mut, msg, mb.id) !== null) removed.push(uid);
      }
      mut.finish();
      return { uids: removed, modseq: this.#accountModseq(acc.id) };
    });
  }

  /** JMAP destroy. */
  destroyMessages(
    accountId: AccountId,
    ids: MessageId[],
  ): Promise<{ destroyed: MessageId[]; notFound: MessageId[] }> {
    return this.#write((mut) => {
      const acc = this.#accountRow(accountId);
      const destroyed: MessageId[] = [];
      const notFound: MessageId[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        const msg = row === null ? undefined : this.database.get<MessageRow>(
          "SELECT * FROM messages WHERE id = ? AND account_id = ?",
          row,
          acc.id,
        );
        if (!msg) {
          notFound.push(id);
          continue;
        }
        this.#destroyMessage(mut, msg);
        destroyed.push(id);
      }
      return { destroyed, notFound };
    });
  }

  /** UIDs expunged after `modseq` (RFC 7162 §3.2.5.2 QRESYNC). */
  expungedSince(accountId: AccountId, mailboxId: MailboxId, modseq: number): Promise<number[]> {
    return this.#read(() => {
      const mb = this.#mailboxRow(accountId, mailboxId);
      return Promise.resolve(
        this.database.values(
          "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
          mb.id,
          modseq,
        ).map((r) => Number(r[0])),
      );
    });
  }

  /**
   * Message ids matching a filter, sorted; with `collapseThreads` only each thread's first.
   * `position`/`limit` window the result in SQL (LIMIT/OFFSET, or by stepping the statement when
   * collapsing threads) so a first page reads only the rows it returns.
   */
  queryMessages(
    accountId: AccountId,
    query: MessageQuery,
  ): Promise<MessageId[]> {
    if (usesTextSearch(query.filter) && this.#indexer.pending) {
      return this.#indexer.flush().then(() => this.#queryMessages(accountId, query));
    }
    return this.#queryMessages(accountId, query);
  }

  #queryMessages(
    accountId: AccountId,
    query: MessageQuery,
  ): Promise<MessageId[]> {
    return this.#read(() => {
      const acc = this.#accountRow(accountId);
      const position = windowNumber(query.position, "position") ?? 0;
      const limit = windowNumber(query.limit, "limit");
      if (limit === 0) return Promise.resolve([]);
      const resolve = (id: string) => this.#mailboxRowOrNull(accountId, id)?.id ?? null;
      let accountTotal: number | null = null;
      const small = (row: number) => {
        const total =
          this.database.get<{ c_total: number }>("SELECT c_total FROM mailboxes WHERE id = ?", row)
            ?.c_total ?? 0;
        if (total <= SMALL_MAILBOX) return true;
        accountTotal ??= Number(
          this.database.values("SELECT sum(c_total) FROM mailboxes WHERE account_id = ?", acc.id)[0]?.[0] ??
            0,
        );
        return total * SMALL_MAILBOX_SHARE <= accountTotal;
      };
      const where = filterSql(query.filter, resolve, this.#hasFts5, 0, small);
      const order = sortSql(query.sort);
      const sql =
        `SELECT m.id, m.thread_id FROM messages m WHERE m.account_id = ? AND (${where.sql}) ORDER BY ${order.sql}`;
      const params = [acc.id, ...where.params, ...order.params];
      const out: MessageId[] = [];
      if (!query.collapseThreads) {
        const rows = limit === undefined && position === 0
          ? this.database.values(sql, ...params)
          : this.database.values(`${sql} LIMIT ? OFFSET ?`, ...params, limit ?? -1, position);
        for (const r of rows) out.push(formatId("message", Number(r[0])));
        return Promise.resolve(out);
      }
      const seen = new Set<number>();
      const end = limit === undefined ? Infinity : position + limit;
      let index = 0;
      const rows = this.database.statement(sql).iterate(...params) as Iterator<
        { id: number; thread_id: number }
      >;
      try {
        for (let r = rows.next(); !r.done; r = rows.next()) {
          const t = Number(r.value.thread_id);
          if (seen.has(t)) continue;
          seen.add(t);
          if (index++ >= position) out.push(formatId("message", Number(r.value.id)));
          if (index >= end) break;
        }
      } finally {
        rows.return?.();
      }
      return Promise.resolve(out);
    });
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
    return this.#write(() => {
      if (!this.blobs.hasSync(blobId)) throw new StoreError("notFound", `No such blob: "${blobId}"`);
      this.database.run(
        `INSERT INTO blobs (hash, size, refcount) VALUES (?, ?, 1)
         ON CONFLICT (hash) DO UPDATE SET refcount = refcount + 1`,
        blobId,
        size,
      );
    });
  }

  /** Drops a reference taken with `retainBlob`. */
  releaseBlob(blobId: BlobId): Promise<void> {
    return this.#write((mut) => {
      const row = this.database.get<{ id: number }>("SELECT id FROM blobs WHERE hash = ?", blobId);
      if (!row) throw new StoreError("notFound", `No such blob: "${blobId}"`);
      this.#releaseBlob(mut, row.id);
    });
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
        .filter((r) => !this.#holds.isPinned(r.hash));
      for (const r of rows) this.#releaseBlob(mut, r.id, 0);
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
    if (!this.#closed) checkpointTruncate(this.database);
    return { removed };
  }

  /**
   * Queues the write of a mailbox's snapshot (placement_snapshot.ts): encoded and written in a
   * write job, after the listing that asked for it has returned. Failures only cost the snapshot.
   */
  #queueSnapshot(mailboxRow: number, highestModseq: number, list: readonly Placement[]): void {
    if (this.#closed || this.#snapshotsPending.has(mailboxRow)) return;
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
    await this.#indexer.close();
    await this.#queue.drain();
    this.#closed = true;
    this.#placements.invalidate();
    this.database.close();
    await this.blobs.close();
  }

  // ---------------------------------------------------------------- row helpers

  #accountRowOrNull(id: AccountId): AccountRow | null {
    const row = parseId("account", id);
    if (row === null) return null;
    return this.database.get<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`, row) ?? null;
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

  #accountModseq(accountRow: number): number {
    return this.database.get<{ modseq: number }>("SELECT modseq FROM accounts WHERE id = ?", accountRow)
      ?.modseq ?? 0;
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

  #messageRow(accountRow: number, id: MessageId): MessageRow {
    const row = parseId("message", id);
    const msg = row === null ? undefined : this.database.get<MessageRow>(
      "SELECT * FROM messages WHERE id = ? AND account_id = ?",
      row,
      accountRow,
    );
    if (!msg) throw new StoreError("notFound", `No such message: "${id}"`);
    return msg;
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

function validTime(d: Date | null): number | null {
  const t = d ? d.getTime() : NaN;
  return Number.isFinite(t) ? t : null;
}

/** A non-negative integer window bound, or undefined when absent. */
function windowNumber(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw new StoreError("invalid", `Invalid ${name}: ${value}`);
  return value;
}
