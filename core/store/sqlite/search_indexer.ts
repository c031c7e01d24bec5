/**
 * Full-text indexing off the delivery path. A delivery records its new blob in `search_pending`
 * (in the delivery's own transaction, so the list survives a crash); this indexer extracts the
 * text and fills the `message_text` table (and, over FTS5, `message_text_store`) in batches shortly after, in one commit per batch
 * (FTS5 pays a flush per commit, and the text extraction is the costliest part of indexing a
 * message). Batches wait for a pause in the store's writes, so a burst of deliveries is
 * acknowledged at full speed and indexed right after it, unless the backlog grows past
 * {@link MAX_BACKLOG}, when indexing goes on under load too. Every query with a text condition
 * first indexes whatever is still pending (`flush`), so a search never misses a delivered
 * message — the same contract as Dovecot's index-on-search.
 *
 * @module
 */
import type { MessageFilter } from "../types.ts";
import type { Database, Migration } from "./database.ts";
import { decodeSummary, type SearchRow, searchRow } from "./message_index.ts";

/** Component name of the pending-index table in `schema_migrations`. */
export const SEARCH_PENDING_COMPONENT = "search_pending";

/**
 * The FTS5 search table: trigram tokens without positions (`detail=none`: the index is about the
 * size of the text, a third of a positional one), contentless with deletes (`content=''`,
 * `contentless_delete=1`, SQLite 3.43+). Without positions a phrase cannot be matched in the
 * index: a search takes the rows holding every trigram of the needle and checks the substring on
 * the text kept in `message_text_store` (query.ts). Contentless, a delete records a tombstone
 * instead of reading the row's text back and tokenizing it again (a 1,000-message mailbox: 2.7 s
 * of FTS5 deletes before, 0.07 s now). Deleted entries leave the index when its segments are
 * merged (disk_space.ts merges them after big deletes).
 */
export const FTS5_SEARCH_TABLE = `CREATE VIRTUAL TABLE message_text USING fts5(
  subject, addr_from, addr_to, addr_cc, addr_bcc, body, tokenize = 'trigram', detail = none,
  content = '', contentless_delete = 1
);`;

/**
 * The text of the FTS5 table's rows (which keeps none), for the substring check of a search; a
 * blob's row goes with the blob.
 */
export const SEARCH_TEXT_TABLE = `CREATE TABLE IF NOT EXISTS message_text_store (
  blob_id INTEGER PRIMARY KEY REFERENCES blobs (id) ON DELETE CASCADE,
  subject TEXT, addr_from TEXT, addr_to TEXT, addr_cc TEXT, addr_bcc TEXT, body TEXT
);`;

/**
 * Migrations of the pending-index table (and of the search table's shape).
 *
 * @param hasFts5 whether `message_text` is an FTS5 table
 */
export function searchPendingMigrations(hasFts5: boolean): Migration[] {
  return [...SEARCH_PENDING_MIGRATIONS, {
    version: 3,
    // The FTS5 table loses its token positions (see FTS5_SEARCH_TABLE): rebuilt empty, and every
    // message indexed again, in the background and before any text search. The plain table stays.
    sql: hasFts5
      ? `DROP TABLE message_text;
         ${FTS5_SEARCH_TABLE}
         INSERT OR IGNORE INTO search_pending (blob_id) SELECT DISTINCT blob_id FROM messages;`
      : "SELECT 1;",
  }, {
    version: 4,
    // The FTS5 table becomes contentless (see FTS5_SEARCH_TABLE), its text moving to
    // message_text_store: rebuilt empty and indexed again, as for version 3.
    sql: hasFts5
      ? `DROP TABLE message_text;
         ${FTS5_SEARCH_TABLE}
         ${SEARCH_TEXT_TABLE}
         DELETE FROM message_text_store;
         INSERT OR IGNORE INTO search_pending (blob_id) SELECT DISTINCT blob_id FROM messages;`
      : "SELECT 1;",
  }];
}

/** Migrations 1 and 2 of the pending-index table. */
export const SEARCH_PENDING_MIGRATIONS: Migration[] = [{
  version: 1,
  // A released blob takes its pending entry with it.
  sql: `CREATE TABLE search_pending (
          blob_id INTEGER PRIMARY KEY REFERENCES blobs (id) ON DELETE CASCADE
        );`,
}, {
  version: 2,
  // The body column became the body alone (no subject and addresses; every text part, attached
  // headers): every message is indexed again, in the background and before any text search.
  sql: `DELETE FROM message_text;
        INSERT OR IGNORE INTO search_pending (blob_id) SELECT DISTINCT blob_id FROM messages;`,
}];

/** Blobs indexed per batch: bounds the event-loop time of one batch (~0.1 ms each). */
const BATCH = 256;
/** Delay before indexing what deliveries left pending, so that bursts batch up. */
const DELAY_MS = 50;
/** Pending blobs above which batches run even while deliveries keep the store busy. */
export const MAX_BACKLOG = 5_000;

/** What the indexer needs from the store. */
export interface SearchIndexerHost {
  /** The store's database. */
  readonly database: Database;
  /** Bytes of a blob, synchronously, or null if gone. */
  blobBytes(hash: string): Uint8Array | null;
  /** Runs a write in the store's group commit. */
  write<T>(fn: () => T): Promise<T>;
  /** A counter of the store's write jobs (the indexer's own included): it moves while writes go on. */
  writeActivity(): number;
  /** Reports a failed background batch. */
  onError(err: unknown): void;
  /** False: index only on demand (`flush`), never in the background (tests). */
  readonly background: boolean;
}

/** Indexes pending blobs into `message_text` in the background and on demand. */
export class SearchIndexer {
  readonly #host: SearchIndexerHost;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<number> | null = null;
  #closed = false;
  /** Whether the text goes to `message_text_store` too (found once, after the migrations). */
  #textStore: boolean | null = null;
  /** Write activity seen when the timer was armed, and write jobs of the indexer since. */
  #armedAt = 0;
  #ownJobs = 0;
  /** Waiters of `idle()`. */
  #idle: PromiseWithResolvers<void>[] = [];

  /**
   * An indexer over a store.
   *
   * @param host the store's database, blob reader and write path
   */
  constructor(host: SearchIndexerHost) {
    this.#host = host;
  }

  /** Records a blob row as waiting for indexing; call inside the transaction that created it. */
  enqueue(blobRow: number): void {
    this.#host.database.run("INSERT OR IGNORE INTO search_pending (blob_id) VALUES (?)", blobRow);
    this.schedule();
  }

  /** Arms the background batch (no-op when armed, running or closed). */
  schedule(delayMs = DELAY_MS): void {
    if (this.#closed || this.#timer !== null || !this.#host.background) return;
    this.#armedAt = this.#host.writeActivity() - this.#ownJobs;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      // Deliveries still under way (other writes since arming) and a modest backlog: wait more.
      if (this.#host.writeActivity() - this.#ownJobs !== this.#armedAt && this.#backlog() < MAX_BACKLOG) {
        this.schedule();
        return;
      }
      this.#batch().then(
        (n) => {
          if (n >= BATCH) this.schedule(0);
          else this.#settleIdle();
        },
        (err) => this.#host.onError(err),
      );
    }, delayMs);
  }

  /** Whether anything waits for indexing. */
  get pending(): boolean {
    return this.#host.database.get("SELECT 1 FROM search_pending LIMIT 1") !== undefined;
  }

  /** Pending blobs, counted up to MAX_BACKLOG. */
  #backlog(): number {
    return this.#host.database.get<{ n: number }>(
      "SELECT count(*) AS n FROM (SELECT 1 FROM search_pending LIMIT ?)",
      MAX_BACKLOG,
    )?.n ?? 0;
  }

  /**
   * Resolves once the background batches have indexed everything pending (with background
   * indexing on; `flush` does the same work on demand).
   */
  idle(): Promise<void> {
    const waiter = Promise.withResolvers<void>();
    this.#idle.push(waiter);
    this.#settleIdle();
    if (this.#idle.length > 0) this.schedule();
    return waiter.promise;
  }

  #settleIdle(): void {
    if (this.#idle.length === 0 || this.#running !== null || this.pending) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w.resolve();
  }

  /** Indexes everything pending now (before a text search). */
  async flush(): Promise<void> {
    // A batch already running is joined; each batch takes at least one pending row.
    while (this.pending) await this.#batch();
  }

  /** Stops background batches and waits for the running one. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => 0);
    for (const w of this.#idle.splice(0)) w.resolve();
  }

  /** One batch: serialised, so concurrent callers share it. Returns how many rows it took. */
  #batch(): Promise<number> {
    if (this.#running) return this.#running;
    const run = this.#indexBatch().finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #indexBatch(): Promise<number> {
    const db = this.#host.database;
    const rows = db.all<{ id: number; hash: string; summary: string | null }>(
      `SELECT b.id, b.hash, b.summary FROM search_pending p JOIN blobs b ON b.id = p.blob_id
       ORDER BY p.blob_id LIMIT ?`,
      BATCH,
    );
    if (rows.length === 0) return 0;
    // Text extraction outside the transaction: it is CPU work on bytes, not database work.
    const prepared: { id: number; row: SearchRow | null }[] = rows.map((r) => {
      const raw = this.#host.blobBytes(r.hash);
      return { id: r.id, row: raw ? searchRow(raw, decodeSummary(r.summary)) : null };
    });
    this.#ownJobs++;
    // An FTS5 store keeps the text beside its contentless index (FTS5_SEARCH_TABLE).
    this.#textStore ??=
      db.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_text_store'") !==
        undefined;
    const textStore = this.#textStore;
    await this.#host.write(() => {
      for (const p of prepared) {
        // Gone meanwhile (released, or indexed by someone else): nothing to do.
        if (db.run("DELETE FROM search_pending WHERE blob_id = ?", p.id).changes === 0) continue;
        if (p.row === null) continue;
        const { subject, from, to, cc, bcc, body } = p.row;
        const columns = [p.id, subject, from, to, cc, bcc, body];
        db.run(
          `INSERT INTO message_text (rowid, subject, addr_from, addr_to, addr_cc, addr_bcc, body)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          ...columns,
        );
        if (!textStore) continue;
        // OR REPLACE: a row left by an index rebuilt without its text table (migration 3 again).
        db.run(
          `INSERT OR REPLACE INTO message_text_store (blob_id, subject, addr_from, addr_to, addr_cc, addr_bcc, body)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          ...columns,
        );
      }
    });
    return rows.length;
  }
}

/** Whether a filter has a condition answered by the full-text table (RFC 8621 §4.4.1 text fields). */
export function usesTextSearch(filter: MessageFilter | undefined): boolean {
  if (!filter) return false;
  if ("operator" in filter) return filter.conditions.some(usesTextSearch);
  return filter.text !== undefined || filter.from !== undefined || filter.to !== undefined ||
    filter.cc !== undefined || filter.bcc !== undefined || filter.subject !== undefined ||
    filter.body !== undefined;
}
