/**
 * Evaluates a SEARCH program over the selected mailbox view: flag, size, date, sequence and UID
 * keys from the view's cache; text and header keys through the store's indexed query
 * (`queryMessages`); sent-date keys from the stored summaries. A message another session expunged
 * that this session still shows (RFC 9051 §7.5.1) is no longer in the store's index: its text,
 * header and sent-date keys are judged on the bytes the session's expunge hold keeps
 * (core/store/text_match.ts), as FETCH still serves them (RFC 2180 §4.1.1).
 *
 * @module
 */
import type { Message, MessageCondition, MessageFilter, MessageSummary } from "../../../core/store/types.ts";
import { textFilterMatches } from "../../../core/store/text_match.ts";
import { indexMessage } from "../../../core/store/message_index.ts";
import type { ImapSession } from "../session_types.ts";
import type { SearchKey } from "./program.ts";
import { firstMessages, resolveSet } from "../commands/sets.ts";
import { dayNumber } from "../parser/date.ts";
import { expandRanges } from "../parser/sequence_set.ts";

/** Evaluation context shared by one SEARCH command (lazy caches). */
class Evaluation {
  #messages: Map<string, Message> | null = null;
  #now: number | null = null;
  #saved: Map<number, number | null> | null | undefined = undefined;
  #held = new Map<number, Uint8Array | null>();
  #heldSummaries = new Map<number, MessageSummary | null>();
  /**
   * @param s the session
   * @param count how many of the view's first messages are searched (the others are newer than
   *   the command: sets.ts `KnownView`)
   */
  constructor(readonly s: ImapSession, readonly count: number) {}

  /** The server clock's time, read once so every WITHIN key of one command uses the same instant. */
  now(): number {
    this.#now ??= this.s.server.clock.now().getTime();
    return this.#now;
  }

  async messages(): Promise<Map<string, Message>> {
    if (this.#messages) return this.#messages;
    const view = this.s.view!;
    const ids = view.entries.map((p) => p.messageId);
    const map = new Map<string, Message>();
    for (let i = 0; i < ids.length; i += 1000) {
      for (
        const m of await this.s.store.getMessages(this.s.viewOwner, ids.slice(i, i + 1000), {
          mailboxIds: false,
        })
      ) {
        map.set(m.id, m);
      }
    }
    this.#messages = map;
    return map;
  }

  /** RFC 8514 save dates (ms) by UID of the whole mailbox, or null when the store keeps none. */
  async saved(): Promise<Map<number, number | null> | null> {
    if (this.#saved !== undefined) return this.#saved;
    const store = this.s.store;
    if (!store.savedDates) return this.#saved = null;
    const got = await store.savedDates(this.s.viewOwner, this.s.view!.mailbox.id);
    const map = new Map<number, number | null>();
    for (let i = 0; i < got.uids.length; i++) map.set(got.uids[i]!, got.dates[i]!);
    return this.#saved = map;
  }

  /**
   * The bytes of a message only this session's expunge hold still has (another session expunged
   * it), or null: not held (still in the mailbox), or its bytes are gone.
   */
  async heldBytes(uid: number): Promise<Uint8Array | null> {
    if (this.#held.has(uid)) return this.#held.get(uid)!;
    const held = this.s.view!.hold?.get(uid);
    const raw = held ? await this.s.store.blobs.get(held.blobId) : null;
    this.#held.set(uid, raw);
    return raw;
  }

  /**
   * Marks in `mask` the first `count` messages that the indexed query found (`ids`), or that are
   * held and match `filter` on their bytes.
   */
  async markFound(mask: Uint8Array, ids: Set<string>, filter: MessageFilter): Promise<Uint8Array> {
    const view = this.s.view!;
    for (let i = 0; i < this.count; i++) {
      const p = view.entries[i]!;
      if (ids.has(p.messageId)) {
        mask[i] = 1;
        continue;
      }
      // The usual case, a message still in the mailbox that did not match: no await per message.
      if (view.hold?.get(p.uid) === undefined) continue;
      const raw = await this.heldBytes(p.uid);
      if (raw !== null && textFilterMatches(raw, filter)) mask[i] = 1;
    }
    return mask;
  }

  /** The summary of a held message (`heldBytes`), derived once per command. */
  async heldSummary(uid: number): Promise<MessageSummary | null> {
    if (this.#heldSummaries.has(uid)) return this.#heldSummaries.get(uid)!;
    const raw = await this.heldBytes(uid);
    const summary = raw === null ? null : indexMessage(raw).summary;
    this.#heldSummaries.set(uid, summary);
    return summary;
  }

  async query(cond: MessageFilter): Promise<Set<string>> {
    const view = this.s.view!;
    const ids = await this.s.store.queryMessages(this.s.viewOwner, {
      filter: { operator: "AND", conditions: [{ inMailbox: view.mailbox.id }, cond] },
    });
    return new Set(ids);
  }
}

const EPOCH = new Date(0);

function cmpDay(cmp: "before" | "on" | "since", d: Date, day: Date): boolean {
  const a = dayNumber(d);
  const b = dayNumber(day);
  return cmp === "before" ? a < b : cmp === "on" ? a === b : a >= b;
}

async function evalKey(e: Evaluation, key: SearchKey): Promise<Uint8Array> {
  const view = e.s.view!;
  const n = e.count;
  const mask = new Uint8Array(n);
  const each = (pred: (i: number) => boolean) => {
    for (let i = 0; i < n; i++) if (pred(i)) mask[i] = 1;
    return mask;
  };
  const p = (i: number) => view.entries[i]!;
  switch (key.op) {
    case "all":
      return mask.fill(1);
    case "none":
      return mask;
    case "and": {
      mask.fill(1);
      for (const k of key.keys) {
        const m = await evalKey(e, k);
        for (let i = 0; i < n; i++) mask[i]! &= m[i]!;
      }
      return mask;
    }
    case "or": {
      const a = await evalKey(e, key.a);
      const b = await evalKey(e, key.b);
      return each((i) => (a[i]! | b[i]!) === 1);
    }
    case "not": {
      const a = await evalKey(e, key.key);
      return each((i) => a[i] === 0);
    }
    case "keyword":
      return each((i) => p(i).keywords.includes(key.keyword) === key.present);
    case "recent":
      return each((i) => (view.recent.length > 0 && view.isRecent(view.uids[i]!)) === key.present);
    case "size":
      return each((i) => key.larger ? p(i).size > key.n : p(i).size < key.n);
    case "internal":
      return each((i) => cmpDay(key.cmp, p(i).receivedAt, key.day));
    case "within": {
      // RFC 5032 §1: the age of the INTERNALDATE against the server's clock, in seconds. At the
      // exact boundary a message is both OLDER and YOUNGER (as Dovecot counts: OLDER n is
      // "before now - n + 1", YOUNGER n is "since now - n").
      const cutoff = e.now() - key.seconds * 1000;
      return each((i) => {
        const t = p(i).receivedAt.getTime();
        return key.older ? t <= cutoff : t >= cutoff;
      });
    }
    case "uid": {
      // "*" is the last of the messages searched (RFC 9051 §9 seq-number).
      const uids = new Set(resolveSet(e.s, key.set, true, firstMessages(e.s, n)));
      return each((i) => uids.has(view.uids[i]!));
    }
    case "seq": {
      if (key.set.saved) {
        const uids = new Set(resolveSet(e.s, key.set, true));
        return each((i) => uids.has(view.uids[i]!));
      }
      // RFC 9051 §6.4.4: a search key names messages; numbers above the message count name none,
      // so they match nothing rather than being an error (as Dovecot answers).
      for (const seq of expandRanges(key.set.ranges, n)) mask[seq - 1] = 1;
      return mask;
    }
    case "sent": {
      const msgs = await e.messages();
      // Messages only the expunge hold still has: their summaries from their bytes.
      const heldSummaries = new Map<number, MessageSummary>();
      for (let i = 0; i < n && view.hold !== null; i++) {
        if (msgs.has(p(i).messageId) || view.hold.get(p(i).uid) === undefined) continue;
        const summary = await e.heldSummary(p(i).uid);
        if (summary !== null) heldSummaries.set(i, summary);
      }
      return each((i) => {
        const summary = msgs.get(p(i).messageId)?.summary ?? heldSummaries.get(i);
        const sentAt = summary?.sentAt;
        // RFC 9051 §6.4.4: the day of the Date: header in its own zone, disregarding time and zone.
        // Without a usable Date: header the message has no sent date and counts as sent on
        // 1-Jan-1970, as Dovecot has it.
        const d = sentAt ? new Date(sentAt.getTime() + (summary.sentOffset ?? 0) * 60_000) : EPOCH;
        return cmpDay(key.cmp, d, key.day);
      });
    }
    case "saved": {
      // RFC 8514 §4: a message whose save date the server cannot tell is searched by its internal
      // date instead.
      const saved = await e.saved();
      return each((i) => {
        const ms = saved?.get(view.uids[i]!);
        return cmpDay(key.cmp, ms === undefined || ms === null ? p(i).receivedAt : new Date(ms), key.day);
      });
    }
    case "savedatesupported":
      // RFC 8514 §4: every message when the mailbox keeps save dates, none otherwise.
      return (await e.saved()) ? mask.fill(1) : mask;
    case "modseq":
      return each((i) => p(i).modseq >= key.min);
    case "emailid":
      return each((i) => p(i).messageId === key.id);
    case "threadid": {
      const msgs = await e.messages();
      return each((i) =>
        (msgs.get(p(i).messageId)?.threadId ?? view.hold?.get(p(i).uid)?.threadId) === key.id
      );
    }
    case "text": {
      // An empty string matches every message (substring of anything).
      if (key.value === "") return mask.fill(1);
      // RFC 9051 §6.4.4: TEXT looks in the header and the body; the indexed columns hold the
      // decoded subject, addresses and body text, the header text every other field.
      const filter: MessageFilter = key.field === "text"
        ? { operator: "OR", conditions: [{ text: key.value }, { anyHeader: key.value }] }
        : { [key.field]: key.value };
      return await e.markFound(mask, await e.query(filter), filter);
    }
    case "header": {
      // A name that cannot be a field name (RFC 5322 §3.6.8 ftext) is in no message.
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key.name)) return mask;
      const cond: MessageCondition = key.value === ""
        ? { header: [key.name] }
        : { header: [key.name, key.value] };
      return await e.markFound(mask, await e.query(cond), cond);
    }
  }
}

/**
 * Runs a search over the view's first `count` messages (default: all); returns matching UIDs in
 * ascending order.
 */
export async function runSearch(
  s: ImapSession,
  key: SearchKey,
  count = s.view!.uids.length,
): Promise<number[]> {
  const mask = await evalKey(new Evaluation(s, count), key);
  const view = s.view!;
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(view.uids[i]!);
  return out;
}
