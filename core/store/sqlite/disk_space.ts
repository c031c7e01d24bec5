/**
 * Giving disk space back: the database file keeps the pages freed by deletes on its free list
 * (reused by later writes, never returned to the filesystem) and the WAL file keeps its largest
 * size. With `auto_vacuum = INCREMENTAL` (set on every new database by `Database.open`),
 * `PRAGMA incremental_vacuum` moves the free pages to the end of the file and cuts them off; a
 * `wal_checkpoint(TRUNCATE)` then writes the WAL back and empties it, which also shrinks the
 * database file. Neither touches durability: both work on committed data only.
 *
 * A database created before this keeps `auto_vacuum = NONE` (its free pages are reused, not
 * returned): switching needs a VACUUM, which rewrites the whole file and which Deno's `node:sqlite`
 * refuses without full permissions (it attaches a temporary database). Run `VACUUM` on it with the
 * `sqlite3` shell while the server is stopped, after `PRAGMA auto_vacuum = INCREMENTAL`.
 *
 * @module
 */
import type { Database } from "./database.ts";

/** Free pages (4 KiB each) above which a write that released messages vacuums them at once. */
export const VACUUM_MIN_FREE_PAGES = 64;

/**
 * Share of the database's pages that must be free, besides `VACUUM_MIN_FREE_PAGES`, before a write
 * that released messages vacuums them at once. A mailbox in steady use (an EXPUNGE and an APPEND
 * every few commands) frees a page or two per expunge that the next deliveries reuse; vacuuming
 * them every 64 pages rewrote the full-text index each time (33 ms on the event loop for 2,000
 * messages, 66 times in 12 s of the IMAP mixed load) only for the file to grow again. A big
 * release (half a mailbox expunged) still goes to the disk at once, a deleted mailbox always does
 * (`vacuumAtEnd`), and the hourly garbage collection takes whatever is left.
 */
export const VACUUM_MIN_FREE_SHARE = 1 / 8;

/** Whether the database gives freed pages back on `incremental_vacuum`. */
export function hasIncrementalVacuum(db: Database): boolean {
  return db.get<{ auto_vacuum: number }>("PRAGMA auto_vacuum")?.auto_vacuum === 2;
}

/**
 * Gives the free pages back (inside the caller's write transaction) when there are at least
 * `minFree` and they are at least `minShare` of the database's pages; returns how many pages were
 * free (0 when it did nothing or vacuum is off).
 *
 * With `fts5Table`, that FTS5 table's segments are merged first, with work bounded by a multiple of
 * the free pages: FTS5 keeps the pages of deleted entries in their segments until a merge rewrites
 * them, so without it a deleted mailbox's index would stay on disk.
 */
export function vacuumFreePages(
  db: Database,
  minFree = VACUUM_MIN_FREE_PAGES,
  fts5Table: string | null = null,
  minShare = 0,
): number {
  const free = db.get<{ freelist_count: number }>("PRAGMA freelist_count")?.freelist_count ?? 0;
  if (free < minFree || !hasIncrementalVacuum(db)) return 0;
  if (
    minShare > 0 && free < minShare * (db.get<{ page_count: number }>("PRAGMA page_count")?.page_count ?? 0)
  ) {
    return 0;
  }
  if (fts5Table !== null) {
    // One row of `<table>_data` per index page. An index not much bigger than what was freed is
    // rewritten whole ('optimize': the only way for a lone segment to drop its dead pages); a
    // bigger one gets merge work in proportion to the freed pages (a negative budget merges
    // whatever segments there are).
    const indexPages = db.get<{ n: number }>(`SELECT count(*) AS n FROM ${fts5Table}_data`)?.n ?? 0;
    if (indexPages <= 4 * free) db.run(`INSERT INTO ${fts5Table} (${fts5Table}) VALUES ('optimize')`);
    else db.run(`INSERT INTO ${fts5Table} (${fts5Table}, rank) VALUES ('merge', ?)`, -Math.max(64, free));
  }
  // Stepped to the end: each step of this pragma frees one page (exec would stop after one).
  db.all("PRAGMA incremental_vacuum");
  return free;
}

/**
 * Writes the WAL back into the database and truncates it to zero bytes; outside any transaction.
 * Never waits: when another connection reads or writes, it gives up (returns false) and the next
 * quiet moment does it.
 */
export function checkpointTruncate(db: Database): boolean {
  const timeout = db.get<{ timeout: number }>("PRAGMA busy_timeout")?.timeout ?? 0;
  db.exec("PRAGMA busy_timeout = 0");
  try {
    const r = db.get<{ busy: number }>("PRAGMA wal_checkpoint(TRUNCATE)");
    return r?.busy === 0;
  } catch {
    return false;
  } finally {
    db.exec(`PRAGMA busy_timeout = ${timeout}`);
  }
}
