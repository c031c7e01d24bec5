/**
 * SELECT, EXAMINE (RFC 9051 §6.3.2–3), CLOSE (§6.4.1) and UNSELECT (RFC 3691).
 *
 * @module
 */
import { Args } from "../parser/args.ts";
import { bad, ok } from "../errors.ts";
import { MailboxView } from "../mailbox_view.ts";
import { claimRecent, flagsLines, flagsOf } from "../view_responses.ts";
import type { ImapSession } from "../session_types.ts";
import type { Token } from "../parser/tokens.ts";
import {
  expandRanges,
  formatSequenceSet,
  parseSequenceSet,
  type SequenceSet,
} from "../parser/sequence_set.ts";
import { requireMailbox } from "./mailbox.ts";
import { deletedShown } from "./expunge.ts";
import { AUTH, type CommandSpec, SELECTED } from "./types.ts";
import { hasAnyRight } from "../../../core/acl/rights.ts";

function selectCommand(examine: boolean): CommandSpec {
  return {
    states: AUTH,
    async handle(s, cmd) {
      // RFC 9051 §6.3.2: the previous mailbox is deselected first, announced with [CLOSED] (RFC
      // 7162 §3.2.11), so that a SELECT that fails, BAD arguments included, leaves none selected
      // (as in Dovecot; a line that does not parse at all never reaches this).
      if (s.view) {
        s.setView(null);
        await s.out.line("* OK [CLOSED] Previous mailbox closed");
      }
      let readOnly = examine;
      const a = new Args(cmd.args);
      const raw = a.astring("mailbox name");
      let qresync: QresyncParams | null = null;
      if (!a.done) {
        const params = a.list("select parameters").items;
        for (let i = 0; i < params.length; i++) {
          const p = params[i]!;
          const name = p.type === "atom" ? p.value.toUpperCase() : "";
          // RFC 7162 §3.1.8: SELECT (CONDSTORE) enables CONDSTORE.
          if (name === "CONDSTORE") s.enabled.add("CONDSTORE");
          else if (name === "QRESYNC") {
            // RFC 7162 §3.2.5: only after ENABLE QRESYNC.
            if (!s.qresync) throw bad("QRESYNC must be enabled first", "CLIENTBUG");
            const l = params[++i];
            if (l?.type !== "list") throw bad("Expected QRESYNC parameters");
            qresync = parseQresync(l.items);
          } else throw bad("Unsupported SELECT parameter");
        }
      }
      a.end();
      // RFC 4314 §4: SELECT and EXAMINE need "r"; without a right to change anything, read-only.
      const { mailbox, name, ownerId, rights } = await requireMailbox(s, raw, false, "r");
      if (!hasAnyRight(rights, "swte")) readOnly = true;
      // The hold is opened before the listing: whatever is destroyed after it stays readable
      // here until this session reports the expunge (RFC 2180 §4.1.1). Not what this session's
      // own EXPUNGE destroys: that command's response reports it.
      const hold = s.store.holdExpunged(ownerId, mailbox.id, s.origin);
      let view: MailboxView;
      try {
        const placements = await s.store.listPlacements(ownerId, mailbox.id);
        view = new MailboxView(mailbox, name, readOnly, placements, hold);
        view.rights = rights;
        hold.retainOnly((uid) => view.byUid.has(uid));
        await claimRecent(s, view, 0);
        await sendSelectResponses(s, view);
        if (qresync && qresync.uidValidity === mailbox.uidValidity) await resync(s, view, qresync);
      } catch (e) {
        hold.close();
        throw e;
      }
      s.setView(view);
      return ok(`${examine ? "EXAMINE" : "SELECT"} completed`, readOnly ? "READ-ONLY" : "READ-WRITE");
    },
  };
}

/** `QRESYNC (uidvalidity modseq [known-uids [seq-match-data]])` (RFC 7162 §3.2.5). */
interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | null;
}

function parseQresync(items: Token[]): QresyncParams {
  const a = new Args(items);
  const uidValidity = a.number("UIDVALIDITY");
  const mod = a.atom("mod-sequence");
  if (!/^\d{1,19}$/.test(mod)) throw bad("Invalid mod-sequence");
  let knownUids: SequenceSet | null = null;
  if (a.peek()?.type === "atom") knownUids = concreteSet(a.atom("known UIDs"), "known UIDs");
  // The sequence match data only narrows what we send; we send the exact VANISHED set anyway.
  // Still, it must be two such sets: `(known-sequence-set known-uid-set)`.
  if (!a.done) {
    const m = new Args(a.list("sequence match data").items);
    concreteSet(m.atom("known sequence set"), "known sequence set");
    concreteSet(m.atom("known UID set"), "known UID set");
    m.end();
  }
  a.end();
  return { uidValidity, modseq: Number(mod), knownUids };
}

/**
 * A set of the QRESYNC parameter: RFC 7162 §3.2.5's ABNF allows no `*` in known-uids,
 * known-sequence-set or known-uid-set (nor `$`), so either is BAD, as in Dovecot.
 */
function concreteSet(text: string, what: string): SequenceSet {
  const set = parseSequenceSet(text, false);
  if (!set || set.saved || set.ranges.some((r) => r.start === null || r.end === null)) {
    throw bad(`Invalid ${what}`);
  }
  return set;
}

/** Reports what changed since the client's MODSEQ: VANISHED (EARLIER) then FETCH (RFC 7162 §3.2.5.1). */
async function resync(s: ImapSession, view: MailboxView, q: QresyncParams): Promise<void> {
  let vanished = await s.store.expungedSince(view.mailbox.accountId, view.mailbox.id, q.modseq);
  if (q.knownUids && !q.knownUids.saved) {
    const sorted = [...new Set(vanished)].sort((x, y) => x - y);
    vanished = expandRanges(q.knownUids.ranges, view.maxUid, sorted);
  }
  vanished = vanished.filter((u) => !view.byUid.has(u));
  if (vanished.length > 0) {
    await s.out.line(
      `* VANISHED (EARLIER) ${formatSequenceSet([...new Set(vanished)].sort((x, y) => x - y))}`,
    );
  }
  for (let i = 0; i < view.entries.length; i++) {
    const p = view.entries[i]!;
    if (p.modseq <= q.modseq) continue;
    await s.out.line(`* ${i + 1} FETCH (UID ${p.uid} FLAGS ${flagsOf(s, view, p)} MODSEQ (${p.modseq}))`);
  }
}

async function sendSelectResponses(s: ImapSession, view: MailboxView): Promise<void> {
  const keywords = new Set<string>();
  // Placements mostly share their keyword arrays (the store's are frozen and interned): each
  // distinct array is read once, which keeps this loop cheap for a 100,000-message mailbox.
  const lists = new Set<readonly string[]>();
  let last: readonly string[] | null = null;
  for (const p of view.entries) {
    const k = p.keywords;
    if (k === last) continue;
    last = k;
    if (lists.has(k)) continue;
    lists.add(k);
    for (const x of k) keywords.add(x);
  }
  const custom = [...keywords].filter((k) =>
    !["$seen", "$answered", "$flagged", "$draft", "$deleted"].includes(k)
  )
    .sort();
  // The keywords listed here are the session's announced ones (RFC 9051 §7.3.5): later responses
  // that use another one announce FLAGS again first (view_responses.ts).
  for (const k of custom) view.announced.add(k);
  const [flagsLine, permanentLine] = flagsLines(view);
  await s.out.line(`* ${view.exists} EXISTS`);
  if (!s.rev2) {
    // RFC 3501 §7.3.2: the messages this session claimed as \Recent.
    view.recentReported = view.recentCount();
    await s.out.line(`* ${view.recentReported} RECENT`);
  }
  await s.out.line(flagsLine!);
  await s.out.line(permanentLine!);
  await s.out.line(`* OK [UIDVALIDITY ${view.mailbox.uidValidity}] UIDs valid`);
  await s.out.line(`* OK [UIDNEXT ${view.mailbox.uidNext}] Predicted next UID`);
  // RFC 8474 §4.1: the mailbox's immutable id.
  await s.out.line(`* OK [MAILBOXID (${view.mailbox.id})] Ok`);
  if (s.condstore) {
    const highest = Math.max(view.mailbox.highestModseq, view.modseq);
    await s.out.line(`* OK [HIGHESTMODSEQ ${highest}] Highest`);
  }
  if (s.rev2) {
    // RFC 9051 §6.3.2: the LIST response carries the canonical name.
    await s.out.line(`* LIST () "/" ${s.encodeName(view.name)}`);
  } else {
    const firstUnseen = view.entries.findIndex((p) => !p.keywords.includes("$seen"));
    if (firstUnseen >= 0) await s.out.line(`* OK [UNSEEN ${firstUnseen + 1}] First unseen`);
  }
}

/** SELECT. */
export const select: CommandSpec = selectCommand(false);
/** EXAMINE. */
export const examine: CommandSpec = selectCommand(true);

/** CLOSE: silently expunges \Deleted messages when read-write, then deselects. */
export const close: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    const view = s.view!;
    // RFC 4314 §4: CLOSE expunges only with "e".
    if (!view.readOnly && view.rights.includes("e")) {
      const uids = await deletedShown(s);
      if (uids.length > 0) await s.store.expunge(view.mailbox.accountId, view.mailbox.id, uids);
    }
    s.setView(null);
    return ok("CLOSE completed");
  },
};

/** UNSELECT (RFC 3691). */
export const unselect: CommandSpec = {
  states: SELECTED,
  handle(s, cmd) {
    new Args(cmd.args).end();
    s.setView(null);
    return Promise.resolve(ok("UNSELECT completed"));
  },
};
