/**
 * The messages part of `SqliteStore`: delivery (blobs, placements, threads), reads, placements and
 * sent dates, keywords, mailbox membership, COPY/MOVE, expunge and destroy, queries, and the blob
 * references and expunge holds behind them, over the store's database and group commit.
 *
 * @module
 */
import type { CopyResult, MessageQuery, UpdatedKeywords } from "../store.ts";
import { checkNewMessage } from "../new_message.ts";
import {
  type AccountId,
  type AddedMessage,
  type BlobId,
  type KeywordChange,
  type MailboxId,
  type Message,
  type MessageId,
  type MessageSummary,
  type NewMessage,
  type Placement,
  StoreError,
} from "../types.ts";
import { blobIdOf, type PackedInline, packInline, type TieredBlobStore } from "./tiered_blob_store.ts";
import type { PreparedIndex } from "./message_prep.ts";
import { OFFLOAD_MIN, Preparer } from "./preparer.ts";
import { type SearchIndexer, usesTextSearch } from "./search_indexer.ts";
import type { Database } from "./database.ts";
import { ACCOUNT_COLUMNS, type AccountRow } from "./directory.ts";
import type { MailboxRow } from "./mailboxes.ts";
import { formatId, parseId } from "./ids.ts";
import { applyKeywordChange, frozenKeywords, packKeywords, SEEN, unpackKeywords } from "./keywords.ts";
import {
  addressSortKey,
  baseSubject,
  decodeSummary,
  emptySummary,
  encodeSummary,
  indexMessage,
  type MessageIndex,
} from "./message_index.ts";
import type { Mutation } from "./mutation.ts";
import { lowerBound, type PlacementCache, type PlacementSource } from "./placement_cache.ts";
import { PlacementRecord } from "./placement_record.ts";
import { filterSql, sortSql } from "./query.ts";
import type { JobEffects } from "./write_queue.ts";
import { VACUUM_MIN_FREE_PAGES, VACUUM_MIN_FREE_SHARE, vacuumFreePages } from "./disk_space.ts";
import { insertMessageOutbox } from "./records/webhooks.ts";
import { type ExpungeHold, ExpungeHolds } from "../expunge_holds.ts";
import { SummaryCache } from "./summary_cache.ts";

/** A row of `messages` as the store reads it. */
export interface MessageRow {
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

/** What a message read needs of its row, with its blob's hash (the public blob id). */
type PageRow =
  & Pick<
    MessageRow,
    "id" | "thread_id" | "blob_id" | "size" | "received_at" | "flags" | "keywords" | "modseq"
  >
  & {
    hash: string;
  };

interface BlobRow {
  id: number;
  hash: string;
  size: number;
  refcount: number;
  summary: string | null;
}

interface Prepared {
  msg: NewMessage;
  /** With the summary's stored form when it was prepared off the write path (`message_prep.ts`). */
  index: MessageIndex | PreparedIndex | null;
  size: number;
}

/** The bytes a write job stores as a blob itself, in their stored form. */
interface InlineBlob {
  blobId: BlobId;
  bytes: Uint8Array;
  packed: PackedInline;
}

/** `inMailbox` of a mailbox with at most this many messages reads its placements, then sorts. */
const SMALL_MAILBOX = 2000;
/** …and so does a mailbox holding at most 1/this of the account's placements. */
const SMALL_MAILBOX_SHARE = 8;

/** What the messages need of the store that hosts them. */
export interface MessagesHost {
  readonly database: Database;
  readonly blobs: TieredBlobStore;
  /** Runs a synchronous read; its errors become rejections. */
  read<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Queues a write job in the group commit. */
  write<T>(fn: (mut: Mutation) => T): Promise<T>;
  /** The clock, in milliseconds. */
  now(): number;
  /** Throws once the store is closed. */
  check(): void;
  /** Whether the store is closed. */
  closed(): boolean;
  accountRow(id: AccountId): AccountRow;
  mailboxRow(accountId: AccountId, id: MailboxId): MailboxRow;
  mailboxRowOrNull(accountId: AccountId, id: MailboxId): MailboxRow | null;
  /** The thread of a new message (threads.ts). */
  assignThread(
    accountRow: number,
    summary: MessageSummary,
    subjectKey: string,
  ): { id: number; created: boolean };
  /** The background full-text indexer. */
  indexer(): SearchIndexer;
  /** Whether text search uses the FTS5 trigram index. */
  readonly hasFts5: boolean;
  /** The FTS5 table a vacuum merges first, or null. */
  ftsTable(): string | null;
  /** A batch gave pages back: the WAL is checkpointed and truncated after it. */
  pagesFreed(): void;
  readonly placements: PlacementCache;
  readonly placementSource: PlacementSource;
}

/** The messages of the accounts in the SQLite database. */
export class SqliteMessages {
  readonly #h: MessagesHost;
  /** Sessions' holds on destroyed messages (expunge_holds.ts): pinned blobs keep their bytes. */
  readonly holds: ExpungeHolds = new ExpungeHolds((hash) => this.#unpinned(hash));
  /** Write jobs that released a blob: their batch gives free pages back before it commits. */
  readonly #vacuumJobs = new WeakSet<JobEffects>();
  /** Indexes large messages in a worker (`addMessages` of a stored blob of `OFFLOAD_MIN` bytes or more). */
  readonly #preparer = new Preparer();
  /** Additions under way that have not yet queued their write job (reading blobs, indexing). */
  #adding = 0;
  /** Resolved when `#adding` comes back to 0 (for `stopPreparer`). */
  #added: PromiseWithResolvers<void> | null = null;
  /** Decoded summaries by blob row, for getMessages (written once per blob, so never stale). */
  readonly #summaries = new SummaryCache();

  /** @param host the store's database, blobs, group commit, caches and row helpers */
  constructor(host: MessagesHost) {
    this.#h = host;
  }

  /**
   * For the store's close: stops the preparer's worker (messages waiting for it are indexed here)
   * and waits until every addition under way has queued its write job, while the queue still
   * runs (a large delivery waiting for the worker was refused with "Store is closed").
   */
  async stopPreparer(): Promise<void> {
    this.#preparer.stop();
    if (this.#adding === 0) return;
    this.#added ??= Promise.withResolvers();
    await this.#added.promise;
  }

  /** Adds messages: indexes new blobs, threads, places and logs them (all-or-nothing per call). */
  async addMessages(messages: NewMessage[]): Promise<AddedMessage[]> {
    try {
      return await this.#addMessages(messages, null);
    } finally {
      // The blobs the caller put are referenced now (or the write failed): their puts are settled.
      for (const id of new Set(messages.map((m) => m.blobId))) this.#h.blobs.settlePut(id);
    }
  }

  /** `addMessages`; with `inline`, those bytes are stored as that blob in the same write job. */
  async #addMessages(
    messages: NewMessage[],
    inline: InlineBlob | null,
  ): Promise<AddedMessage[]> {
    this.#h.check();
    if (messages.length === 0) return [];
    // Counted in `#adding` until its write job is queued (`stopPreparer`).
    this.#adding++;
    try {
      const prepared: Prepared[] = [];
      const indexed = new Map<string, { index: MessageIndex; size: number }>();
      for (const msg of messages) {
        checkNewMessage(msg);
        // Bytes stored by this job are indexed here without a look for an indexed row first: an
        // identical message already stored is found inside the job (#ensureBlob), and SMTP and
        // LMTP add a unique Received field, so that is rare.
        const known = inline?.blobId === msg.blobId
          ? undefined
          : this.#h.database.get<{ size: number; indexed: number }>(
            "SELECT size, summary IS NOT NULL AS indexed FROM blobs WHERE hash = ?",
            msg.blobId,
          );
        if (known?.indexed) {
          prepared.push({ msg, index: null, size: known.size });
          continue;
        }
        let entry = indexed.get(msg.blobId);
        if (!entry) {
          const own = inline?.blobId === msg.blobId;
          const raw = own ? inline.bytes : await this.#h.blobs.get(msg.blobId);
          if (!raw) throw new StoreError("notFound", `No such blob: "${msg.blobId}"`);
          // A large stored message is indexed in the preparer's worker, not on the event loop (bytes
          // this job stores are indexed here: their write job is queued in this turn).
          const index = !own && raw.length >= OFFLOAD_MIN
            ? await this.#preparer.index(raw)
            : indexMessage(raw);
          entry = { index, size: raw.length };
          indexed.set(msg.blobId, entry);
        }
        prepared.push({ msg, index: entry.index, size: entry.size });
      }
      const receivedDefault = this.#h.now();
      return this.#h.write((mut) => {
        if (inline) this.#h.blobs.putInlineSync(inline.blobId, inline.bytes, inline.packed);
        return prepared.map((p) => this.#addOne(mut, p, receivedDefault, inline?.blobId === p.msg.blobId));
      });
    } finally {
      if (--this.#adding === 0 && this.#added) {
        this.#added.resolve();
        this.#added = null;
      }
    }
  }

  /**
   * Blob and messages in one write job when the bytes go to the database tier (one commit, one
   * fsync); otherwise the file is written first, as `blobs.put` does. Bytes for the database tier
   * are indexed here and the write job is queued in this turn (IMAP APPEND relies on that).
   */
  async storeMessages(
    raw: Uint8Array,
    messages: Omit<NewMessage, "blobId">[],
  ): Promise<{ blobId: BlobId; size: number; added: AddedMessage[] }> {
    this.#h.check();
    if (!this.#h.blobs.isInlineSize(raw.length)) {
      const blob = await this.#h.blobs.put(raw);
      return { ...blob, added: await this.addMessages(messages.map((m) => ({ ...m, blobId: blob.blobId }))) };
    }
    const bytes = raw.slice();
    const blobId = blobIdOf(bytes);
    // Deflated (when large enough) before the write job: the group commit does no compression work.
    const added = await this.#addMessages(messages.map((m) => ({ ...m, blobId })), {
      blobId,
      bytes,
      packed: packInline(bytes),
    });
    this.#h.blobs.remember(blobId, bytes);
    return { blobId, size: bytes.length, added };
  }

  /** `present`: the job itself just stored the blob's bytes (no need to look for them). */
  #addOne(mut: Mutation, p: Prepared, receivedDefault: number, present = false): AddedMessage {
    const db = this.#h.database;
    // The account with its MODSEQ counter, which the job's first `next` then does not read again.
    const accountRow = parseId("account", p.msg.accountId);
    const acc = accountRow === null ? undefined : db.get<AccountRow & { modseq: number }>(
      `SELECT ${ACCOUNT_COLUMNS}, modseq FROM accounts WHERE id = ?`,
      accountRow,
    );
    if (!acc) throw new StoreError("notFound", `No such account: "${p.msg.accountId}"`);
    mut.known(acc.id, acc.modseq);
    // Each mailbox's UID is taken now (the update is also its existence check); a failure later in
    // the job rolls it back with the rest.
    const mailboxes: { id: number; uid: number; uid_validity: number }[] = [];
    for (const mid of new Set(p.msg.mailboxIds)) mailboxes.push(this.#takeUid(acc.id, mid));
    const blob = this.#ensureBlob(p.msg.blobId, p.index, p.size, present);
    if (acc.quota_bytes > 0 && acc.used_bytes + blob.size > acc.quota_bytes) {
      throw new StoreError("overQuota", `Quota exceeded for "${acc.address}"`);
    }
    const keywords = packKeywords(p.msg.keywords ?? []);
    const receivedAt = p.msg.receivedAt ? p.msg.receivedAt.getTime() : receivedDefault;
    if (!Number.isFinite(receivedAt)) throw new StoreError("invalid", "Invalid receivedAt");
    // Freshly indexed: the summary is at hand; otherwise it comes from the blob row.
    const summary = p.index ? p.index.summary : decodeSummary(blob.summary);
    // The index has the sort keys of this summary already (message_index.ts).
    const subjectKey = p.index ? p.index.subjectKey : baseSubject(summary.subject);
    const thread = this.#h.assignThread(acc.id, summary, subjectKey);
    const { row: messageRow, id, modseq } = this.#insertMessage(mut, blob.counted, {
      account_id: acc.id,
      thread_id: thread.id,
      blob_id: blob.id,
      size: blob.size,
      received_at: receivedAt,
      flags: keywords.flags,
      keywords: keywords.custom,
      sent_at: validTime(summary.sentAt),
      has_attachment: summary.hasAttachment ? 1 : 0,
      subject_key: subjectKey,
      from_key: p.index ? p.index.fromKey : addressSortKey(summary.from),
      to_key: p.index ? p.index.toKey : addressSortKey(summary.to),
    });
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
        mb.uid,
      );
      uids.push({ mailboxId: formatId("mailbox", mb.id), uid, uidValidity: mb.uid_validity });
      mut.mailbox(acc.id, mb.id, modseq, true);
    }
    mut.thread(acc.id, thread.id, thread.created);
    // Webhook outbox rows commit with the message (core/webhooks: at-least-once delivery).
    if (p.msg.outbox?.length) insertMessageOutbox(db, p.msg.outbox, p.msg.accountId, id, uids);
    return {
      id,
      threadId: formatId("thread", thread.id),
      accountId: p.msg.accountId,
      uids,
      modseq,
      usage: { usedBytes: acc.used_bytes + blob.size, quotaBytes: acc.quota_bytes },
    };
  }

  /**
   * A mailbox's next UID for a delivery (RFC 9051 §2.3.1.1: from uid_next, which only ever grows,
   * so never reused), with its UIDVALIDITY; notFound when the account has no such mailbox.
   */
  #takeUid(accountRow: number, mailboxId: MailboxId): { id: number; uid: number; uid_validity: number } {
    const row = parseId("mailbox", mailboxId);
    const r = row === null ? undefined : this.#h.database.get<{ uid: number; uid_validity: number }>(
      "UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = ? AND account_id = ? RETURNING uid_next - 1 AS uid, uid_validity",
      row,
      accountRow,
    );
    if (!r) throw new StoreError("notFound", `No such mailbox: "${mailboxId}"`);
    return { id: row!, uid: r.uid, uid_validity: r.uid_validity };
  }

  /**
   * Inserts a message row (`id` and `modseq` are new) over a blob it takes one more reference to
   * (unless `counted`: the blob row was inserted with it), and logs its creation.
   */
  #insertMessage(
    mut: Mutation,
    counted: boolean,
    m: Omit<MessageRow, "id" | "modseq">,
  ): { row: number; id: MessageId; modseq: number } {
    const db = this.#h.database;
    const modseq = mut.next(m.account_id);
    const row = db.get<{ id: number }>(
      `INSERT INTO messages (account_id, thread_id, blob_id, size, received_at, flags, keywords, modseq,
         sent_at, has_attachment, subject_key, from_key, to_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      m.account_id,
      m.thread_id,
      m.blob_id,
      m.size,
      m.received_at,
      m.flags,
      m.keywords,
      modseq,
      m.sent_at,
      m.has_attachment,
      m.subject_key,
      m.from_key,
      m.to_key,
    )!.id;
    const id = formatId("message", row);
    mut.record(m.account_id, modseq, "Email", id, "c");
    if (!counted) db.run("UPDATE blobs SET refcount = refcount + 1 WHERE id = ?", m.blob_id);
    return { row, id, modseq };
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
    taken: number | null = null,
  ): number {
    // UIDs come from uid_next, which only ever grows: never reused (RFC 9051 §2.3.1.1).
    const uid = taken ?? this.#h.database.get<{ uid: number }>(
      "UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = ? RETURNING uid_next - 1 AS uid",
      mailboxRow,
    )!.uid;
    this.#h.database.run(
      // RFC 8514 §3: the save date is when the placement is made (APPEND, COPY, MOVE, delivery).
      `INSERT INTO placements (mailbox_id, uid, message_id, modseq, flags, keywords, size, received_at, thread_id,
         saved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      mailboxRow,
      uid,
      messageRow,
      modseq,
      flags,
      keywords,
      size,
      receivedAt,
      threadRow,
      this.#h.now(),
    );
    return uid;
  }

  /**
   * Finds or creates the blob row with its summary and search text, for one message about to
   * reference it: a row created here already counts that reference (`counted`).
   */
  #ensureBlob(
    hash: string,
    index: MessageIndex | PreparedIndex | null,
    size: number,
    present = false,
  ): BlobRow & { counted: boolean } {
    const db = this.#h.database;
    if (present && index) {
      // Bytes this job just stored, indexed: usually a new row, inserted without a look first.
      const summary = "summaryJson" in index ? index.summaryJson : encodeSummary(index.summary);
      const fresh = db.get<{ id: number }>(
        "INSERT INTO blobs (hash, size, refcount, summary, headers) VALUES (?, ?, 1, ?, ?) " +
          "ON CONFLICT (hash) DO NOTHING RETURNING id",
        hash,
        size,
        summary,
        index.headers,
      );
      if (fresh) {
        // The search row is built off the delivery path (search_indexer.ts); searches wait for it.
        this.#h.indexer().enqueue(fresh.id);
        return { id: fresh.id, hash, size, refcount: 1, summary, counted: true };
      }
    }
    const row = db.get<BlobRow>("SELECT id, hash, size, refcount, summary FROM blobs WHERE hash = ?", hash);
    if (row && row.summary !== null) return { ...row, counted: false };
    if (!index) {
      // The row went away between preparation and this transaction: index the file again.
      const raw = this.#h.blobs.getSync(hash);
      if (!raw) throw new StoreError("notFound", `No such blob: "${hash}"`);
      index = indexMessage(raw);
      size = raw.length;
    }
    // The blob may have been removed after its last reference went; then the sender must retry.
    // (Not when this job just stored the bytes: one statement less per delivery.)
    if (!present && !this.#h.blobs.hasSync(hash)) throw new StoreError("notFound", `No such blob: "${hash}"`);
    const summary = "summaryJson" in index ? index.summaryJson : encodeSummary(index.summary);
    let id: number;
    if (row) {
      db.run("UPDATE blobs SET summary = ?, headers = ? WHERE id = ?", summary, index.headers, row.id);
      id = row.id;
    } else {
      id = db.get<{ id: number }>(
        "INSERT INTO blobs (hash, size, refcount, summary, headers) VALUES (?, ?, 1, ?, ?) RETURNING id",
        hash,
        size,
        summary,
        index.headers,
      )!.id;
    }
    // The search row is built off the delivery path (search_indexer.ts); searches wait for it.
    this.#h.indexer().enqueue(id);
    return row
      ? { id, hash, size: row.size, refcount: row.refcount, summary, counted: false }
      : { id, hash, size, refcount: 1, summary, counted: true };
  }

  /**
   * Drops `n` references to a blob; the last one deletes the row now and the file after commit,
   * unless a session's expunge hold pins the blob: the row then stays with no reference until the
   * hold lets go (`#unpinned`), or until the next garbage collection after a restart.
   */
  releaseBlobRow(mut: Mutation, blobRow: number, n = 1): void {
    const db = this.#h.database;
    const r = db.get<{ refcount: number; hash: string }>(
      "UPDATE blobs SET refcount = refcount - ? WHERE id = ? RETURNING refcount, hash",
      n,
      blobRow,
    );
    if (!r || r.refcount > 0 || this.holds.isPinned(r.hash)) return;
    db.run("DELETE FROM message_text WHERE rowid = ?", blobRow);
    db.run("DELETE FROM blobs WHERE id = ?", blobRow);
    const hash = r.hash;
    if (!this.#vacuumJobs.has(mut.fx)) {
      this.#vacuumJobs.add(mut.fx);
      // After the batch's other end-of-batch actions (the inline rows below are gone then): when
      // the releases freed enough pages (a mailbox deleted, a big expunge), they go to the disk.
      mut.fx.lastBeforeCommit.push(() => {
        const h = this.#h;
        if (vacuumFreePages(h.database, VACUUM_MIN_FREE_PAGES, h.ftsTable(), VACUUM_MIN_FREE_SHARE) > 0) {
          h.pagesFreed();
        }
      });
    }
    // An inline blob goes at the end of the batch, inside its transaction, unless a later job of
    // the batch referenced the same bytes again.
    // A put of the same bytes not yet referenced (an APPEND between its put and its commit) keeps
    // them; garbage collection takes them if nothing ever does (pending_puts.ts).
    mut.fx.beforeCommit.push(() => {
      if (
        !this.#h.database.get("SELECT 1 FROM blobs WHERE hash = ?", hash) && !this.#h.blobs.isPutPending(hash)
      ) {
        this.#h.blobs.releaseInline(hash);
      }
    });
    // Inline: nothing more (a twin file, possible only if the threshold changed, is collected as
    // an orphan). A file: its existence is checked once here, not per batch.
    if (this.#h.blobs.hasInlineSync(hash) || !this.#h.blobs.files.hasSync(hash)) return;
    // A file: unlinked synchronously right after COMMIT, so no other write can re-reference the
    // hash between the check and the unlink; a put racing with it is caught by #ensureBlob's
    // existence check.
    mut.fx.afterCommit.push(() => {
      if (
        !this.#h.database.get("SELECT 1 FROM blobs WHERE hash = ?", hash) && !this.#h.blobs.isPutPending(hash)
      ) {
        this.#h.blobs.deleteFileSync(hash);
      }
    });
  }

  /**
   * No vacuum at the end of this batch for its releases (a chunk of a mailbox deletion: its last
   * job gives the pages back once, instead of merging the search index after every chunk).
   */
  deferVacuum(mut: Mutation): void {
    this.#vacuumJobs.add(mut.fx);
  }

  /**
   * Messages by id (unknown ids are left out), in the order asked: two statements in all (rows,
   * then placements) whatever the count, not two per message (a JMAP Email/get page of 50 ran 100),
   * and summaries from the decoded-summary cache (a third statement reads the ones it lacks). The
   * placements are not read with `mailboxIds: false`.
   */
  getMessages(
    accountId: AccountId,
    ids: MessageId[],
    opts: { mailboxIds?: boolean } = {},
  ): Promise<Message[]> {
    return this.#h.read(() => {
      const acc = this.#h.accountRow(accountId);
      const rows: number[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        if (row !== null) rows.push(row);
      }
      if (rows.length === 0) return Promise.resolve([]);
      const db = this.#h.database;
      const list = JSON.stringify(rows);
      const found = new Map<number, PageRow>();
      // This call's summaries held here: filling the cache for a long list may evict its hits.
      const summaries = new Map<number, MessageSummary>();
      const missing: number[] = [];
      for (
        const v of db.values(
          // "+": look the rows up by id, not by scanning the account's index. Rows as arrays: a
          // third cheaper than node:sqlite building an object per row.
          `SELECT m.id, m.thread_id, m.blob_id, m.size, m.received_at, m.flags, m.keywords, m.modseq, b.hash
           FROM messages m JOIN blobs b ON b.id = m.blob_id
           WHERE m.id IN (SELECT value FROM json_each(?)) AND +m.account_id = ?`,
          list,
          acc.id,
        )
      ) {
        const r: PageRow = {
          id: v[0] as number,
          thread_id: v[1] as number,
          blob_id: v[2] as number,
          size: v[3] as number,
          received_at: v[4] as number,
          flags: v[5] as number,
          keywords: v[6] as string,
          modseq: v[7] as number,
          hash: v[8] as string,
        };
        found.set(r.id, r);
        const cached = this.#summaries.get(r.blob_id);
        if (cached === undefined) missing.push(r.blob_id);
        else summaries.set(r.blob_id, cached);
      }
      if (missing.length > 0) {
        for (
          const b of db.all<{ id: number; summary: string | null }>(
            "SELECT id, summary FROM blobs WHERE id IN (SELECT value FROM json_each(?))",
            JSON.stringify(missing),
          )
        ) {
          // A blob not indexed yet has no summary: shown empty, and not cached.
          summaries.set(
            b.id,
            b.summary === null ? emptySummary() : this.#summaries.set(b.id, decodeSummary(b.summary)),
          );
        }
      }
      const boxes = new Map<number, string[]>();
      for (
        const [message, mailbox] of opts.mailboxIds === false ? [] : db.values(
          `SELECT message_id, mailbox_id FROM placements WHERE message_id IN (SELECT value FROM json_each(?))
           ORDER BY message_id, mailbox_id`,
          list,
        )
      ) {
        const id = Number(message);
        const mailboxId = formatId("mailbox", Number(mailbox));
        const ids = boxes.get(id);
        if (ids) ids.push(mailboxId);
        else boxes.set(id, [mailboxId]);
      }
      const out: Message[] = [];
      for (const row of rows) {
        const r = found.get(row);
        if (!r) continue;
        const summary = summaries.get(r.blob_id) ?? emptySummary();
        out.push(this.#toMessage(r, accountId, boxes.get(row)?.slice() ?? [], summary));
      }
      return Promise.resolve(out);
    });
  }

  #messageOut(accountRow: number, accountId: AccountId, messageRow: number): Message | null {
    const r = this.#h.database.get<MessageRow & { hash: string; summary: string | null }>(
      `SELECT m.*, b.hash, b.summary FROM messages m JOIN blobs b ON b.id = m.blob_id
       WHERE m.id = ? AND m.account_id = ?`,
      messageRow,
      accountRow,
    );
    if (!r) return null;
    const mailboxIds = this.#h.database.values(
      "SELECT mailbox_id FROM placements WHERE message_id = ? ORDER BY mailbox_id",
      messageRow,
    ).map((v) => formatId("mailbox", Number(v[0])));
    return this.#toMessage(r, accountId, mailboxIds, decodeSummary(r.summary));
  }

  #toMessage(r: PageRow, accountId: AccountId, mailboxIds: string[], summary: MessageSummary): Message {
    return {
      id: formatId("message", r.id),
      accountId,
      threadId: formatId("thread", r.thread_id),
      blobId: r.hash,
      size: r.size,
      receivedAt: new Date(r.received_at),
      keywords: unpackKeywords(r.flags, r.keywords),
      mailboxIds,
      summary,
      modseq: r.modseq,
    };
  }

  /** Placements of a mailbox by UID (one range scan of the clustered placements table). */
  listPlacements(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts: { minUid?: number; maxUid?: number; changedSince?: number } = {},
  ): Promise<Placement[]> {
    return this.#h.read(() => {
      const mb = this.#h.mailboxRow(accountId, mailboxId);
      const min = opts.minUid ?? 1;
      const max = opts.maxUid ?? Number.MAX_SAFE_INTEGER;
      const wholeRange = min <= 1 && max >= mb.uid_next - 1;
      if (!wholeRange && !this.#h.placements.has(mb.id)) {
        return this.loadPlacements(mb.id, opts.changedSince, min, max);
      }
      // Large mailboxes are listed again and again (SELECT, FETCH 1:*, IDLE): served from the cache,
      // refreshed with what changed since it was filled.
      const list = this.#h.placements.get(mb.id, mb.highest_modseq, this.#h.placementSource, mb.c_total);
      const from = min <= 1 ? 0 : lowerBound(list, min);
      const to = max >= Number.MAX_SAFE_INTEGER ? list.length : lowerBound(list, max + 1);
      const since = opts.changedSince;
      const out = from === 0 && to === list.length ? list.slice() : list.slice(from, to);
      return since === undefined ? out : out.filter((p) => p.modseq > since);
    });
  }

  /** RFC 8514 save dates by UID (ms; null when unknown), UIDs ascending, optionally within [minUid, maxUid]. */
  savedDates(
    accountId: AccountId,
    mailboxId: MailboxId,
    minUid = 1,
    maxUid = Number.MAX_SAFE_INTEGER,
  ): Promise<{ uids: number[]; dates: (number | null)[] }> {
    return this.#h.read(() => {
      const mb = this.#h.mailboxRow(accountId, mailboxId);
      const rows = this.#h.database.values(
        "SELECT uid, saved_at FROM placements WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid",
        mb.id,
        minUid,
        maxUid,
      );
      const uids = new Array<number>(rows.length);
      const dates = new Array<number | null>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        uids[i] = Number(rows[i]![0]);
        dates[i] = rows[i]![1] === null ? null : Number(rows[i]![1]);
      }
      return Promise.resolve({ uids, dates });
    });
  }

  /** RFC 5256 §2.2 sent dates by UID (one range scan of the placements with their messages). */
  sentDates(accountId: AccountId, mailboxId: MailboxId): Promise<{ uids: number[]; dates: number[] }> {
    return this.#h.read(() => {
      const mb = this.#h.mailboxRow(accountId, mailboxId);
      const rows = this.#h.database.values(
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

  /** The placements of a mailbox by UID in [min, max], all or those changed after `changedSince`. */
  loadPlacements(
    mailboxRow: number,
    changedSince?: number,
    min = 1,
    max = Number.MAX_SAFE_INTEGER,
  ): Placement[] {
    const rows = changedSince === undefined
      ? this.#h.database.values(
        `SELECT uid, message_id, modseq, flags, keywords, size, received_at FROM placements
         WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`,
        mailboxRow,
        min,
        max,
      )
      : this.#h.database.values(
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
  loadChangedPlacements(mailboxRow: number, sinceModseq: number): Placement[] {
    const rows = this.#h.database.values(
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
    opts: { unchangedSince?: number; origin?: symbol } = {},
  ): Promise<{ updated: UpdatedKeywords[]; failed: MessageId[]; modseq: number }> {
    return this.#h.write((mut) => {
      mut.fx.origin = opts.origin ?? null;
      // Validated first, so a bad keyword fails the whole call before any change.
      applyKeywordChange({ flags: 0, custom: "" }, change);
      const db = this.#h.database;
      const acc = this.#jobAccount(mut, accountId);
      const failed: MessageId[] = [];
      // Each message's keywords and MODSEQ as this job leaves them: nothing is read back.
      const updated: UpdatedKeywords[] = [];
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
        const next = applyKeywordChange({ flags: msg.flags, custom: msg.keywords }, change);
        if (next.flags === msg.flags && next.custom === msg.keywords) {
          updated.push({ id, keywords: unpackKeywords(msg.flags, msg.keywords), modseq: msg.modseq });
          continue;
        }
        const modseq = mut.next(acc.id);
        db.run(
          "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?",
          next.flags,
          next.custom,
          modseq,
          row,
        );
        mut.record(acc.id, modseq, "Email", id, "u");
        const unreadChanged = (next.flags & SEEN) !== (msg.flags & SEEN);
        for (
          const p of db.values(
            "UPDATE placements SET flags = ?, keywords = ?, modseq = ? WHERE message_id = ? RETURNING mailbox_id",
            next.flags,
            next.custom,
            modseq,
            row,
          )
        ) {
          mut.mailbox(acc.id, Number(p[0]), modseq, unreadChanged);
        }
        mut.thread(acc.id, msg.thread_id);
        updated.push({ id, keywords: unpackKeywords(next.flags, next.custom), modseq });
      }
      mut.finish();
      return { updated, failed, modseq: this.#modseqAfter(mut, acc.id) };
    });
  }

  /** Replaces the mailboxes of a message; new placements get new UIDs. */
  setMailboxes(accountId: AccountId, id: MessageId, mailboxIds: MailboxId[]): Promise<Message> {
    return this.#h.write((mut) => {
      const db = this.#h.database;
      const acc = this.#h.accountRow(accountId);
      if (mailboxIds.length === 0) throw new StoreError("invalid", "A message needs at least one mailbox");
      const msg = this.#messageRow(acc.id, id);
      const targets = new Set([...new Set(mailboxIds)].map((m) => this.#h.mailboxRow(accountId, m).id));
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
    const p = this.#h.database.get<{ uid: number }>(
      "DELETE FROM placements WHERE mailbox_id = ? AND message_id = ? RETURNING uid",
      mailboxRow,
      messageRow,
    );
    if (!p) return null;
    // RFC 7162 §3.2.7: remembered for VANISHED (EARLIER) replies.
    this.#h.database.run(
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
  removePlacement(
    mut: Mutation,
    msg: MessageRow,
    mailboxRow: number,
    recordExpunge = true,
    known?: number[],
  ): number | null {
    const db = this.#h.database;
    // The message's mailboxes, read once (or `known` by the caller, read in the same job): when
    // this is its last one, #destroyMessage removes them.
    const boxes = known ?? db.values("SELECT mailbox_id FROM placements WHERE message_id = ?", msg.id)
      .map((r) => Number(r[0]));
    if (boxes.every((mb) => mb === mailboxRow)) {
      return this.#destroyMessage(mut, msg, boxes).get(mailboxRow) ?? null;
    }
    const modseq = mut.next(msg.account_id);
    const uid = recordExpunge ? this.#deletePlacement(mailboxRow, msg.id, modseq) : db.get<{ uid: number }>(
      "DELETE FROM placements WHERE mailbox_id = ? AND message_id = ? RETURNING uid",
      mailboxRow,
      msg.id,
    )?.uid ?? null;
    db.run("UPDATE messages SET modseq = ? WHERE id = ?", modseq, msg.id);
    mut.record(msg.account_id, modseq, "Email", formatId("message", msg.id), "u");
    mut.mailbox(msg.account_id, mailboxRow, modseq, true);
    // The message lives on elsewhere, but sessions still showing it here show its last flags.
    if (uid !== null) this.#capture(msg, mailboxRow, uid, mut.fx.origin);
    return uid;
  }

  /**
   * Records a message destroyed from a mailbox (or moved or removed from it) in the sessions'
   * holds on it (expunge_holds.ts), but not in the hold of the session whose write (`origin`)
   * removed it.
   */
  #capture(msg: MessageRow, mailboxRow: number, uid: number, origin: symbol | null): void {
    const mailboxId = formatId("mailbox", mailboxRow);
    if (!this.holds.watching(mailboxId, origin)) return;
    const blob = this.#h.database.get<{ hash: string }>("SELECT hash FROM blobs WHERE id = ?", msg.blob_id);
    if (!blob) return;
    this.holds.capture(mailboxId, uid, {
      messageId: formatId("message", msg.id),
      blobId: blob.hash,
      threadId: formatId("thread", msg.thread_id),
      keywords: unpackKeywords(msg.flags, msg.keywords),
    }, origin);
  }

  /** The last hold let go of a blob: it is released now if no message references it again. */
  #unpinned(hash: BlobId): void {
    if (this.#h.closed()) return;
    this.#h.write((mut) => {
      const row = this.#h.database.get<{ id: number }>(
        "SELECT id FROM blobs WHERE hash = ? AND refcount <= 0",
        hash,
      );
      if (row) this.releaseBlobRow(mut, row.id, 0);
    }).catch(() => {});
  }

  /** See `Store.holdExpunged`. */
  holdExpunged(_accountId: AccountId, mailboxId: MailboxId, owner?: symbol): ExpungeHold {
    return this.holds.open(mailboxId, owner);
  }

  /** Destroys a message: placements (expunged), row, quota, blob reference. Returns mailbox -> uid. */
  #destroyMessage(mut: Mutation, msg: MessageRow, mailboxRows?: number[]): Map<number, number> {
    const db = this.#h.database;
    const modseq = mut.next(msg.account_id);
    const removed = new Map<number, number>();
    const boxes = mailboxRows ??
      db.values("SELECT mailbox_id FROM placements WHERE message_id = ?", msg.id).map((r) => Number(r[0]));
    for (const mb of boxes) {
      const uid = this.#deletePlacement(mb, msg.id, modseq);
      if (uid !== null) removed.set(mb, uid);
      if (uid !== null) this.#capture(msg, mb, uid, mut.fx.origin);
      mut.mailbox(msg.account_id, mb, modseq, true);
    }
    db.run("DELETE FROM messages WHERE id = ?", msg.id);
    mut.record(msg.account_id, modseq, "Email", formatId("message", msg.id), "d");
    db.run("UPDATE accounts SET used_bytes = max(0, used_bytes - ?) WHERE id = ?", msg.size, msg.account_id);
    this.releaseBlobRow(mut, msg.blob_id);
    if (!db.get("SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1", msg.thread_id)) {
      db.run("DELETE FROM threads WHERE id = ?", msg.thread_id);
      mut.threadGone(msg.account_id, msg.thread_id);
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
      const db = this.#h.database;
      const total = sources.reduce((s, p) => s + p.msg.size, 0);
      if (acc.quota_bytes > 0 && acc.used_bytes + total > acc.quota_bytes) {
        throw new StoreError("overQuota", `Quota exceeded for "${acc.address}"`);
      }
      const pairs: CopyResult["pairs"] = [];
      for (const { uid, msg } of sources) {
        const { row, id, modseq } = this.#insertMessage(mut, false, { ...msg, account_id: acc.id });
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
      const db = this.#h.database;
      const pairs: CopyResult["pairs"] = [];
      for (const { uid, msg } of sources) {
        const modseq = mut.next(acc.id);
        const fromUid = this.#deletePlacement(from.id, msg.id, modseq);
        // Sessions still showing it in the source show its last flags (RFC 2180 §4.1.1).
        if (fromUid !== null) this.#capture(msg, from.id, fromUid, mut.fx.origin);
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
    return this.#h.write((mut) => {
      const acc = this.#jobAccount(mut, accountId);
      const from = this.#h.mailboxRow(accountId, fromMailboxId);
      const to = this.#h.mailboxRow(accountId, toMailboxId);
      const pairs = body(mut, acc, from, to, this.#placementsByUid(from.id, uids));
      mut.finish();
      return { uidValidity: to.uid_validity, pairs, modseq: this.#modseqAfter(mut, acc.id) };
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

  /**
   * The messages at these UIDs of a mailbox, by UID ascending; with `counted`, `only` tells
   * whether this mailbox is the message's only one (read in the same statement).
   */
  #placementsByUid(
    mailboxRow: number,
    uids: number[],
    counted = false,
  ): { uid: number; msg: MessageRow; only: boolean }[] {
    const out: { uid: number; msg: MessageRow; only: boolean }[] = [];
    const sql = counted
      ? "SELECT m.*, (SELECT count(*) FROM placements q WHERE q.message_id = m.id) AS placement_count " +
        "FROM placements p JOIN messages m ON m.id = p.message_id WHERE p.mailbox_id = ? AND p.uid = ?"
      : "SELECT m.* FROM placements p JOIN messages m ON m.id = p.message_id WHERE p.mailbox_id = ? AND p.uid = ?";
    for (
      const uid of [...new Set(uids)].filter((u) => Number.isSafeInteger(u) && u > 0).sort((a, b) => a - b)
    ) {
      const row = this.#h.database.get<MessageRow & { placement_count?: number }>(sql, mailboxRow, uid);
      if (!row) continue;
      const only = row.placement_count === 1;
      delete row.placement_count;
      out.push({ uid, msg: row, only });
    }
    return out;
  }

  /** Removes placements by UID; messages left without a mailbox are destroyed. */
  expunge(
    accountId: AccountId,
    mailboxId: MailboxId,
    uids: number[],
    opts: { origin?: symbol } = {},
  ): Promise<{ uids: number[]; modseq: number }> {
    return this.#h.write((mut) => {
      mut.fx.origin = opts.origin ?? null;
      const acc = this.#jobAccount(mut, accountId);
      const mb = this.#h.mailboxRow(accountId, mailboxId);
      const removed: number[] = [];
      for (const { uid, msg, only } of this.#placementsByUid(mb.id, uids, true)) {
        // A message in this mailbox alone (the usual case) is destroyed without another read.
        if (this.removePlacement(mut, msg, mb.id, true, only ? [mb.id] : undefined) !== null) {
          removed.push(uid);
        }
      }
      mut.finish();
      return { uids: removed, modseq: this.#modseqAfter(mut, acc.id) };
    });
  }

  /** JMAP destroy. */
  destroyMessages(
    accountId: AccountId,
    ids: MessageId[],
  ): Promise<{ destroyed: MessageId[]; notFound: MessageId[] }> {
    return this.#h.write((mut) => {
      const acc = this.#h.accountRow(accountId);
      const destroyed: MessageId[] = [];
      const notFound: MessageId[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        const msg = row === null ? undefined : this.#h.database.get<MessageRow>(
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
    return this.#h.read(() => {
      const mb = this.#h.mailboxRow(accountId, mailboxId);
      return Promise.resolve(
        this.#h.database.values(
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
    if (usesTextSearch(query.filter) && this.#h.indexer().pending) {
      return this.#h.indexer().flush().then(() => this.#queryMessages(accountId, query));
    }
    return this.#queryMessages(accountId, query);
  }

  #queryMessages(
    accountId: AccountId,
    query: MessageQuery,
  ): Promise<MessageId[]> {
    return this.#h.read(() => {
      const acc = this.#h.accountRow(accountId);
      const position = windowNumber(query.position, "position") ?? 0;
      const limit = windowNumber(query.limit, "limit");
      if (limit === 0) return Promise.resolve([]);
      const resolve = (id: string) => this.#h.mailboxRowOrNull(accountId, id)?.id ?? null;
      let accountTotal: number | null = null;
      const small = (row: number) => {
        const total =
          this.#h.database.get<{ c_total: number }>("SELECT c_total FROM mailboxes WHERE id = ?", row)
            ?.c_total ?? 0;
        if (total <= SMALL_MAILBOX) return true;
        accountTotal ??= Number(
          this.#h.database.values("SELECT sum(c_total) FROM mailboxes WHERE account_id = ?", acc.id)[0]
            ?.[0] ??
            0,
        );
        return total * SMALL_MAILBOX_SHARE <= accountTotal;
      };
      const where = filterSql(query.filter, resolve, this.#h.hasFts5, 0, small);
      const order = sortSql(query.sort);
      const sql =
        `SELECT m.id, m.thread_id FROM messages m WHERE m.account_id = ? AND (${where.sql}) ORDER BY ${order.sql}`;
      const params = [acc.id, ...where.params, ...order.params];
      const out: MessageId[] = [];
      if (!query.collapseThreads) {
        const rows = limit === undefined && position === 0
          ? this.#h.database.values(sql, ...params)
          : this.#h.database.values(`${sql} LIMIT ? OFFSET ?`, ...params, limit ?? -1, position);
        for (const r of rows) out.push(formatId("message", Number(r[0])));
        return Promise.resolve(out);
      }
      const seen = new Set<number>();
      const end = limit === undefined ? Infinity : position + limit;
      let index = 0;
      const rows = this.#h.database.statement(sql).iterate(...params) as Iterator<
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

  /**
   * The account of a write job, with its MODSEQ counter told to the job's bookkeeping: its first
   * `next` reads nothing, and `#modseqAfter` knows the counter after `finish` (one statement
   * instead of three per STORE, EXPUNGE, COPY or MOVE, issue 14).
   */
  #jobAccount(mut: Mutation, accountId: AccountId): AccountRow {
    const row = parseId("account", accountId);
    const acc = row === null ? undefined : this.#h.database.get<AccountRow & { modseq: number }>(
      `SELECT ${ACCOUNT_COLUMNS}, modseq FROM accounts WHERE id = ?`,
      row,
    );
    if (!acc) throw new StoreError("notFound", `No such account: "${accountId}"`);
    mut.known(acc.id, acc.modseq);
    return acc;
  }

  /** The account's MODSEQ after the job's `finish`, as it left it. */
  #modseqAfter(mut: Mutation, accountRow: number): number {
    return mut.modseq(accountRow) ?? this.#accountModseq(accountRow);
  }

  #accountModseq(accountRow: number): number {
    return this.#h.database.get<{ modseq: number }>("SELECT modseq FROM accounts WHERE id = ?", accountRow)
      ?.modseq ?? 0;
  }

  #messageRow(accountRow: number, id: MessageId): MessageRow {
    const row = parseId("message", id);
    const msg = row === null ? undefined : this.#h.database.get<MessageRow>(
      "SELECT * FROM messages WHERE id = ? AND account_id = ?",
      row,
      accountRow,
    );
    if (!msg) throw new StoreError("notFound", `No such message: "${id}"`);
    return msg;
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
