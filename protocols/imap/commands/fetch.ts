/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9): flags and dates from the mailbox view, envelope
 * and structure from the parsed message, sections sliced from the raw bytes and whole bodies
 * streamed from the blob store.
 *
 * @module
 */
import { enableCondstore } from "./condstore.ts";
import { parseMime } from "../../../core/mime/parse.ts";
import { findPartAt } from "../../../core/mime/section.ts";
import type { MimePart } from "../../../core/mime/types.ts";
import type { Message, Placement } from "../../../core/store/types.ts";
import { withKeywords } from "../mailbox_view.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";
import {
  type FetchItem,
  type FetchPlan,
  isPreviewAtom,
  isPreviewModifiers,
  planFetch,
} from "../fetch/items.ts";
import { formatPreview, previewText } from "../fetch/preview.ts";
import { summarize } from "../../../core/mime/summary.ts";
import { applyPartial, sectionBytes } from "../fetch/section.ts";
import { decodeTransfer } from "../fetch/decode.ts";
import { formatEnvelope } from "../format/envelope.ts";
import { formatBodyStructure } from "../format/bodystructure.ts";
import { envelopeHeaders, octetBytes } from "../format/octets.ts";
import { DerivedCache, derivedCache, type DerivedItem } from "../fetch/derived_cache.ts";
import { type MessageBlobs, messageBlobsOf } from "../fetch/message_blobs.ts";
import { formatImapDateTime } from "../parser/date.ts";
import { announceKeywords, flagsOf, keywordsOf } from "../view_responses.ts";
import { knownView, resolveSet } from "./sets.ts";
import { expandRanges, formatSequenceSet } from "../parser/sequence_set.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

const BATCH = 200;

/** Whole messages up to this size are read at once rather than streamed (one write per response). */
const SMALL_BODY = 32 * 1024;

/**
 * What rendering needs of a stored message: a live one, one held after its expunge, or only its
 * blob (`MessageBlobs`) when every item is cached.
 */
type MessageRef = Pick<Message, "blobId"> & Partial<Pick<Message, "threadId" | "summary">>;

/** A piece of a FETCH response: text, literal bytes or a streamed literal body. */
type Out = string | Uint8Array | ReadableStream<Uint8Array>;

/** Wraps text in a one-element list (renderItem returns pieces). */
function text(s: string): Promise<Out[]> {
  return Promise.resolve([s]);
}

/** FETCH / UID FETCH. */
export const fetch: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const set = a.sequenceSet();
    let itemsArg = a.next("FETCH items");
    // RFC 8970 §7: a lone `PREVIEW (LAZY)` takes its modifier list, which is not the FETCH modifiers.
    if (isPreviewAtom(itemsArg) && isPreviewModifiers(a.peek())) {
      itemsArg = { type: "list", items: [itemsArg, a.next()] };
    }
    let changedSince: number | null = null;
    let vanished = false;
    // A modifier list enables CONDSTORE (RFC 7162 §3.1), once the command has parsed.
    let modifiers = false;
    if (!a.done) {
      modifiers = true;
      const mods = new Args(a.list("FETCH modifiers").items);
      while (!mods.done) {
        const name = mods.atom("FETCH modifier").toUpperCase();
        // RFC 7162 §3.1.4.1: CHANGEDSINCE enables CONDSTORE and implies MODSEQ.
        if (name === "CHANGEDSINCE") changedSince = mods.number("mod-sequence");
        else if (name === "VANISHED") vanished = true;
        else throw bad(`Unknown FETCH modifier ${name}`);
      }
    }
    a.end();
    const plan = planFetch(itemsArg, cmd.uid, changedSince !== null);
    // Only a command that parsed enables CONDSTORE (a BAD one changes nothing).
    if (modifiers || asksModseq(plan)) await enableCondstore(s);
    // Learn about expunges first (reported later, RFC 9051 §7.5.1) so expunged messages are known.
    // The set names what the client knew before this command's updates (sets.ts).
    const known = knownView(s, set, cmd.uid);
    await s.deliverUpdates(cmd.uid);
    // RFC 7162 §3.2.6: VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled.
    if (vanished && (!cmd.uid || changedSince === null || !s.qresync)) {
      throw bad("VANISHED requires UID FETCH with CHANGEDSINCE after ENABLE QRESYNC", "CLIENTBUG");
    }
    if (vanished && !set.saved) {
      const gone = [...new Set(await s.store.expungedSince(s.viewOwner, s.view!.mailbox.id, changedSince!))]
        .sort((x, y) => x - y);
      // "*" is the highest UID the mailbox has given (UIDNEXT - 1), not only the highest still
      // there: every message may be gone (RFC 7162 §3.2.6, as Dovecot answers).
      const last = Math.max(s.view!.maxUid, s.view!.mailbox.uidNext - 1);
      const inSet = expandRanges(set.ranges, last, gone).filter((u) => !s.view!.byUid.has(u));
      if (inSet.length > 0) await s.out.line(`* VANISHED (EARLIER) ${formatSequenceSet(inSet)}`);
    }
    let uids = resolveSet(s, set, cmd.uid, known);
    if (changedSince !== null) {
      const since = changedSince;
      uids = uids.filter((u) => (s.view!.byUid.get(u)?.modseq ?? 0) > since);
    }
    let missing = false;
    // A keyword new to this session is announced before a FLAGS item uses it (RFC 9051 §7.3.5).
    if (plan.items.some((i) => i.kind === "simple" && i.name === "FLAGS")) {
      await announceKeywords(s, s.view!, keywordsOf(s.view!, uids));
    }
    const saved = plan.items.some((i) => i.kind === "simple" && i.name === "SAVEDATE")
      ? await savedDatesOf(s, uids)
      : null;
    if (!plan.needsMessage && !plan.needsParse && !plan.setsSeen) {
      // Cached items only (UID, FLAGS, INTERNALDATE, RFC822.SIZE, EMAILID): one string per chunk.
      await fetchCached(s, plan, uids, saved);
      return ok("FETCH completed");
    }
    for (let i = 0; i < uids.length; i += BATCH) {
      if (!await fetchBatch(s, plan, uids.slice(i, i + BATCH), saved)) missing = true;
    }
    // RFC 9051 §7.1: EXPUNGEISSUED when some message's content was gone (expunged before this
    // session's hold was open); the others were sent, so the FETCH still succeeds, as in Dovecot.
    if (missing) return ok("Some messages were already expunged", "EXPUNGEISSUED");
    return ok("FETCH completed");
  },
};

/** UID → save date (ms) of the requested messages, from one range read of the store. */
type SavedDates = Map<number, number | null>;

async function savedDatesOf(s: ImapSession, uids: number[]): Promise<SavedDates> {
  const out: SavedDates = new Map();
  if (uids.length === 0 || !s.store.savedDates) return out;
  // `uids` is ascending (resolveSet): its ends bound the range.
  const got = await s.store.savedDates(s.viewOwner, s.view!.mailbox.id, {
    minUid: uids[0]!,
    maxUid: uids.at(-1)!,
  });
  for (let i = 0; i < got.uids.length; i++) out.set(got.uids[i]!, got.dates[i]!);
  return out;
}

/** RFC 8514 §3: `SAVEDATE date-time`, or `SAVEDATE NIL` when the save date is unknown. */
function formatSaveDate(saved: SavedDates | null, uid: number): string {
  const ms = saved?.get(uid);
  return ms === undefined || ms === null ? "SAVEDATE NIL" : `SAVEDATE "${formatImapDateTime(new Date(ms))}"`;
}

async function fetchCached(
  s: ImapSession,
  plan: FetchPlan,
  uids: number[],
  saved: SavedDates | null,
): Promise<void> {
  const view = s.view!;
  let chunk = "";
  // `uids` and the view are both ascending: one forward walk finds each index (no searches).
  let j = 0;
  for (const uid of uids) {
    while (j < view.uids.length && view.uids[j]! < uid) j++;
    if (view.uids[j] !== uid) continue;
    const p = view.entries[j]!;
    let line = `* ${j + 1} FETCH (`;
    let first = true;
    for (const item of plan.items) {
      if (item.kind !== "simple") continue;
      if (!first) line += " ";
      first = false;
      switch (item.name) {
        case "UID":
          line += `UID ${p.uid}`;
          break;
        case "FLAGS":
          line += `FLAGS ${flagsOf(s, view, p)}`;
          break;
        case "INTERNALDATE":
          line += `INTERNALDATE "${formatImapDateTime(p.receivedAt)}"`;
          break;
        case "RFC822.SIZE":
          line += `RFC822.SIZE ${p.size}`;
          break;
        case "EMAILID":
          line += `EMAILID (${p.messageId})`;
          break;
        case "THREADID":
          break;
        case "MODSEQ":
          line += `MODSEQ (${p.modseq})`;
          break;
        case "SAVEDATE":
          line += formatSaveDate(saved, p.uid);
          break;
      }
    }
    chunk += line + ")\r\n";
    if (chunk.length > 32 * 1024) {
      await s.out.text(chunk);
      chunk = "";
    }
  }
  if (chunk) await s.out.text(chunk);
}

/** Whether the FETCH items name MODSEQ (RFC 7162 §3.1.4.1; CHANGEDSINCE adds it too). */
function asksModseq(plan: FetchPlan): boolean {
  return plan.items.some((i) => i.kind === "simple" && i.name === "MODSEQ");
}

async function fetchBatch(
  s: ImapSession,
  plan: FetchPlan,
  uids: number[],
  saved: SavedDates | null,
): Promise<boolean> {
  const view = s.view!;
  const placements = uids.map((u) => view.byUid.get(u)!).filter((p) => p !== undefined);
  // The items needing the parsed message are all ENVELOPE / BODY / BODYSTRUCTURE: a message whose
  // formatted items are all cached is neither read nor parsed.
  const derived = plan.items.filter((i) => i.kind === "envelope" || i.kind === "structure").map(derivedItem);
  const derivedOnly = plan.needsParse &&
    plan.items.every((i) =>
      i.kind !== "section" || i.spec.path.length === 0 && i.spec.text === null && i.type === "BODY"
    );
  // Nothing asked of the stored message but its blob (no THREADID, no PREVIEW, no implicit \Seen):
  // the messages whose blob id is known need no store read, only the others are looked up; when
  // the formatted items are all that is asked, a known blob counts only with all of them cached.
  const blobs = messageBlobsOf(s.store);
  // A \Seen set here is told with its MODSEQ (CONDSTORE) unless the plan already has it.
  const modseqAsked = asksModseq(plan);
  const blobOnly = !plan.setsSeen &&
    plan.items.every((i) => i.kind !== "preview" && !(i.kind === "simple" && i.name === "THREADID"));
  const messages = new Map<string, MessageRef>();
  const ask = blobOnly
    ? knownRefs(placements, blobs, derivedOnly ? derived : [], s.utf8, messages)
    : placements;
  if ((plan.needsMessage || plan.setsSeen) && ask.length > 0) {
    const list = await s.store.getMessages(s.viewOwner, ask.map((p) => p.messageId), { mailboxIds: false });
    for (const m of list) {
      messages.set(m.id, m);
      blobs.set(m.id, m.blobId);
    }
  }
  let allFound = true;
  // Implicit \Seen (RFC 9051 §6.4.5) for non-PEEK body fetches in a read-write mailbox.
  const seenNow = new Set<number>();
  // RFC 4314 §4: only with the "s" right.
  if (plan.setsSeen && !view.readOnly && view.rights.includes("s")) {
    const ids = placements.filter((p) => !view.gone.has(p.uid) && !p.keywords.includes("$seen"))
      .map((p) => p.messageId);
    if (ids.length > 0) {
      const r = await s.store.updateKeywords(s.viewOwner, ids, { add: ["$seen"] }, { origin: s.origin });
      const updated = new Set(r.updated.map((m) => m.id));
      for (const p of placements) {
        if (updated.has(p.messageId)) {
          const np = withKeywords(p, [...p.keywords, "$seen"], r.modseq);
          view.byUid.set(p.uid, np);
          seenNow.add(p.uid);
        }
      }
    }
  }
  for (const p0 of placements) {
    const p = view.byUid.get(p0.uid) ?? p0;
    const seq = view.seqOf(p.uid);
    // A message expunged by another session and not yet reported here is served from the view's
    // expunge hold (RFC 2180 §4.1.1): its blob stays until this session reports the expunge.
    const held = messages.has(p.messageId) ? undefined : view.hold?.get(p.uid);
    const msg: MessageRef | undefined = messages.get(p.messageId) ?? held;
    if (plan.needsMessage && !msg) {
      allFound = false;
      continue;
    }
    let raw: Uint8Array | null = null;
    let root: MimePart | null = null;
    // Taken out of the cache now: later sessions' FETCHes may evict entries while this one awaits.
    const formatted = derivedOnly && msg ? cachedItems(msg.blobId, derived, s.utf8) : null;
    if (plan.needsParse && !formatted) {
      raw = held ? await s.store.blobs.get(held.blobId) : await s.store.readMessage(s.viewOwner, p.messageId);
      // Destroyed since the message was looked up: the hold may have it now.
      const late = raw ? undefined : view.hold?.get(p.uid);
      if (late) raw = await s.store.blobs.get(late.blobId);
      if (!raw) {
        allFound = false;
        continue;
      }
      root = parseMime(raw);
    }
    // Everything is prepared before the first byte is sent: an error (UNKNOWN-CTE, a missing blob)
    // must never leave a half-written FETCH response on the wire.
    const parts: Out[] = [];
    let first = true;
    const sep = () => {
      const r = first ? "" : " ";
      first = false;
      return r;
    };
    let flagsSent = false;
    try {
      for (const item of plan.items) {
        if (item.kind === "simple" && item.name === "FLAGS") flagsSent = true;
        parts.push(...await renderItem(s, item, p, msg, raw, root, sep, saved, formatted));
      }
    } catch (e) {
      for (const x of parts) if (x instanceof ReadableStream) await x.cancel().catch(() => {});
      throw e;
    }
    if (seenNow.has(p.uid)) {
      if (!flagsSent) parts.push(`${sep()}FLAGS ${flagsOf(s, view, p)}`);
      // RFC 7162 §3.1: with CONDSTORE on, a FETCH response caused by setting \Seen carries the
      // message's new MODSEQ too.
      if (s.condstore && !modseqAsked) {
        parts.push(`${sep()}MODSEQ (${p.modseq})`);
      }
    }
    await s.out.text(`* ${seq} FETCH (`);
    for (const x of parts) {
      if (typeof x === "string") await s.out.text(x);
      else if (x instanceof Uint8Array) await s.out.bytes(x);
      else await s.out.stream(x);
    }
    await s.out.text(")\r\n");
  }
  return allFound;
}

/**
 * Puts in `out` the messages whose blob is known and has all `items` cached; returns the others.
 */
function knownRefs(
  placements: Placement[],
  blobs: MessageBlobs,
  items: DerivedItem[],
  utf8: boolean,
  out: Map<string, MessageRef>,
): Placement[] {
  const missing: Placement[] = [];
  for (const p of placements) {
    const blobId = blobs.get(p.messageId);
    if (blobId !== undefined && items.every((d) => derivedCache.peek(DerivedCache.key(blobId, d, utf8)))) {
      out.set(p.messageId, { blobId });
    } else {
      missing.push(p);
    }
  }
  return missing;
}

/** The formatted items of a blob when the cache holds them all, else null. */
function cachedItems(
  blobId: string,
  items: DerivedItem[],
  utf8: boolean,
): Map<DerivedItem, Uint8Array> | null {
  const out = new Map<DerivedItem, Uint8Array>();
  for (const d of items) {
    const b = derivedCache.get(DerivedCache.key(blobId, d, utf8));
    if (!b) return null;
    out.set(d, b);
  }
  return out;
}

/** The cache name of an ENVELOPE or BODY / BODYSTRUCTURE item. */
function derivedItem(item: FetchItem): DerivedItem {
  if (item.kind === "envelope") return "ENVELOPE";
  return item.kind === "structure" && item.extended ? "BODYSTRUCTURE" : "BODY";
}

async function renderItem(
  s: ImapSession,
  item: FetchItem,
  p: Placement,
  msg: MessageRef | undefined,
  raw: Uint8Array | null,
  root: MimePart | null,
  sep: () => string,
  saved: SavedDates | null,
  formatted: Map<DerivedItem, Uint8Array> | null,
): Promise<Out[]> {
  const utf8 = s.utf8;
  switch (item.kind) {
    case "simple":
      switch (item.name) {
        case "UID":
          return text(`${sep()}UID ${p.uid}`);
        case "FLAGS":
          return text(`${sep()}FLAGS ${flagsOf(s, s.view!, p)}`);
        case "INTERNALDATE":
          return text(`${sep()}INTERNALDATE "${formatImapDateTime(p.receivedAt)}"`);
        case "RFC822.SIZE":
          return text(`${sep()}RFC822.SIZE ${p.size}`);
        case "EMAILID":
          return text(`${sep()}EMAILID (${p.messageId})`);
        case "MODSEQ":
          return text(`${sep()}MODSEQ (${p.modseq})`);
        case "THREADID":
          return text(`${sep()}THREADID (${msg?.threadId ?? "NIL"})`);
        case "SAVEDATE":
          return text(`${sep()}${formatSaveDate(saved, p.uid)}`);
      }
      return [];
    case "preview": {
      // RFC 8970 §3.2: the stored preview (computed at delivery, so LAZY never has to wait and
      // never gets NIL). A message served from the expunge hold has no stored summary at hand.
      let stored = msg?.summary?.preview;
      if (stored === undefined) {
        const bytes = raw ?? (msg ? await s.store.blobs.get(msg.blobId) : null);
        if (!bytes) throw no("Message data unavailable", "UNAVAILABLE");
        stored = summarize(bytes).preview;
      }
      return text(`${sep()}${formatPreview(previewText(stored), utf8)}`);
    }
    case "envelope":
    case "structure": {
      // Formatted once per blob (derived_cache.ts); `raw` is null only when `formatted` has it.
      const name = derivedItem(item);
      let bytes = formatted?.get(name);
      if (!bytes) {
        const key = DerivedCache.key(msg!.blobId, name, utf8);
        // Octet strings: the stored header bytes go out unchanged (8-bit ones in literals).
        bytes = octetBytes(
          item.kind === "envelope"
            ? formatEnvelope(envelopeHeaders(raw!, root!.headers), utf8)
            : formatBodyStructure(raw!, root!, item.extended, utf8),
        );
        derivedCache.set(key, bytes);
      }
      return [`${sep()}${name} `, bytes];
    }
    case "section": {
      if (!root && msg) {
        // Whole message without parsing: stream it from the blob store.
        const size = p.size;
        const start = item.partial ? Math.min(item.partial.origin, size) : 0;
        const end = item.partial?.count != null ? Math.min(size, start + item.partial.count) : size;
        const head = `${sep()}${item.label} {${end - start}}\r\n`;
        if (end === start) return [head];
        if (size <= SMALL_BODY) {
          // Read whole: the writer queues it with the lines around it, so the response goes out
          // in one write (a stream is written chunk by chunk after a flush).
          const whole = await s.store.blobs.get(msg.blobId);
          if (!whole) throw no("Message data unavailable", "UNAVAILABLE");
          if (whole.length === size) return [head, whole.subarray(start, end)];
        }
        const stream = await s.store.blobs.stream(msg.blobId, { start, end });
        if (!stream) throw no("Message data unavailable", "UNAVAILABLE");
        return [head, stream];
      }
      let bytes = sectionBytes(raw!, root!, item.spec);
      if (item.type !== "BODY") {
        const part = findPartAt(root!, item.spec.path);
        if (part && bytes) {
          const decoded = decodeTransfer(bytes, part.encoding);
          if (!decoded) throw no("Unknown Content-Transfer-Encoding", "UNKNOWN-CTE");
          bytes = decoded;
        }
        if (item.type === "BINARY.SIZE") return text(`${sep()}${item.label} ${bytes?.length ?? 0}`);
      }
      if (!bytes) return text(`${sep()}${item.label} ""`);
      const out = applyPartial(bytes, item.partial);
      // RFC 3516 §4.3: literal8 when the decoded data contains NUL.
      const tilde = item.type === "BINARY" && out.includes(0) ? "~" : "";
      return [`${sep()}${item.label} ${tilde}{${out.length}}\r\n`, out];
    }
  }
}
