/**
 * Queue operations shared by the CLI (`tern queue …`) and the admin API: list, show, retry,
 * delete, flush. They work on the database directly, so they run while a server is up (the
 * running scheduler picks changes up at its next poll) or without one.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Database } from "../store/sqlite/database.ts";
import { type QueueListRow, QueueStore } from "./queue_store.ts";
import type { QueueEntry } from "./types.ts";

/** Operations over one database. */
export class QueueOperations {
  readonly #qs: QueueStore;
  readonly #store: Store | null;

  /**
   * @param db Tern's database
   * @param store the store, to release blob references on delete (optional)
   */
  constructor(db: Database, store: Store | null = null) {
    this.#qs = new QueueStore(db);
    this.#store = store;
  }

  /** Every queued message, oldest first. */
  list(): QueueListRow[] {
    return this.#qs.list();
  }

  /** One message with its recipients and attempts, or null. */
  show(id: string): QueueEntry | null {
    return this.#qs.entry(id);
  }

  /** Makes a message's pending recipients due now; false when the message does not exist. */
  retry(id: string, now: Date): boolean {
    if (!this.#qs.getMessage(id)) return false;
    this.#qs.retryNow(id, now);
    return true;
  }

  /** Makes every pending recipient due now; returns how many. */
  flush(now: Date): number {
    return this.#qs.retryNow(null, now);
  }

  /** Removes a message without notifying anyone; false when it does not exist. */
  async delete(id: string): Promise<boolean> {
    const blobId = this.#qs.delete(id);
    if (blobId === null) return false;
    const s = this.#store as { releaseBlob?: (b: string) => Promise<void> } | null;
    await s?.releaseBlob?.(blobId).catch(() => {});
    return true;
  }
}
