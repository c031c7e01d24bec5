/**
 * NOTIFY (RFC 5465): the client names mailboxes (SELECTED, SELECTED-DELAYED, INBOXES, PERSONAL,
 * SUBSCRIBED, SUBTREE, MAILBOXES) and events (MessageNew, MessageExpunge, FlagChange,
 * MailboxName, SubscriptionChange); the session then sends, at any time and not only in IDLE,
 * STATUS responses for watched mailboxes other than the selected one, LIST responses for mailbox
 * names and subscriptions, and the selected mailbox's EXISTS/EXPUNGE/FETCH. Fed by the store's
 * change notifier, so one connection watches every mailbox (as Apple Mail does).
 *
 * @module
 */
import type { Mailbox } from "../../../core/store/types.ts";
import type { MetadataEvent } from "../../../core/store/notifier.ts";
import { sharedWith } from "../../../core/acl/access.ts";
import { fullNames } from "../../../core/acl/mailbox_names.ts";
import { OTHER_USERS, sharedName } from "../../../core/acl/operations.ts";
import type { ImapSession, SessionNotify } from "../session_types.ts";
import type { ListToken, Token } from "../parser/tokens.ts";
import { planFetch } from "../fetch/items.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { fetch as fetchCommand } from "./fetch.ts";
import { bad, no, ok } from "../errors.ts";
import { DELIMITER, type MailboxTree } from "../mailbox_names.ts";
import { AUTH, type CommandSpec } from "./types.ts";

/** The message events (RFC 5465 §5.2–§5.4) and mailbox events (§5.5, §5.6) Tern sends. */
export const SUPPORTED_EVENTS = [
  "MessageNew",
  "MessageExpunge",
  "FlagChange",
  "MailboxName",
  "SubscriptionChange",
  "MailboxMetadataChange",
  "ServerMetadataChange",
];

/** Events RFC 5465 defines that Tern does not send (no RFC 5257 annotations). */
const KNOWN_UNSUPPORTED = ["AnnotationChange"];

/** Which mailboxes an event group covers (RFC 5465 §6). */
export type MailboxFilter =
  | { kind: "selected" | "selected-delayed" | "inboxes" | "personal" | "subscribed" }
  | { kind: "subtree" | "mailboxes"; names: string[] };

/** One `(filter events)` group. */
export interface EventGroup {
  filter: MailboxFilter;
  /** Event names as in SUPPORTED_EVENTS; empty for NONE. */
  events: Set<string>;
  /** The fetch-att list of `MessageNew (fetch-att ...)` (RFC 5465 §5.2), SELECTED groups only. */
  fetch?: ListToken;
}

/** A parsed NOTIFY command. */
export type NotifyCommand = { kind: "none" } | { kind: "set"; status: boolean; groups: EventGroup[] };

/**
 * Parses NOTIFY's arguments (RFC 5465 §8): `"NONE"` or `"SET" [SP "STATUS"] *(SP event-group)`,
 * `event-group = "(" filter-mailboxes SP events ")"`, `events = "(" event *(SP event) ")" /
 * "NONE"`. An unknown event is BAD; a known one Tern does not send is NO [BADEVENT (supported)];
 * SELECTED/SELECTED-DELAYED at most once; MessageNew and MessageExpunge go together and
 * FlagChange needs them (§5).
 *
 * @param decode turns a mailbox argument into a full name
 */
export function parseNotify(args: Token[], decode: (raw: string) => string): NotifyCommand {
  const head = args[0];
  if (head?.type !== "atom") throw bad("Expected SET or NONE");
  const verb = head.value.toUpperCase();
  if (verb === "NONE") {
    if (args.length !== 1) throw bad("Unexpected arguments after NONE");
    return { kind: "none" };
  }
  if (verb !== "SET") throw bad("Expected SET or NONE");
  let i = 1;
  let status = false;
  const st = args[1];
  if (st?.type === "atom" && st.value.toUpperCase() === "STATUS") {
    status = true;
    i++;
  }
  const groups: EventGroup[] = [];
  let selectedSeen = false;
  const unsupported = new Set<string>();
  for (; i < args.length; i++) {
    const g = args[i]!;
    if (g.type !== "list" || g.items.length < 2) throw bad("Invalid event group");
    const kindTok = g.items[0]!;
    if (kindTok.type !== "atom") throw bad("Invalid mailbox filter");
    const kind = kindTok.value.toLowerCase();
    let filter: MailboxFilter;
    let eventsTok: Token | undefined;
    if (kind === "selected" || kind === "selected-delayed") {
      // RFC 5465 §6: at most one of SELECTED and SELECTED-DELAYED.
      if (selectedSeen) throw bad("Duplicate selected filter");
      selectedSeen = true;
      filter = { kind };
      eventsTok = g.items[1];
      if (g.items.length !== 2) throw bad("Invalid event group");
    } else if (kind === "inboxes" || kind === "personal" || kind === "subscribed") {
      filter = { kind };
      eventsTok = g.items[1];
      if (g.items.length !== 2) throw bad("Invalid event group");
    } else if (kind === "subtree" || kind === "mailboxes") {
      const m = g.items[1]!;
      const raws = m.type === "list" ? m.items : [m];
      if (raws.length === 0) throw bad("Missing mailbox names");
      const names = raws.map((r) => {
        if (r.type === "list") throw bad("Invalid mailbox name");
        return decode(r.value);
      });
      filter = { kind, names };
      eventsTok = g.items[2];
      if (g.items.length !== 3) throw bad("Invalid event group");
    } else {
      throw bad("Invalid mailbox filter");
    }
    const events = new Set<string>();
    let fetch: ListToken | undefined;
    if (eventsTok?.type === "atom" && eventsTok.value.toUpperCase() === "NONE") {
      // No events for these mailboxes.
    } else if (eventsTok?.type === "list" && eventsTok.items.length > 0) {
      for (let j = 0; j < eventsTok.items.length; j++) {
        const e = eventsTok.items[j]!;
        if (e.type !== "atom") throw bad("Invalid event");
        const name = [...SUPPORTED_EVENTS, ...KNOWN_UNSUPPORTED].find((x) =>
          x.toLowerCase() === e.value.toLowerCase()
        );
        if (!name) throw bad(`Unknown event ${e.value}`);
        if (KNOWN_UNSUPPORTED.includes(name)) unsupported.add(name);
        events.add(name);
        const next = eventsTok.items[j + 1];
        if (name === "MessageNew" && next?.type === "list") {
          // RFC 5465 §8: a fetch-att list only for SELECTED or SELECTED-DELAYED.
          if (filter.kind !== "selected" && filter.kind !== "selected-delayed") {
            throw bad("MessageNew fetch attributes are for SELECTED or SELECTED-DELAYED only");
          }
          // RFC 5465 §5.2: FETCH attributes as FETCH takes them; a notification never sets \Seen,
          // so attributes that would (BODY[...] without .PEEK, RFC822, RFC822.TEXT) are refused.
          if (planFetch(next, true).setsSeen) throw bad("MessageNew fetch attributes must not set \\Seen");
          fetch = next;
          j++;
        }
      }
    } else {
      throw bad("Invalid events");
    }
    // RFC 5465 §5: MessageNew and MessageExpunge together; FlagChange (and AnnotationChange) need both.
    const msgNew = events.has("MessageNew");
    if (msgNew !== events.has("MessageExpunge")) throw bad("MessageNew and MessageExpunge go together");
    if ((events.has("FlagChange") || events.has("AnnotationChange")) && !msgNew) {
      throw bad("FlagChange needs MessageNew and MessageExpunge");
    }
    groups.push(fetch ? { filter, events, fetch } : { filter, events });
  }
  if (unsupported.size > 0) {
    // RFC 5465 §8: resp-text-code =/ "BADEVENT" SP "(" event *(SP event) ")": the events supported.
    throw no("Unsupported NOTIFY events", `BADEVENT (${SUPPORTED_EVENTS.join(" ")})`);
  }
  return { kind: "set", status, groups };
}

/**
 * Sends `MessageNew (fetch-att ...)`'s FETCH for the messages the client learnt of (EXISTS) since
 * the last call (RFC 5465 §5.2), as UID FETCH would answer it. A newly selected mailbox only sets
 * the mark (SELECT told its messages). While expunges are held back (SELECTED-DELAYED, or after a
 * FETCH, STORE or SEARCH, RFC 9051 §7.5.1) they wait: a FETCH now would have to report them.
 */
export async function fetchNewMessages(s: ImapSession, state: NotifyState): Promise<void> {
  const sel = state.selected;
  const view = s.view;
  if (!sel?.fetch || !view) return;
  if (state.fetchView !== view) {
    state.fetchView = view;
    state.fetchedUpTo = view.maxUid;
    return;
  }
  for (const p of view.entries) if (p.uid > state.fetchedUpTo) state.newUids.add(p.uid);
  state.fetchedUpTo = view.maxUid;
  if (state.newUids.size === 0 || view.gone.size > 0) return;
  const uids = [...state.newUids].filter((u) => view.byUid.has(u)).sort((a, b) => a - b);
  state.newUids.clear();
  if (uids.length === 0) return;
  await fetchCommand.handle(s, {
    tag: "*",
    name: "FETCH",
    uid: true,
    args: [{ type: "atom", value: formatSequenceSet(uids) }, sel.fetch],
  });
}

/** A shared mailbox NOTIFY watches. */
interface SharedWatched {
  mailbox: Mailbox;
  /** Its name in the user's namespace. */
  name: string;
  /** The user's rights on it (with "l"). */
  rights: string;
}

/** What the session last told the client about a non-selected mailbox. */
interface Known {
  name: string;
  inbox: boolean;
  subscribed: boolean;
  messages: number;
  uidNext: number;
  unseen: number;
  modseq: number;
}

/** A session's active NOTIFY (RFC 5465): its groups and what the client was last told. */
export class NotifyState implements SessionNotify {
  /** Mailbox ids changed since the last delivery ("*" for the mailbox list itself). */
  readonly pending = new Set<string>();
  /** UIDs new in the selected mailbox whose MessageNew FETCH is still to be sent (RFC 5465 §5.2). */
  readonly newUids = new Set<number>();
  /** The selected mailbox's view those UIDs are of, and the highest UID already handled in it. */
  fetchView: object | null = null;
  fetchedUpTo = 0;
  /** METADATA changes not yet told (RFC 5465 §5.6, §5.7). */
  readonly metadata: { accountId: string; event: MetadataEvent }[] = [];
  /** Unsubscribes from the owners of the shared mailboxes watched. */
  #unsubscribes: (() => void)[] = [];
  /** Per mailbox id, the state the client knows (names, subscription, counts). */
  #known = new Map<string, Known>();

  /** @param groups the event groups of the NOTIFY SET */
  constructor(readonly groups: EventGroup[]) {}

  /**
   * Whether the selected mailbox's message events are off (RFC 5465 §6): only a SELECTED or
   * SELECTED-DELAYED group naming MessageNew/MessageExpunge covers them; the other filters never
   * name the selected mailbox's messages. Then no EXISTS, EXPUNGE, FETCH or RECENT is sent for it
   * until NOTIFY changes (as Dovecot does).
   */
  get selectedQuiet(): boolean {
    return !this.selected?.events.has("MessageNew");
  }

  /** Whether flag changes in the selected mailbox are told as FETCH (RFC 5465 §5.1: FlagChange). */
  get selectedFlags(): boolean {
    return this.selected?.events.has("FlagChange") ?? false;
  }

  /** The SELECTED/SELECTED-DELAYED group, if any. */
  get selected(): EventGroup | null {
    return this.groups.find((g) => g.filter.kind === "selected" || g.filter.kind === "selected-delayed") ??
      null;
  }

  /** The events that apply to a (non-selected) mailbox: the first group whose filter names it (RFC 5465 §6). */
  eventsFor(m: { role?: string | null; subscribed: boolean }, name: string): Set<string> | null {
    for (const g of this.groups) {
      const f = g.filter;
      let hit = false;
      switch (f.kind) {
        case "selected":
        case "selected-delayed":
          continue;
        case "inboxes":
        case "personal":
          // RFC 5465 §6: INBOXES is the mailboxes an MDA may deliver to, and a server that cannot
          // easily tell them treats it as PERSONAL. Sieve `fileinto` and `+detail` addressing may
          // deliver to any mailbox, so INBOXES is PERSONAL here (as in Dovecot).
          hit = true;
          break;
        case "subscribed":
          hit = m.subscribed;
          break;
        case "subtree":
          hit = f.names.some((n) => name === n || name.startsWith(n + DELIMITER));
          break;
        case "mailboxes":
          hit = f.names.includes(name);
          break;
      }
      if (hit) return g.events;
    }
    return null;
  }

  /** Whether a SUBTREE or MAILBOXES group names something in the other-users namespace. */
  get coversShared(): boolean {
    return this.groups.some((g) =>
      g.filter.kind === "subscribed" ||
      ((g.filter.kind === "subtree" || g.filter.kind === "mailboxes") &&
        g.filter.names.some((n) => n === OTHER_USERS || n.startsWith(OTHER_USERS + DELIMITER)))
    );
  }

  /** The user's subscriptions to shared names (RFC 4314 §6), as of the last look at the shared mailboxes. */
  #sharedSubscribed = new Set<string>();

  /**
   * The events for a shared mailbox (RFC 4314 with RFC 5465 §6): SUBTREE and MAILBOXES naming it,
   * SUBSCRIBED when the user subscribed to its shared name; PERSONAL and INBOXES are the user's
   * own mailboxes.
   */
  sharedEventsFor(name: string): Set<string> | null {
    for (const g of this.groups) {
      const f = g.filter;
      if (f.kind === "subscribed" && this.#sharedSubscribed.has(name)) return g.events;
      if (f.kind === "subtree" && f.names.some((n) => name === n || name.startsWith(n + DELIMITER))) {
        return g.events;
      }
      if (f.kind === "mailboxes" && f.names.includes(name)) return g.events;
    }
    return null;
  }

  /**
   * The other users' mailboxes the groups name and the user may look up ("l"), with their rights
   * and the names the user sees (`Other Users/<owner>/<name>`).
   */
  async #sharedMailboxes(s: ImapSession): Promise<SharedWatched[]> {
    if (!this.coversShared) return [];
    const out: SharedWatched[] = [];
    const names = new Map<string, Map<string, string>>();
    if (this.groups.some((g) => g.filter.kind === "subscribed")) {
      this.#sharedSubscribed = new Set(
        (await s.store.subscriptions.list(s.accountId)).filter((n) => n.startsWith(OTHER_USERS + DELIMITER)),
      );
    }
    for (const sh of await sharedWith(s.store, s.accountId)) {
      let byId = names.get(sh.owner.id);
      if (!byId) names.set(sh.owner.id, byId = fullNames(await s.store.listMailboxes(sh.owner.id)));
      const name = sharedName(sh.owner.address, byId.get(sh.mailbox.id) ?? sh.mailbox.name);
      if (this.sharedEventsFor(name)) out.push({ mailbox: sh.mailbox, name, rights: sh.rights });
    }
    return out;
  }

  /** Stops following the shared mailboxes' owners (NOTIFY replaced or ended, session closed). */
  close(): void {
    for (const u of this.#unsubscribes.splice(0)) u();
  }

  /** Remembers the current state of the account's mailboxes (at NOTIFY SET), sending STATUS if asked. */
  async start(s: ImapSession, status: boolean): Promise<void> {
    const shared = await this.#sharedMailboxes(s);
    // Changes in a shared mailbox happen in its owner's account: follow the owners named.
    for (const ownerId of new Set(shared.map((x) => x.mailbox.accountId))) {
      this.#unsubscribes.push(s.store.notifier.subscribe(ownerId, (e) => {
        if (e.metadata) this.metadata.push({ accountId: e.accountId, event: e.metadata });
        for (const id of e.mailboxIds) this.pending.add(id);
        if (e.types.includes("Mailbox")) this.pending.add("*");
        s.notifyWake();
      }));
    }
    for (const x of shared) {
      const known = await this.#snapshot(s, x.mailbox, x.name);
      this.#known.set(x.mailbox.id, known);
      const events = this.sharedEventsFor(x.name);
      // RFC 4314 §4: message counts only with the read right.
      if (!status || !events?.has("MessageNew") || !x.rights.includes("r")) continue;
      if (s.view?.mailbox.id === x.mailbox.id) continue;
      const modseq = s.condstore ? ` HIGHESTMODSEQ ${known.modseq}` : "";
      await s.out.line(
        `* STATUS ${
          s.encodeName(x.name)
        } (MESSAGES ${known.messages} UIDNEXT ${known.uidNext} UIDVALIDITY ${x.mailbox.uidValidity} UNSEEN ${known.unseen}${modseq})`,
      );
    }
    const tree = await s.tree();
    for (const m of tree.mailboxes) {
      const name = tree.name(m);
      const known = await this.#snapshot(s, m, name);
      this.#known.set(m.id, known);
      const events = this.eventsFor(m, name);
      // RFC 5465 §5.1 (STATUS): the watched mailboxes' STATUS now, the selected one aside.
      if (!status || !events || events.size === 0 || s.view?.mailbox.id === m.id) continue;
      if (!events.has("MessageNew")) continue;
      const modseq = s.condstore ? ` HIGHESTMODSEQ ${known.modseq}` : "";
      await s.out.line(
        `* STATUS ${
          s.encodeName(name)
        } (MESSAGES ${known.messages} UIDNEXT ${known.uidNext} UIDVALIDITY ${m.uidValidity} UNSEEN ${known.unseen}${modseq})`,
      );
    }
  }

  /**
   * Unsolicited METADATA responses (RFC 5464 §4.4.2: the entry names, no values) for changed
   * entries: a mailbox's under MailboxMetadataChange of a group naming it (RFC 5465 §5.6), the
   * server's under ServerMetadataChange in any group (§5.7). `/private` entries are told only to
   * the user they belong to; a shared mailbox's `/shared` ones only with the read right (as
   * GETMETADATA, RFC 5464 §3.2 with RFC 4314).
   */
  async #deliverMetadata(s: ImapSession): Promise<void> {
    const batch = this.metadata.splice(0);
    const told = new Set<MetadataEvent>();
    let tree: MailboxTree | null = null;
    let shared: SharedWatched[] | null = null;
    for (const { accountId, event: e } of batch) {
      // The same change reaches a session selecting a shared mailbox twice (its owner followed twice).
      if (told.has(e)) continue;
      told.add(e);
      let names = e.names.filter((n) => e.userId === s.accountId || !n.toLowerCase().startsWith("/private"));
      if (e.mailboxId === "") {
        if (
          accountId === s.accountId && names.length > 0 &&
          this.groups.some((g) => g.events.has("ServerMetadataChange"))
        ) {
          await s.out.line(`* METADATA "" ${names.join(" ")}`);
        }
        continue;
      }
      let name: string;
      let events: Set<string> | null;
      if (accountId === s.accountId) {
        tree ??= await s.tree();
        const m = tree.mailboxes.find((x) => x.id === e.mailboxId);
        if (!m) continue;
        name = tree.name(m);
        events = this.eventsFor(m, name);
      } else {
        shared ??= await this.#sharedMailboxes(s);
        const x = shared.find((y) => y.mailbox.id === e.mailboxId && y.mailbox.accountId === accountId);
        if (!x) continue;
        name = x.name;
        events = this.sharedEventsFor(name);
        if (!x.rights.includes("r")) names = names.filter((n) => n.toLowerCase().startsWith("/private"));
      }
      if (names.length > 0 && events?.has("MailboxMetadataChange")) {
        await s.out.line(`* METADATA ${s.encodeName(name)} ${names.join(" ")}`);
      }
    }
  }

  async #snapshot(s: ImapSession, m: Mailbox, name: string): Promise<Known> {
    const counts = await s.store.mailboxCounts(m.accountId, m.id);
    return {
      name,
      inbox: m.role === "inbox",
      subscribed: m.subscribed,
      messages: counts.total,
      uidNext: m.uidNext,
      unseen: counts.unread,
      modseq: m.highestModseq,
    };
  }

  /**
   * Sends what changed since the last delivery: LIST for created, renamed and deleted mailboxes
   * (MailboxName, RFC 5465 §5.4) and subscription changes (SubscriptionChange, §5.5), and STATUS
   * for watched mailboxes other than the selected one whose messages (MessageNew/MessageExpunge,
   * §5.2, §5.3: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN) or only flags (FlagChange: UNSEEN) changed;
   * HIGHESTMODSEQ too once CONDSTORE is enabled.
   */
  async deliver(s: ImapSession): Promise<void> {
    if (this.groups.length === 0) {
      // NOTIFY NONE: nothing is told.
      this.pending.clear();
      this.metadata.length = 0;
      return;
    }
    if (this.metadata.length > 0) await this.#deliverMetadata(s);
    if (this.pending.size === 0) return;
    const changed = new Set(this.pending);
    this.pending.clear();
    const tree: MailboxTree = await s.tree();
    const seen = new Set<string>();
    for (const m of tree.mailboxes) {
      seen.add(m.id);
      const name = tree.name(m);
      const before = this.#known.get(m.id);
      // Counts are read again only for the mailboxes the notifier named (and new ones).
      const now = !before || changed.has(m.id)
        ? await this.#snapshot(s, m, name)
        : { ...before, name, inbox: m.role === "inbox", subscribed: m.subscribed };
      this.#known.set(m.id, now);
      const events = this.eventsFor(m, name) ?? (before ? this.eventsFor(m, before.name) : null);
      if (!events) continue;
      const enc = s.encodeName(name);
      if (!before) {
        if (events.has("MailboxName")) {
          await s.out.line(
            `* LIST (${
              m.subscribed && events.has("SubscriptionChange") ? "\\Subscribed" : ""
            }) "${DELIMITER}" ${enc}`,
          );
        }
        continue;
      }
      if (before.name !== name && events.has("MailboxName")) {
        // RFC 5465 §5.4 with RFC 5258 §9 mbox-list-extended: OLDNAME names the old name.
        await s.out.line(`* LIST () "${DELIMITER}" ${enc} ("OLDNAME" (${s.encodeName(before.name)}))`);
      }
      if (before.subscribed !== now.subscribed && events.has("SubscriptionChange")) {
        await s.out.line(`* LIST (${now.subscribed ? "\\Subscribed" : ""}) "${DELIMITER}" ${enc}`);
      }
      if (s.view?.mailbox.id === m.id || !events.has("MessageNew")) continue;
      const modseq = s.condstore && now.modseq !== before.modseq ? ` HIGHESTMODSEQ ${now.modseq}` : "";
      if (now.messages !== before.messages || now.uidNext !== before.uidNext) {
        // RFC 5465 §5.2, §5.3: MESSAGES and UIDNEXT, with UIDVALIDITY so that the client can tell
        // the UIDs still apply (and UNSEEN), as Dovecot sends them.
        await s.out.line(
          `* STATUS ${enc} (MESSAGES ${now.messages} UIDNEXT ${now.uidNext} UIDVALIDITY ${m.uidValidity} UNSEEN ${now.unseen}${modseq})`,
        );
      } else if (events.has("FlagChange") && (now.unseen !== before.unseen || modseq)) {
        await s.out.line(`* STATUS ${enc} (UNSEEN ${now.unseen}${modseq})`);
      }
    }
    for (const x of await this.#sharedMailboxes(s)) {
      seen.add(x.mailbox.id);
      const before = this.#known.get(x.mailbox.id);
      const now = !before || changed.has(x.mailbox.id) || before.name !== x.name
        ? await this.#snapshot(s, x.mailbox, x.name)
        : before;
      this.#known.set(x.mailbox.id, now);
      const events = this.sharedEventsFor(x.name);
      if (!events) continue;
      const enc = s.encodeName(x.name);
      if (!before || before.name !== x.name) {
        // A mailbox newly shared or renamed into the watched names; the old name is told as renamed.
        if (events.has("MailboxName")) {
          const old = before ? ` ("OLDNAME" (${s.encodeName(before.name)}))` : "";
          await s.out.line(`* LIST () "${DELIMITER}" ${enc}${old}`);
        }
        if (!before) continue;
      }
      // RFC 4314 §4: the message events need the read right.
      if (s.view?.mailbox.id === x.mailbox.id || !events.has("MessageNew") || !x.rights.includes("r")) {
        continue;
      }
      const modseq = s.condstore && now.modseq !== before.modseq ? ` HIGHESTMODSEQ ${now.modseq}` : "";
      if (now.messages !== before.messages || now.uidNext !== before.uidNext) {
        // RFC 5465 §5.2, §5.3: as for the user's own mailboxes (UIDVALIDITY included).
        await s.out.line(
          `* STATUS ${enc} (MESSAGES ${now.messages} UIDNEXT ${now.uidNext} UIDVALIDITY ${x.mailbox.uidValidity} UNSEEN ${now.unseen}${modseq})`,
        );
      } else if (events.has("FlagChange") && (now.unseen !== before.unseen || modseq)) {
        await s.out.line(`* STATUS ${enc} (UNSEEN ${now.unseen}${modseq})`);
      }
    }
    for (const [id, k] of [...this.#known]) {
      if (seen.has(id)) continue;
      this.#known.delete(id);
      const events = k.name.startsWith(OTHER_USERS + DELIMITER)
        ? this.sharedEventsFor(k.name)
        : this.eventsFor({ role: k.inbox ? "inbox" : null, subscribed: k.subscribed }, k.name);
      // RFC 5465 §5.4: a deleted mailbox is reported \NonExistent.
      if (events?.has("MailboxName")) {
        await s.out.line(`* LIST (\\NonExistent) "${DELIMITER}" ${s.encodeName(k.name)}`);
      }
    }
  }
}

/**
 * NOTIFY (RFC 5465 §4): SET replaces the session's notifications (with STATUS: the watched
 * mailboxes' STATUS at once), NONE ends them.
 */
export const notify: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const parsed = parseNotify(cmd.args, (raw) => s.decodeName(raw));
    if (parsed.kind === "none" || parsed.groups.length === 0) {
      s.notify?.close();
      // RFC 5465 §3.1: NOTIFY NONE asks for no unsolicited responses at all, not even the ones
      // IMAP sends for the selected mailbox without NOTIFY (as Dovecot): an empty NOTIFY keeps
      // the selected mailbox quiet (a later SELECT or NOTIFY SET SELECTED catches the client up).
      s.notify = new NotifyState([]);
      return ok("NOTIFY completed");
    }
    s.notify?.close();
    const state = new NotifyState(parsed.groups);
    // RFC 5465 §5.2: messages already told (EXISTS) before the SET get no MessageNew FETCH.
    state.fetchView = s.view;
    state.fetchedUpTo = s.view?.maxUid ?? 0;
    s.notify = state;
    if (parsed.status && !s.condstore && parsed.groups.some((g) => g.events.has("FlagChange"))) {
      // RFC 5465 §5.1 with RFC 7162 §3.1: SET STATUS tells FlagChange mailboxes' HIGHESTMODSEQ,
      // which, as STATUS (HIGHESTMODSEQ) does, enables CONDSTORE; a selected mailbox's
      // HIGHESTMODSEQ is then sent as for the other CONDSTORE-enabling commands (as Dovecot does;
      // without STATUS, Dovecot leaves CONDSTORE off and so does Tern).
      s.enabled.add("CONDSTORE");
      const view = s.view;
      if (view) {
        await s.out.line(`* OK [HIGHESTMODSEQ ${Math.max(view.mailbox.highestModseq, view.modseq)}] Highest`);
      }
    }
    await state.start(s, parsed.status);
    return ok("NOTIFY completed");
  },
};
