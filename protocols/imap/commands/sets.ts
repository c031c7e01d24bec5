/**
 * Resolving sequence sets and UID sets against the selected mailbox view (RFC 9051 §6.4.8–9,
 * `$` from RFC 5182).
 *
 * A set is resolved against the mailbox as the client knew it when it sent the command
 * (`KnownView`), not against what the command's own updates tell it: a message another session
 * added meanwhile is announced by this command's `* n EXISTS` but is not part of `1:*` (a client's
 * "mark all read" must not mark a message it has never seen), and its number is not yet valid.
 *
 * @module
 */
import type { SequenceSet } from "../parser/sequence_set.ts";
import { expandRanges, lowerBound } from "../parser/sequence_set.ts";
import { bad } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";

/** What the client knew of the selected mailbox before a command's own updates. */
export interface KnownView {
  /** Messages it had been told of (the last EXISTS). */
  exists: number;
  /** UID of the last of them, 0 when none (`*` in a UID set). */
  lastUid: number;
  /** Highest UID it had been shown (messages added later always have higher ones). */
  maxUid: number;
}

/**
 * The selected view as the client knows it now: take it before `deliverUpdates`. With a set of
 * sequence numbers (`uid` false), also checks them against it, so a bad one is BAD before this
 * command sends any update.
 */
export function knownView(s: ImapSession, set?: SequenceSet, uid = true): KnownView {
  const view = s.view!;
  const known = { ...firstMessages(s, view.exists), maxUid: view.maxUid };
  if (set && !uid) checkNumbers(set, known.exists);
  return known;
}

/**
 * The view's first `count` messages as a `KnownView` (a search over the messages a command knew,
 * search/evaluate.ts).
 */
export function firstMessages(s: ImapSession, count: number): KnownView {
  const lastUid = count > 0 ? s.view!.uids[count - 1]! : 0;
  return { exists: count, lastUid, maxUid: lastUid };
}

/** How many of the view's first messages (all, unless some came after) were `known`. */
export function knownCount(s: ImapSession, known: KnownView): number {
  const uids = s.view!.uids;
  const last = uids.length > 0 ? uids[uids.length - 1]! : 0;
  return last <= known.maxUid ? uids.length : lowerBound(uids, known.maxUid + 1);
}

/**
 * RFC 9051 §9 (seq-number): a message sequence number above the message count, or "*" in an
 * empty mailbox, gets a tagged BAD (as Dovecot answers; SEARCH keys are lenient, search/evaluate.ts).
 */
function checkNumbers(set: SequenceSet, n: number): void {
  if (set.saved) return;
  for (const r of set.ranges) {
    if (n === 0 || (r.start !== null && r.start > n) || (r.end !== null && r.end > n)) {
      throw bad("Invalid message sequence number", "CLIENTBUG");
    }
  }
}

/**
 * The UIDs (ascending) a set designates, among the messages `known` (default: the view as it is).
 * Non-existent UIDs are ignored; a bad sequence number is BAD.
 */
export function resolveSet(
  s: ImapSession,
  set: SequenceSet,
  uid: boolean,
  known: KnownView = knownView(s),
): number[] {
  const view = s.view!;
  if (set.saved) return s.savedSearch.filter((u) => view.byUid.has(u));
  if (uid) {
    // Messages the client has not been told of are left out. RFC 9051 §9 (seq-number): "*" is the
    // UID of the last message, as the client knew it: one another session expunged (reported just
    // now, before the set was resolved) is matched by nothing, not replaced by the one before it.
    // A range past it still matches the messages in it (§6.4.9).
    const count = knownCount(s, known);
    // Usually every message is known: no copy of the view's UIDs on the way.
    const candidates = count === view.uids.length ? view.uids : view.uids.slice(0, count);
    return expandRanges(set.ranges, known.lastUid, candidates);
  }
  const n = known.exists;
  checkNumbers(set, n);
  // Without expunges reported (RFC 9051 §7.5.1) the numbers 1..n still name the same messages.
  return expandRanges(set.ranges, n).map((seq) => view.uids[seq - 1]!);
}
