/**
 * Decoded message summaries by blob row, least recently used dropped first. A blob's summary is
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

/** LRU of decoded summaries keyed by blob row id. */
export class SummaryCache {
  readonly #entries = new Map<number, MessageSummary>();

  /** @param maxEntries summaries kept (about 1 KiB each) */
  constructor(readonly maxEntries = 20_000) {}

  /** The summary of blob row `blobRow`, or undefined when not cached. */
  get(blobRow: number): MessageSummary | undefined {
    const s = this.#entries.get(blobRow);
    if (s !== undefined) {
      this.#entries.delete(blobRow);
      this.#entries.set(blobRow, s);
    }
    return Object.freeze(s);
  }

  /** Caches (and freezes) the summary of an indexed blob; returns it. */
  set(blobRow: number, summary: MessageSummary): MessageSummary {
    const frozen = freeze(summary);
    this.#entries.delete(blobRow);
    this.#entries.set(blobRow, frozen);
    if (this.#entries.size > this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return frozen;
  }
}
