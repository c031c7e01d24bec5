/**
 * Queue operations shared by the CLI (`tern queue …`) and the admin API: list, show, retry,
 * delete, flush. They work on the store's queue records, so they run while a server is up (the
 * running scheduler picks changes up at its next poll) or without one.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { QueueEntry, QueueListRow, QueueStore } from "../store/records/queue.ts";

/** Operations over one store's queue. */
export class QueueOperations {
  readonly #qs: QueueStore;
  readonly #store: Store;

  /** @param store the store: its queue records, and blob references released on delete */
  constructor(store: Store) {
    this.#qs = store.queue;
    this.#store = store;
  }

  /** Every queued message, oldest first. */
  list(): Promise<QueueListRow[]> {
    return this.#qs.list();
  }

  /** One message with its recipients and attempts, or null. */
  show(id: string): Promise<QueueEntry | null> {
    return this.#qs.entry(id);
  }

  /** Makes a message's pending recipients due now; false when the message does not exist. */
  async retry(id: string, now: Date): Promise<boolean> {
    if (!(await this.#qs.getMessage(id))) return false;
    await this.#qs.retryNow(id, now);
    return true;
  }

  /** Makes every pending recipient due now; returns how many. */
  flush(now: Date): Promise<number> {
    return this.#qs.retryNow(null, now);
  }

  /** Removes a message without notifying anyone; false when it does not exist. */
  async delete(id: string): Promise<boolean> {
    const blobId = await this.#qs.delete(id);
    if (blobId === null) return false;
    await this.#store.releaseBlob(blobId).catch(() => {});
    return true;
  }
}
