/**
 * Untagged responses about the selected mailbox as one session sees it: the FLAGS / PERMANENTFLAGS
 * announcement of keywords new to the session (RFC 9051 §7.3.5, §7.1), \Recent claims and the
 * `* n RECENT` count for IMAP4rev1 sessions (RFC 3501 §2.3.2, §7.3.2), and a message's FLAGS item
 * with \Recent where it applies.
 *
 * @module
 */
import type { Placement } from "../../core/store/types.ts";
import type { MailboxView } from "./mailbox_view.ts";
import type { ImapSession } from "./session_types.ts";
import { formatFlags, keywordToFlag, SYSTEM_FLAGS } from "./flags.ts";
import { ALL_RIGHTS } from "../../core/acl/rights.ts";

/** Store keywords of the IMAP system flags (never announced: FLAGS always lists them). */
const SYSTEM_KEYWORDS = new Set(["$seen", "$answered", "$flagged", "$draft", "$deleted"]);

/** The FLAGS item of a message for this session: its flags, plus \Recent in rev1 when it is recent. */
export function flagsOf(s: ImapSession, view: MailboxView, p: Placement): string {
  return formatFlags(p.keywords, !s.rev2 && view.recent.length > 0 && view.isRecent(p.uid));
}

/** The `* FLAGS` and `* OK [PERMANENTFLAGS]` lines for the view's announced keywords. */
export function flagsLines(view: MailboxView): string[] {
  const custom = [...view.announced].map(keywordToFlag);
  const flags = [...SYSTEM_FLAGS, ...custom].join(" ");
  if (view.readOnly) return [`* FLAGS (${flags})`, "* OK [PERMANENTFLAGS ()] Read-only mailbox"];
  if (view.rights !== ALL_RIGHTS) {
    // RFC 4314 §4: only the flags the rights let the user change ("s", "t", "w").
    const allowed = [...SYSTEM_FLAGS, ...custom].filter((f) =>
      view.rights.includes(f === "\\Seen" ? "s" : f === "\\Deleted" ? "t" : "w")
    );
    if (view.rights.includes("w")) allowed.push("\\*");
    return [`* FLAGS (${flags})`, `* OK [PERMANENTFLAGS (${allowed.join(" ")})] Flags permitted`];
  }
  // Arbitrary keywords may be created (`\*`, RFC 9051 §7.1).
  return [`* FLAGS (${flags})`, `* OK [PERMANENTFLAGS (${flags} \\*)] Flags permitted`];
}

/**
 * Sends FLAGS and PERMANENTFLAGS before a response uses a keyword this session was never told of
 * (RFC 9051 §7.3.5: FLAGS lists the flags the mailbox uses). Keyword lists are mostly shared
 * arrays, so each distinct one is looked at once.
 */
export async function announceKeywords(
  s: ImapSession,
  view: MailboxView,
  lists: Iterable<readonly string[]>,
): Promise<void> {
  const seen = new Set<readonly string[]>();
  let added = false;
  for (const list of lists) {
    if (list.length === 0 || seen.has(list)) continue;
    seen.add(list);
    for (const k of list) {
      if (SYSTEM_KEYWORDS.has(k) || view.announced.has(k)) continue;
      view.announced.add(k);
      added = true;
    }
  }
  if (!added) return;
  for (const line of flagsLines(view)) await s.out.line(line);
}

/** The keyword lists of the view's messages with these UIDs (ascending), for `announceKeywords`. */
export function* keywordsOf(view: MailboxView, uids: readonly number[]): Generator<readonly string[]> {
  let j = 0;
  for (const uid of uids) {
    while (j < view.uids.length && view.uids[j]! < uid) j++;
    if (view.uids[j] === uid) yield view.entries[j]!.keywords;
  }
}

/**
 * Claims as \Recent the view's messages above `afterUid` (RFC 3501 §2.3.2): in a read-write
 * mailbox, the messages no other session claimed before (the claim is the store's, so exactly one
 * session gets each); read-only (EXAMINE), the unclaimed ones are shown as recent without a claim.
 * Nothing for IMAP4rev2 sessions, which have no \Recent (RFC 9051 §2.3.2).
 */
export async function claimRecent(s: ImapSession, view: MailboxView, afterUid: number): Promise<void> {
  if (s.rev2 || view.maxUid <= afterUid) return;
  const ahead = view.claimAhead;
  if (ahead !== null) {
    // This session's claim made with its APPEND: its UIDs are the session's without asking again.
    view.claimAhead = null;
    view.addRecent(Math.max(ahead.before, afterUid) + 1, Math.min(ahead.upTo, view.maxUid));
    afterUid = Math.max(afterUid, ahead.upTo);
    if (view.maxUid <= afterUid) return;
  }
  const claimed = await s.store.claimRecent(
    view.mailbox.accountId,
    view.mailbox.id,
    view.readOnly ? undefined : view.maxUid,
  );
  view.addRecent(Math.max(claimed, afterUid) + 1, view.maxUid);
}

/** Sends `* n RECENT` in rev1 when the number of recent messages changed (RFC 3501 §7.3.2). */
export async function reportRecent(s: ImapSession, view: MailboxView): Promise<void> {
  if (s.rev2) return;
  const n = view.recentCount();
  if (n === view.recentReported) return;
  view.recentReported = n;
  await s.out.line(`* ${n} RECENT`);
}
