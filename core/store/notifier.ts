/**
 * In-process change notification: "account A changed (these types, these mailboxes) at MODSEQ M".
 * IMAP IDLE and JMAP push subscribe here; a cross-node implementation (PostgreSQL LISTEN/NOTIFY,
 * Redis) can replace the in-memory one behind the same interface.
 *
 * @module
 */
import type { AccountId, ChangeType, MailboxId } from "./types.ts";

/** One committed change. */
export interface ChangeEvent {
  accountId: AccountId;
  /** Account MODSEQ after the change. */
  modseq: number;
  types: ChangeType[];
  /** Mailboxes whose contents or attributes changed. */
  mailboxIds: MailboxId[];
  /** METADATA entries set or removed (RFC 5464), for NOTIFY's metadata events (RFC 5465 §5.6, §5.7). */
  metadata?: MetadataEvent;
  /**
   * Set when every write behind this event was made with this `origin` (the option of
   * `Store.updateKeywords`/`expunge`): the writer already knows the change and can skip it. Absent
   * when any write of the batch for this account had another origin or none, or when the backend
   * does not track origins.
   */
  origin?: symbol;
}

/** Entries of one mailbox ("" for the server) changed by one user (whose `/private` ones they are). */
export interface MetadataEvent {
  mailboxId: MailboxId | "";
  names: string[];
  userId: AccountId;
}

/** Publish/subscribe of change events. */
export interface ChangeNotifier {
  publish(event: ChangeEvent): void;
  /** Subscribes to one account's events; returns the unsubscribe function. */
  subscribe(accountId: AccountId, listener: (event: ChangeEvent) => void): () => void;
  /**
   * Subscribes to every account's events (the junk filter's trainer, core/spam); returns the
   * unsubscribe function. Optional: a notifier without it trains nothing.
   */
  subscribeAll?(listener: (event: ChangeEvent) => void): () => void;
}

/** The in-memory notifier used by a single process. Listeners never throw into the publisher. */
export class MemoryNotifier implements ChangeNotifier {
  #listeners = new Map<AccountId, Set<(event: ChangeEvent) => void>>();
  #all = new Set<(event: ChangeEvent) => void>();

  /** Delivers the event to every listener of its account, asynchronously (microtask). */
  publish(event: ChangeEvent): void {
    const set = this.#listeners.get(event.accountId);
    if (!set && this.#all.size === 0) return;
    for (const listener of [...(set ?? []), ...this.#all]) {
      queueMicrotask(() => {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own; the publisher (a committed write) must not fail.
        }
      });
    }
  }

  /** Adds a listener for every account. */
  subscribeAll(listener: (event: ChangeEvent) => void): () => void {
    this.#all.add(listener);
    return () => {
      this.#all.delete(listener);
    };
  }

  /** Adds a listener for an account. */
  subscribe(accountId: AccountId, listener: (event: ChangeEvent) => void): () => void {
    let set = this.#listeners.get(accountId);
    if (!set) {
      set = new Set();
      this.#listeners.set(accountId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(accountId);
    };
  }
}
