/**
 * The selected mailbox as one session sees it (RFC 9051 §2.3.1.2): the message sequence number map
 * and cached flags. Other sessions' changes are applied only when `sync` is called at a point where
 * RFC 9051 §7.5.1 / §5.5 allow untagged updates; until then sequence numbers stay stable, and
 * messages expunged elsewhere stay addressable: their flags from the view, their content through
 * the view's expunge hold (RFC 2180 §4.1.1). The view also keeps the session's \Recent messages
 * (RFC 3501 §2.3.2) and the keywords already announced in FLAGS (RFC 9051 §7.3.5).
 *
 * @module
 */
import type { Mailbox, Placement } from "../../core/store/types.ts";
import type { ExpungeHold } from "../../core/store/expunge_holds.ts";
import { lowerBound } from "./parser/sequence_set.ts";

/** Untagged updates produced by a sync, in the order they must be sent. */
export interface ViewUpdates {
  /** Sequence numbers to report as EXPUNGE, each valid at the moment it is sent. */
  expunged: number[];
  /** The same messages' UIDs, ascending (for VANISHED, RFC 7162 §3.2.10). */
  expungedUids: number[];
  /** New EXISTS count, or null when unchanged. */
  exists: number | null;
  /** Messages whose flags changed: [seq, placement]. */
  flags: [number, Placement][];
}

/**
 * Placement data by UID, stored in an array parallel to the view's UID list: no hash map for a
 * 100,000-message mailbox, lookups by binary search.
 */
export class UidIndex {
  /**
   * Creates the index over a view's arrays.
   *
   * @param view the owning view (its `uids` and `entries` arrays)
   */
  constructor(readonly view: { uids: number[]; entries: Placement[] }) {}

  /** Placement of a UID. */
  get(uid: number): Placement | undefined {
    const uids = this.view.uids;
    const i = lowerBound(uids, uid);
    return uids[i] === uid ? this.view.entries[i] : undefined;
  }

  /** True when the UID is in the view. */
  has(uid: number): boolean {
    const uids = this.view.uids;
    return uids[lowerBound(uids, uid)] === uid;
  }

  /** Replaces the placement of a UID already in the view (new UIDs are added by the view). */
  set(uid: number, p: Placement): void {
    const uids = this.view.uids;
    const i = lowerBound(uids, uid);
    if (uids[i] === uid) this.view.entries[i] = p;
  }

  /** Every placement in sequence order. */
  values(): Placement[] {
    return this.view.entries;
  }
}

/** The sequence map and cache of a selected mailbox. */
export class MailboxView {
  /** UIDs in sequence order (sequence number = index + 1). */
  uids: number[] = [];
  /** Placements, parallel to `uids`. */
  entries: Placement[] = [];
  /** Placement data by UID. */
  readonly byUid: UidIndex = new UidIndex(this);
  /** UIDs expunged in the store but not yet reported to this session. */
  readonly gone = new Set<number>();
  /** Set by the notifier when the mailbox changed; cleared by sync. */
  dirty = false;
  /** Highest UID ever shown (new messages always have larger UIDs). */
  maxUid = 0;
  /** Highest placement MODSEQ seen: the next sync asks the store only for what changed after it. */
  modseq = 0;
  /** UID ranges `[first, last]` this session sees as \Recent (IMAP4rev1 only), ascending. */
  readonly recent: [number, number][] = [];
  /** Recent count last reported with `* n RECENT`. */
  recentReported = 0;
  /**
   * A \Recent claim this session made before the view has caught up with its UIDs (APPEND's,
   * `Store.claimAllRecent`): UIDs in (`before`, `upTo`] are this session's; used up by the next
   * `claimRecent` (view_responses.ts), once the view shows them.
   */
  claimAhead: { before: number; upTo: number } | null = null;
  /** Custom keywords (store form) announced in FLAGS, in announcement order. */
  readonly announced = new Set<string>();
  /** The user's rights on the mailbox (RFC 4314; every right for the owner), set at SELECT. */
  rights = "lrswipkxtea";

  /**
   * Creates a view from the placements listed at SELECT.
   *
   * @param mailbox the selected mailbox
   * @param name its full name as sent by the client (for the LIST response in rev2)
   * @param readOnly EXAMINE or no write access
   */
  constructor(
    public mailbox: Mailbox,
    readonly name: string,
    readonly readOnly: boolean,
    placements: Placement[],
    readonly hold: ExpungeHold | null = null,
  ) {
    this.uids = new Array(placements.length);
    this.entries = placements;
    for (let i = 0; i < placements.length; i++) {
      const p = placements[i]!;
      this.uids[i] = p.uid;
      if (p.uid > this.maxUid) this.maxUid = p.uid;
      if (p.modseq > this.modseq) this.modseq = p.modseq;
    }
  }

  /** Number of messages (EXISTS). */
  get exists(): number {
    return this.uids.length;
  }

  /** Marks UIDs `first..last` as \Recent for this session (RFC 3501 §2.3.2). */
  addRecent(first: number, last: number): void {
    if (first > last) return;
    const prev = this.recent[this.recent.length - 1];
    // Joined to the previous range when no message of the view lies between them.
    if (prev && lowerBound(this.uids, prev[1] + 1) === lowerBound(this.uids, first)) prev[1] = last;
    else this.recent.push([first, last]);
  }

  /** True when the UID is \Recent in this session. */
  isRecent(uid: number): boolean {
    for (const [a, b] of this.recent) if (uid >= a && uid <= b) return true;
    return false;
  }

  /** Number of messages in the view that are \Recent. */
  recentCount(): number {
    let n = 0;
    for (const [a, b] of this.recent) n += lowerBound(this.uids, b + 1) - lowerBound(this.uids, a);
    return n;
  }

  /** Ends the view: its expunge hold lets go of everything it kept. */
  close(): void {
    this.hold?.close();
  }

  /** Sequence number of a UID, or 0. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uids, uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  /** Removes UIDs (the caller reports them as EXPUNGE) and returns their sequence numbers, highest first. */
  remove(uids: Iterable<number>): number[] {
    const drop = new Set<number>();
    for (const uid of uids) if (this.byUid.has(uid)) drop.add(uid);
    if (drop.size === 0) return [];
    const seqs: number[] = [];
    const keptUids: number[] = [];
    const keptEntries: Placement[] = [];
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i]!;
      if (drop.has(uid)) {
        seqs.push(i + 1);
        this.gone.delete(uid);
      } else {
        keptUids.push(uid);
        keptEntries.push(this.entries[i]!);
      }
    }
    this.uids = keptUids;
    this.entries = keptEntries;
    // Reported as expunged: the held content is no longer needed.
    this.hold?.release(drop);
    return seqs.reverse();
  }

  /**
   * Applies what changed since `modseq`: placements with a higher MODSEQ (new messages, flag
   * changes) and UIDs expunged since. With `allowExpunge` false, expunged messages stay in the map.
   * With `modseqChanges` (a CONDSTORE session), a message whose MODSEQ grew is reported even when
   * its flags ended as they were (changed and changed back), as Dovecot reports it.
   */
  applyChanges(
    changed: Placement[],
    expunged: number[],
    allowExpunge: boolean,
    modseqChanges = false,
  ): ViewUpdates {
    const updates: ViewUpdates = { expunged: [], expungedUids: [], exists: null, flags: [] };
    for (const uid of expunged) {
      const old = this.byUid.get(uid);
      if (!old || this.gone.has(uid)) continue;
      this.gone.add(uid);
      // Flags changed just before the expunge (e.g. \Deleted) are shown, from the hold.
      const held = this.hold?.get(uid);
      if (held && !sameKeywords(old.keywords, held.keywords)) {
        const p = withKeywords(old, held.keywords, old.modseq);
        this.byUid.set(uid, p);
        if (allowExpunge) continue;
        updates.flags.push([this.seqOf(uid), p]);
      }
    }
    if (allowExpunge && this.gone.size > 0) {
      updates.expungedUids = [...this.gone].sort((a, b) => a - b);
      updates.expunged = this.remove(updates.expungedUids);
    }
    const before = this.uids.length;
    for (const p of changed) {
      if (p.modseq > this.modseq) this.modseq = p.modseq;
      const old = this.byUid.get(p.uid);
      if (!old) {
        if (p.uid > this.maxUid) {
          this.uids.push(p.uid);
          this.entries.push(p);
          this.maxUid = p.uid;
        }
        continue;
      }
      if (!sameKeywords(old.keywords, p.keywords) || (modseqChanges && p.modseq > old.modseq)) {
        updates.flags.push([this.seqOf(p.uid), p]);
      }
      this.byUid.set(p.uid, p);
    }
    if (this.uids.length !== before) updates.exists = this.uids.length;
    // Destroyed messages this view never showed (added and expunged between two syncs).
    this.hold?.retainOnly((uid) => this.byUid.has(uid));
    this.dirty = false;
    return updates;
  }
}

/**
 * A copy of a placement with new keywords and MODSEQ. Fields are copied one by one: the store's
 * placements may keep `messageId` and `receivedAt` on their prototype
 * (core/store/sqlite/placement_record.ts), which an object spread would drop.
 */
export function withKeywords(p: Placement, keywords: string[], modseq: number): Placement {
  return {
    mailboxId: p.mailboxId,
    uid: p.uid,
    messageId: p.messageId,
    modseq,
    keywords,
    size: p.size,
    receivedAt: p.receivedAt,
  };
}

/** Compares two keyword lists as sets. */
export function sameKeywords(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  for (const k of b) if (!s.has(k)) return false;
  return true;
}
