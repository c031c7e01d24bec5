/**
 * Expunge holds: messages destroyed while an IMAP session still shows them stay readable for that
 * session until it has reported the expunge (RFC 2180 §4.1.1, RFC 9051 §7.5.1). A session opens a
 * hold on its selected mailbox; when the store destroys a message placed there, it records what
 * the session needs to serve it (blob, thread) in every open hold of that mailbox and pins the
 * blob, whose bytes the store then keeps until the last hold lets go of it.
 *
 * Process-wide and in memory: after a restart no session holds anything, and blobs left pinned by
 * a crash are unreferenced rows that the next garbage collection removes.
 *
 * @module
 */
import type { BlobId, MailboxId, MessageId, ThreadId } from "./types.ts";

/** What a session needs to keep serving a destroyed message it has not reported as expunged. */
export interface HeldMessage {
  messageId: MessageId;
  blobId: BlobId;
  threadId: ThreadId;
  /** Its keywords when it was destroyed (a flag change just before an expunge is still shown). */
  keywords: string[];
}

/** One session's hold on its selected mailbox. */
export interface ExpungeHold {
  /** The held data of a destroyed message, by its UID in the mailbox. */
  get(uid: number): HeldMessage | undefined;
  /** Lets go of UIDs (their expunge was reported, or the session never showed them). */
  release(uids: Iterable<number>): void;
  /** Lets go of every held UID for which `keep` is false. */
  retainOnly(keep: (uid: number) => boolean): void;
  /** Lets go of everything and stops capturing (deselect, logout). Idempotent. */
  close(): void;
}

/** The registry of open holds and pinned blobs of one store. */
export class ExpungeHolds {
  readonly #byMailbox = new Map<MailboxId, Set<Hold>>();
  readonly #pins = new Map<BlobId, number>();

  /**
   * Creates the registry.
   *
   * @param onUnpinned called when a blob's last pin is dropped: the store removes its bytes if no
   *   message references them any more
   */
  constructor(readonly onUnpinned: (blobId: BlobId) => void) {}

  /**
   * Opens a hold on a mailbox: messages destroyed from it from now on are captured, except by a
   * write of `owner` (the session's own EXPUNGE, which it reports in that command's response, so
   * it never has to serve those messages again).
   */
  open(mailboxId: MailboxId, owner: symbol | null = null): ExpungeHold {
    const hold = new Hold(this, mailboxId, owner);
    let set = this.#byMailbox.get(mailboxId);
    if (!set) this.#byMailbox.set(mailboxId, set = new Set());
    set.add(hold);
    return hold;
  }

  /**
   * True when a message destroyed from the mailbox by a write of `origin` would be captured: some
   * hold of it belongs to another owner (the store reads what a capture needs only then).
   */
  watching(mailboxId: MailboxId, origin: symbol | null = null): boolean {
    const set = this.#byMailbox.get(mailboxId);
    if (!set) return false;
    if (origin === null) return true;
    for (const hold of set) if (hold.owner !== origin) return true;
    return false;
  }

  /**
   * Records a message destroyed from a mailbox by a write of `origin` in each of its open holds
   * but those `origin` owns, and pins its blob once per hold. Returns true when the blob is pinned
   * (the store must then keep its bytes).
   */
  capture(mailboxId: MailboxId, uid: number, held: HeldMessage, origin: symbol | null = null): boolean {
    const set = this.#byMailbox.get(mailboxId);
    if (!set) return false;
    for (const hold of set) if (origin === null || hold.owner !== origin) hold.add(uid, held);
    return this.isPinned(held.blobId);
  }

  /** True while some hold keeps the blob. */
  isPinned(blobId: BlobId): boolean {
    return this.#pins.has(blobId);
  }

  /** Number of pinned blobs (tests and diagnostics). */
  get pinnedCount(): number {
    return this.#pins.size;
  }

  /** @internal */
  pin(blobId: BlobId): void {
    this.#pins.set(blobId, (this.#pins.get(blobId) ?? 0) + 1);
  }

  /** @internal */
  unpin(blobId: BlobId): void {
    const n = (this.#pins.get(blobId) ?? 0) - 1;
    if (n > 0) {
      this.#pins.set(blobId, n);
      return;
    }
    this.#pins.delete(blobId);
    this.onUnpinned(blobId);
  }

  /** @internal */
  closed(hold: Hold): void {
    const set = this.#byMailbox.get(hold.mailboxId);
    if (!set) return;
    set.delete(hold);
    if (set.size === 0) this.#byMailbox.delete(hold.mailboxId);
  }
}

class Hold implements ExpungeHold {
  readonly #held = new Map<number, HeldMessage>();
  #open = true;

  constructor(
    readonly registry: ExpungeHolds,
    readonly mailboxId: MailboxId,
    readonly owner: symbol | null,
  ) {}

  add(uid: number, held: HeldMessage): void {
    if (!this.#open || this.#held.has(uid)) return;
    this.#held.set(uid, held);
    this.registry.pin(held.blobId);
  }

  get(uid: number): HeldMessage | undefined {
    return this.#held.get(uid);
  }

  release(uids: Iterable<number>): void {
    if (this.#held.size === 0) return;
    for (const uid of uids) {
      const h = this.#held.get(uid);
      if (!h) continue;
      this.#held.delete(uid);
      this.registry.unpin(h.blobId);
    }
  }

  retainOnly(keep: (uid: number) => boolean): void {
    if (this.#held.size === 0) return;
    this.release([...this.#held.keys()].filter((uid) => !keep(uid)));
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.registry.closed(this);
    this.release([...this.#held.keys()]);
  }
}
