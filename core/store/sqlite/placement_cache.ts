/**
 * In-memory copy of the placements of recently listed mailboxes, so that repeated IMAP SELECT /
 * FETCH 1:* / IDLE refreshes of a large mailbox cost only the changes since the last listing.
 *
 * Validity: a mailbox's HIGHESTMODSEQ grows with every change to its placements (insert, flag
 * change, expunge), also when another process (the CLI) writes. A cached list at HIGHESTMODSEQ H is
 * brought up to date with the placements whose MODSEQ is above H and the UIDs expunged after H.
 * Cached placements are frozen: callers share them and must not mutate them.
 *
 * Cold start: a mailbox not in memory starts from its persisted snapshot (placement_snapshot.ts)
 * when the source has one, refreshed the same way; the source hears about cold loads so that it can
 * write a new snapshot (off the caller's path).
 *
 * @module
 */
import type { Placement } from "../types.ts";
import type { Snapshot } from "./placement_snapshot.ts";

interface Entry {
  highestModseq: number;
  list: readonly Placement[];
}

/** Loads placements of a mailbox: all of them, or only those changed after `sinceModseq`. */
export interface PlacementSource {
  /** All placements by UID, or those with a MODSEQ above `sinceModseq`. */
  load(mailboxRow: number, sinceModseq?: number): Placement[];
  /** UIDs expunged after `modseq`. */
  expungedSince(mailboxRow: number, modseq: number): number[];
  /** A persisted list at some HIGHESTMODSEQ to start a cold load from, or null. */
  snapshot?(mailboxRow: number): Snapshot | null;
  /**
   * Called after a cold load (mailbox not cached) with the list at `highestModseq`; `delta` is the
   * number of changes applied to the snapshot, or null when every placement was loaded.
   */
  coldLoaded?(
    mailboxRow: number,
    highestModseq: number,
    list: readonly Placement[],
    delta: number | null,
  ): void;
}

/** LRU cache of whole-mailbox placement lists, bounded by the number of placements held. */
export class PlacementCache {
  readonly #entries = new Map<number, Entry>();
  readonly #maxPlacements: number;
  #held = 0;

  /**
   * An empty cache.
   *
   * @param maxPlacements upper bound of placements kept over all mailboxes
   */
  constructor(maxPlacements = 300_000) {
    this.#maxPlacements = maxPlacements;
  }

  /**
   * The up-to-date list of a mailbox (at `highestModseq`), from the cache, the source's snapshot or
   * a full load. `count`, when given, is the mailbox's number of placements: a list built from a
   * snapshot that does not have it is discarded for a full load.
   */
  get(
    mailboxRow: number,
    highestModseq: number,
    source: PlacementSource,
    count?: number,
  ): readonly Placement[] {
    const entry = this.#entries.get(mailboxRow);
    let list: readonly Placement[];
    if (!entry || entry.highestModseq > highestModseq) {
      list = this.#coldLoad(mailboxRow, highestModseq, source, count);
    } else if (entry.highestModseq === highestModseq) {
      list = entry.list;
    } else {
      list = merge(
        entry.list,
        freezeAll(source.load(mailboxRow, entry.highestModseq)),
        source.expungedSince(mailboxRow, entry.highestModseq),
      );
    }
    this.#set(mailboxRow, { highestModseq, list });
    return list;
  }

  #coldLoad(mailboxRow: number, highestModseq: number, source: PlacementSource, count?: number): Placement[] {
    const snap = source.snapshot?.(mailboxRow) ?? null;
    if (snap && snap.highestModseq <= highestModseq) {
      let list = snap.list;
      let delta = 0;
      if (snap.highestModseq < highestModseq) {
        const changed = freezeAll(source.load(mailboxRow, snap.highestModseq));
        const expunged = source.expungedSince(mailboxRow, snap.highestModseq);
        delta = changed.length + expunged.length;
        list = merge(list, changed, expunged);
      }
      if (count === undefined || list.length === count) {
        source.coldLoaded?.(mailboxRow, highestModseq, list, delta);
        return list;
      }
    }
    const list = freezeAll(source.load(mailboxRow));
    source.coldLoaded?.(mailboxRow, highestModseq, list, null);
    return list;
  }

  /** The cached lists, least recently used first. */
  *entries(): IterableIterator<{ mailboxRow: number; highestModseq: number; list: readonly Placement[] }> {
    for (const [mailboxRow, e] of this.#entries) {
      yield { mailboxRow, highestModseq: e.highestModseq, list: e.list };
    }
  }

  /** Whether a mailbox's list is cached. */
  has(mailboxRow: number): boolean {
    return this.#entries.has(mailboxRow);
  }

  /** Forgets a mailbox (deleted) or everything. */
  invalidate(mailboxRow?: number): void {
    if (mailboxRow === undefined) {
      this.#entries.clear();
      this.#held = 0;
      return;
    }
    const e = this.#entries.get(mailboxRow);
    if (e) {
      this.#held -= e.list.length;
      this.#entries.delete(mailboxRow);
    }
  }

  #set(mailboxRow: number, entry: Entry): void {
    this.invalidate(mailboxRow);
    if (entry.list.length > this.#maxPlacements) return;
    this.#entries.set(mailboxRow, entry);
    this.#held += entry.list.length;
    for (const [row, e] of this.#entries) {
      if (this.#held <= this.#maxPlacements) break;
      this.#entries.delete(row);
      this.#held -= e.list.length;
    }
  }
}

function freezeAll(list: Placement[]): Placement[] {
  for (const p of list) Object.freeze(p);
  return list;
}

/** Cached list minus expunged and changed UIDs, plus the changed placements, by UID. */
function merge(cached: readonly Placement[], changed: Placement[], expunged: number[]): Placement[] {
  if (changed.length === 0 && expunged.length === 0) return cached.slice();
  const drop = new Set(expunged);
  for (const p of changed) drop.add(p.uid);
  const kept = cached.filter((p) => !drop.has(p.uid));
  const out: Placement[] = new Array(kept.length + changed.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < kept.length && j < changed.length) {
    out[k++] = kept[i]!.uid < changed[j]!.uid ? kept[i++]! : changed[j++]!;
  }
  while (i < kept.length) out[k++] = kept[i++]!;
  while (j < changed.length) out[k++] = changed[j++]!;
  return out;
}

/** Index of the first placement with uid >= `uid` (lists are sorted by UID). */
export function lowerBound(list: readonly Placement[], uid: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.uid < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
