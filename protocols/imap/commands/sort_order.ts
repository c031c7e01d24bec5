/**
 * The order of the selected mailbox's messages under SORT criteria (RFC 5256 §3): for the SORT
 * command and for keeping CONTEXT=SORT results current (RFC 5267 §4.3), and the message loads that
 * SORT and THREAD share.
 *
 * @module
 */
import type { Message } from "../../../core/store/types.ts";
import type { ImapSession } from "../session_types.ts";
import { needsSummary, type SortCriterion, type SortInput, sortOrder } from "../sort/criteria.ts";

/** Loads the stored messages with the given ids, 1000 at a time. */
export async function loadMessages(s: ImapSession, ids: string[]): Promise<Map<string, Message>> {
  const map = new Map<string, Message>();
  for (let i = 0; i < ids.length; i += 1000) {
    const page = await s.store.getMessages(s.viewOwner, ids.slice(i, i + 1000), { mailboxIds: false });
    for (const m of page) map.set(m.id, m);
  }
  return map;
}

/**
 * Orders matching UIDs (ascending, all in the selected view) by SORT criteria (RFC 5256 §3); returns
 * indexes into `uids` in sort order. Also used to keep CONTEXT=SORT results current (RFC 5267 §4.3).
 */
export async function sortIndexes(
  s: ImapSession,
  criteria: SortCriterion[],
  uids: readonly number[],
): Promise<number[]> {
  const view = s.view!;
  const placements = uids.map((u) => view.byUid.get(u)!);
  const items: SortInput[] = placements.map((p) => ({
    receivedAt: p.receivedAt,
    size: p.size,
    summary: null,
  }));
  // DATE alone (with ARRIVAL/SIZE) needs no summaries when the store reads sent dates directly.
  const haveDates = s.store.sentDates !== undefined && criteria.some((c) => c.key === "DATE") &&
    !needsSummary(criteria, true);
  const missing: number[] = [];
  if (haveDates) {
    const known = await s.store.sentDates!(s.viewOwner, view.mailbox.id);
    // Both UID lists ascend: one merge walk. A message expunged elsewhere is not listed any more.
    for (let i = 0, j = 0; i < uids.length; i++) {
      while (j < known.uids.length && known.uids[j]! < uids[i]!) j++;
      if (known.uids[j] === uids[i]) items[i]!.sentDate = known.dates[j]!;
      else missing.push(i);
    }
  }
  const wanted = haveDates ? missing : needsSummary(criteria) ? placements.map((_, i) => i) : [];
  if (wanted.length > 0) {
    const messages = await loadMessages(s, wanted.map((i) => placements[i]!.messageId));
    for (const i of wanted) items[i]!.summary = messages.get(placements[i]!.messageId)?.summary ?? null;
  }
  return sortOrder(criteria, items);
}
