/**
 * Resolving sequence sets and UID sets against the selected mailbox view (RFC 9051 §6.4.8–9,
 * `$` from RFC 5182).
 *
 * @module
 */
import type { SequenceSet } from "../parser/sequence_set.ts";
import { expandRanges } from "../parser/sequence_set.ts";
import { bad } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";

/** The UIDs (ascending) a set designates. Non-existent UIDs are ignored; bad sequence numbers are BAD. */
export function resolveSet(s: ImapSession, set: SequenceSet, uid: boolean): number[] {
  const view = s.view!;
  if (set.saved) return s.savedSearch.filter((u) => view.byUid.has(u));
  if (uid) {
    const max = view.uids.length > 0 ? view.uids[view.uids.length - 1]! : 0;
    // RFC 9051 §6.4.9: "*" is the largest UID in use; a range past it still matches that message.
    return expandRanges(set.ranges, max, view.uids);
  }
  const n = view.exists;
  for (const r of set.ranges) {
    // A range wholly above the message count (and without "*") names no message: a client bug.
    if (r.start !== null && r.end !== null && Math.min(r.start, r.end) > n) {
      throw bad("Invalid message sequence number", "CLIENTBUG");
    }
  }
  return expandRanges(set.ranges, n).map((seq) => view.uids[seq - 1]!);
}
