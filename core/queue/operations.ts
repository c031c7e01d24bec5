/**
 * Queue operations shared by the CLI (`tern queue …`) and the admin API (`/api/v1/queue…`): list,
 * show, retry, delete, flush (process now) and statistics. They work on the store's queue records,
 * so they run while a server is up or without one; given the running queue (the admin API inside
 * the server) a retry or flush also wakes its scheduler at once instead of at its next poll.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { QueueEntry, QueueListRow, QueueStore } from "../store/records/queue.ts";

/** The running queue's admin hooks (core/queue/queue.ts `Queue`). */
export interface LiveQueue {
  /** Makes one message (or all, for null) due now and wakes the scheduler; returns how many recipients. */
  retry(id: string | null): Promise<number>;
}

/** Queue statistics at one moment. */
export interface QueueStats {
  /** Messages in the queue. */
  messages: number;
  /** Recipients by state (delivered and failed ones stay until their message has none pending). */
  recipients: { queued: number; deferred: number; delivered: number; failed: number };
  /** Bytes of the queued messages. */
  bytes: number;
  /** When the oldest message was queued (null when empty). */
  oldest: Date | null;
  /** The earliest next attempt of a pending recipient (null when none is pending). */
  nextAttemptAt: Date | null;
  /** Delivery attempts recorded for the queued messages. */
  attempts: number;
}

/** Operations over one store's queue. */
export class QueueOperations {
  readonly #qs: QueueStore;
  readonly #store: Store;
  readonly #live: LiveQueue | null;

  /**
   * @param store the store: its queue records, and blob references released on delete
   * @param live the running queue, when there is one in this process
   */
  constructor(store: Store, live?: LiveQueue | null) {
    this.#qs = store.queue;
    this.#store = store;
    this.#live = live ?? null;
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
    if (this.#live) await this.#live.retry(id);
    else await this.#qs.retryNow(id, now);
    return true;
  }

  /** Makes every pending recipient due now (process the queue now); returns how many. */
  flush(now: Date): Promise<number> {
    return this.#live ? this.#live.retry(null) : this.#qs.retryNow(null, now);
  }

  /** Removes a message without notifying anyone; false when it does not exist. */
  async delete(id: string): Promise<boolean> {
    const blobId = await this.#qs.delete(id);
    if (blobId === null) return false;
    await this.#store.releaseBlob(blobId).catch(() => {});
    return true;
  }

  /** Counts of messages, recipients by state, bytes, the oldest entry and attempts. */
  async stats(): Promise<QueueStats> {
    const rows = await this.#qs.list();
    const recipients = { queued: 0, deferred: 0, delivered: 0, failed: 0 };
    let bytes = 0;
    let oldest: Date | null = null;
    let next: Date | null = null;
    let attempts = 0;
    for (const row of rows) {
      bytes += row.size;
      if (oldest === null || row.createdAt < oldest) oldest = row.createdAt;
      if (row.nextAttemptAt && (next === null || row.nextAttemptAt < next)) next = row.nextAttemptAt;
      for (const r of await this.#qs.recipients(row.id)) {
        recipients[r.status]++;
        attempts += r.attempts;
      }
    }
    return { messages: rows.length, recipients, bytes, oldest, nextAttemptAt: next, attempts };
  }
}
