/**
 * Decoded message summaries by blob row, the least recently used dropped first. A blob's summary is
 * written once (null until the blob is indexed, then never changed) and blob rows are never
 * reused (AUTOINCREMENT), so an entry stays true for as long as it is kept. Reading a page of
 * messages (JMAP Email/get of 50) then neither copies each summary's JSON out of SQLite nor
 * parses it again: that was a fifth of an Email/query+get's CPU.
 *
 * Cached summaries are shared by every reader, so they are frozen (with their address lists):
 * a caller that tried to change one would throw instead of changing it for the others.
 *
 * @module
 */
import type { MessageSummary } from "../types.ts";

function freeze(s: MessageSummary): MessageSummary {
  for (const list of [s.from, s.sender, s.replyTo, s.to, s.cc, s.bcc]) {
    for (const a of list) Object.freeze(a);
    Object.freeze(list);
  }
  Object.freeze(s.messageId);
  Object.freeze(s.inReplyTo);
  Object.freeze(s.references);
  return Object.freeze(s);
}

/**
 * Decoded summaries keyed by blob row id, in two generations: a hit in the recent one changes
 * nothing, a hit in the older one moves the entry to the recent one, and when the recent one holds
 * half the capacity it becomes the older one (the old older one is dropped). So an entry is kept
 * for at least the `maxEntries / 2` additions after it was last read or added, at most
 * `maxEntries` are held, and a hit costs one lookup (issue 24): the LRU this replaces deleted and
 * re-inserted the entry on every hit, and with 20,000 entries held the Map's rehashing made a hit
 * cost about 1.3 µs instead of 0.01–0.03 (65 µs per Email/get page of 50), with large tables
 * left for the old-space collector.
 */
export class SummaryCache {
  #recent = new Map<number, MessageSummary>();
  #older = new Map<number, MessageSummary>();

  /** @param maxEntries summaries kept at most (about 1 KiB each) */
  constructor(readonly maxEntries = 20_000) {}

  /** Summaries held. */
  get size(): number {
    return this.#recent.size + this.#older.size;
  }

  /** The summary of blob row `blobRow`, or undefined when not cached. */
  get(blobRow: number): MessageSummary | undefined {
    const s = this.#recent.get(blobRow);
    if (s !== undefined) return s;
    const o = this.#older.get(blobRow);
    if (o !== undefined) {
      this.#older.delete(blobRow);
      this.#add(blobRow, o);
    }
    return o;
  }

  /** Caches (and freezes) the summary of an indexed blob; returns it. */
  set(blobRow: number, summary: MessageSummary): MessageSummary {
    const frozen = freeze(summary);
    this.#older.delete(blobRow);
    this.#add(blobRow, frozen);
    return frozen;
  }

  #add(blobRow: number, summary: MessageSummary): void {
    // Rotated before the addition, so an entry survives the next maxEntries / 2 additions.
    if (this.#recent.size >= Math.max(1, Math.floor(this.maxEntries / 2))) {
      this.#older = this.#recent;
      this.#recent = new Map();
    }
    this.#recent.set(blobRow, summary);
  }
}
