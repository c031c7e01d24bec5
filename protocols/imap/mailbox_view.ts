/**
 * The selected mailbox as one session sees it (RFC 9051 §2.3.1.2): the message sequence number map
 * and cached flags. Other sessions' changes are applied only when `sync` is called at a point where
 * RFC 9051 §7.5.1 / §5.5 allow untagged updates; until then sequence numbers stay stable, and
 * messages expunged elsewhere stay addressable.
 *
 * @module
 */
import type { Mailbox, Placement } from "../../core/store/types.ts";
import { lowerBound } from "./parser/sequence_set.ts";

/** Untagged updates produced by a sync, in the order they must be sent. */
export interface ViewUpdates {
  /** Sequence numbers to report as EXPUNGE, each valid at the moment it is sent. */
  expunged: number[];
  /** New EXISTS count, or null when unchanged. */
  exists: number | null;
  /** Messages whose flags changed: [seq, placement]. */
  flags: [number, Placement][];
}

/** The sequence map and cache of a selected mailbox. */
export class MailboxView {
  /** UIDs in sequence order (sequence number = index + 1). */
  uids: number[] = [];
  /** Placement data by UID. */
  readonly byUid = new Map<number, Placement>();
  /** UIDs expunged in the store but not yet reported to this session. */
  readonly gone = new Set<number>();
  /** Set by the notifier when the mailbox changed; cleared by sync. */
  dirty = false;
  /** Highest UID ever shown (new messages always have larger UIDs). */
  maxUid = 0;
  /** Highest placement MODSEQ seen: the next sync asks the store only for what changed after it. */
  modseq = 0;

  /**
   * @param mailbox the selected mailbox
   * @param name its full name as sent by the client (for the LIST response in rev2)
   * @param readOnly EXAMINE or no write access
   */
  constructor(
    public mailbox: Mailbox,
    readonly name: string,
    readonly readOnly: boolean,
    placements: Placement[],
  ) {
    for (const p of placements) {
      this.uids.push(p.uid);
      this.byUid.set(p.uid, p);
      if (p.uid > this.maxUid) this.maxUid = p.uid;
      if (p.modseq > this.modseq) this.modseq = p.modseq;
    }
  }

  /** Number of messages (EXISTS). */
  get exists(): number {
    return this.uids.length;
  }

  /** Sequence number of a UID, or 0. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uids, uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  /** Removes UIDs (already reported as EXPUNGE by the caller) and returns their sequence numbers, highest first. */
  remove(uids: Iterable<number>): number[] {
    const seqs: number[] = [];
    for (const uid of uids) {
      const s = this.seqOf(uid);
      if (s > 0) seqs.push(s);
    }
    seqs.sort((a, b) => b - a);
    for (const s of seqs) {
      const uid = this.uids[s - 1]!;
      this.uids.splice(s - 1, 1);
      this.byUid.delete(uid);
      this.gone.delete(uid);
    }
    return seqs;
  }

  /**
   * Applies what changed since `modseq`: placements with a higher MODSEQ (new messages, flag
   * changes) and UIDs expunged since. With `allowExpunge` false, expunged messages stay in the map.
   */
  applyChanges(changed: Placement[], expunged: number[], allowExpunge: boolean): ViewUpdates {
    const updates: ViewUpdates = { expunged: [], exists: null, flags: [] };
    for (const uid of expunged) if (this.byUid.has(uid)) this.gone.add(uid);
    if (allowExpunge && this.gone.size > 0) updates.expunged = this.remove([...this.gone]);
    const before = this.uids.length;
    for (const p of changed) {
      if (p.modseq > this.modseq) this.modseq = p.modseq;
      const old = this.byUid.get(p.uid);
      if (!old) {
        if (p.uid > this.maxUid) {
          this.uids.push(p.uid);
          this.byUid.set(p.uid, p);
          this.maxUid = p.uid;
        }
        continue;
      }
      if (!sameKeywords(old.keywords, p.keywords)) updates.flags.push([this.seqOf(p.uid), p]);
      this.byUid.set(p.uid, p);
    }
    if (this.uids.length !== before) updates.exists = this.uids.length;
    this.dirty = false;
    return updates;
  }

  /**
   * Compares the view with the store's current placements. With `allowExpunge` false, expunged
   * messages stay in the map (recorded in `gone`) and only EXISTS and flag changes are produced.
   */
  apply(current: Placement[], allowExpunge: boolean): ViewUpdates {
    const updates: ViewUpdates = { expunged: [], exists: null, flags: [] };
    const now = new Map<number, Placement>();
    for (const p of current) now.set(p.uid, p);
    for (const uid of this.uids) if (!now.has(uid)) this.gone.add(uid);
    if (allowExpunge && this.gone.size > 0) {
      // Highest sequence number first: each EXPUNGE then stays valid without renumbering.
      updates.expunged = this.remove([...this.gone]);
    }
    const before = this.uids.length;
    for (const p of current) {
      const old = this.byUid.get(p.uid);
      if (!old) {
        if (p.uid > this.maxUid) {
          this.uids.push(p.uid);
          this.byUid.set(p.uid, p);
          this.maxUid = p.uid;
        }
        continue;
      }
      if (!sameKeywords(old.keywords, p.keywords)) {
        updates.flags.push([this.seqOf(p.uid), p]);
      }
      this.byUid.set(p.uid, p);
    }
    if (this.uids.length !== before) updates.exists = this.uids.length;
    this.dirty = false;
    return updates;
  }
}

/** Compares two keyword lists as sets. */
export function sameKeywords(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  for (const k of b) if (!s.has(k)) return false;
  return true;
}
