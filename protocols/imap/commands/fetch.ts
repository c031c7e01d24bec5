/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9): flags and dates from the mailbox view, envelope
 * and structure from the parsed message, sections sliced from the raw bytes and whole bodies
 * streamed from the blob store.
 *
 * @module
 */
import { parseMime } from "../../../core/mime/parse.ts";
import type { MimePart } from "../../../core/mime/types.ts";
import type { Message, Placement } from "../../../core/store/types.ts";
import { Args } from "../parser/args.ts";
import { no, ok } from "../errors.ts";
import type { ImapSession } from "../session.ts";
import { type FetchItem, type FetchPlan, planFetch } from "../fetch/items.ts";
import { applyPartial, sectionBytes } from "../fetch/section.ts";
import { decodeTransfer } from "../fetch/decode.ts";
import { findPart } from "../fetch/section.ts";
import { formatEnvelope } from "../format/envelope.ts";
import { formatBodyStructure } from "../format/bodystructure.ts";
import { formatImapDateTime } from "../parser/date.ts";
import { formatFlags } from "../flags.ts";
import { resolveSet } from "./sets.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

const BATCH = 200;

/** FETCH / UID FETCH. */
export const fetch: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const set = a.sequenceSet();
    const plan = planFetch(a.next("FETCH items"), cmd.uid);
    if (!a.done) {
      const mods = a.list("FETCH modifiers");
      if (mods.items.length > 0) throw no("FETCH modifiers are not supported", "CANNOT");
    }
    a.end();
    // Learn about expunges first (reported later, RFC 9051 §7.5.1) so expunged messages are known.
    await s.deliverUpdates(cmd.uid);
    const uids = resolveSet(s, set, cmd.uid);
    let missing = false;
    for (let i = 0; i < uids.length; i += BATCH) {
      if (!await fetchBatch(s, plan, uids.slice(i, i + BATCH))) missing = true;
    }
    // RFC 9051 §7.1: EXPUNGEISSUED when messages we were asked about were expunged meanwhile.
    if (missing) return { status: "NO", code: "EXPUNGEISSUED", text: "Some messages were expunged" };
    return ok("FETCH completed");
  },
};

async function fetchBatch(s: ImapSession, plan: FetchPlan, uids: number[]): Promise<boolean> {
  const view = s.view!;
  const placements = uids.map((u) => view.byUid.get(u)!).filter((p) => p !== undefined);
  let messages = new Map<string, Message>();
  if (plan.needsMessage || plan.setsSeen) {
    const list = await s.store.getMessages(s.accountId, placements.map((p) => p.messageId));
    messages = new Map(list.map((m) => [m.id, m]));
  }
  let allFound = true;
  // Implicit \Seen (RFC 9051 §6.4.5) for non-PEEK body fetches in a read-write mailbox.
  const seenNow = new Set<number>();
  if (plan.setsSeen && !view.readOnly) {
    const ids = placements.filter((p) => !view.gone.has(p.uid) && !p.keywords.includes("$seen"))
      .map((p) => p.messageId);
    if (ids.length > 0) {
      const r = await s.store.updateKeywords(s.accountId, ids, { add: ["$seen"] });
      s.ownChange(r.modseq);
      const updated = new Set(r.updated.map((m) => m.id));
      for (const p of placements) {
        if (updated.has(p.messageId)) {
          const np: Placement = { ...p, keywords: [...p.keywords, "$seen"] };
          view.byUid.set(p.uid, np);
          seenNow.add(p.uid);
        }
      }
    }
  }
  for (const p0 of placements) {
    const p = view.byUid.get(p0.uid) ?? p0;
    const seq = view.seqOf(p.uid);
    const msg = messages.get(p.messageId);
    // An expunged message is still served while its data exists (RFC 9051 §7.5.1 allows it).
    if (plan.needsMessage && !msg) {
      allFound = false;
      continue;
    }
    let raw: Uint8Array | null = null;
    let root: MimePart | null = null;
    if (plan.needsParse) {
      raw = await s.store.readMessage(s.accountId, p.messageId);
      if (!raw) {
        allFound = false;
        continue;
      }
      root = parseMime(raw);
    }
    await s.out.text(`* ${seq} FETCH (`);
    let first = true;
    const sep = () => {
      const r = first ? "" : " ";
      first = false;
      return r;
    };
    let flagsSent = false;
    for (const item of plan.items) {
      if (item.kind === "simple" && item.name === "FLAGS") flagsSent = true;
      await writeItem(s, item, p, msg, raw, root, sep);
    }
    if (seenNow.has(p.uid) && !flagsSent) await s.out.text(`${sep()}FLAGS ${formatFlags(p.keywords)}`);
    await s.out.text(")\r\n");
  }
  return allFound;
}

async function writeItem(
  s: ImapSession,
  item: FetchItem,
  p: Placement,
  msg: Message | undefined,
  raw: Uint8Array | null,
  root: MimePart | null,
  sep: () => string,
): Promise<void> {
  const utf8 = s.utf8;
  switch (item.kind) {
    case "simple":
      switch (item.name) {
        case "UID":
          return s.out.text(`${sep()}UID ${p.uid}`);
        case "FLAGS":
          return s.out.text(`${sep()}FLAGS ${formatFlags(p.keywords)}`);
        case "INTERNALDATE":
          return s.out.text(`${sep()}INTERNALDATE "${formatImapDateTime(p.receivedAt)}"`);
        case "RFC822.SIZE":
          return s.out.text(`${sep()}RFC822.SIZE ${p.size}`);
        case "EMAILID":
          return s.out.text(`${sep()}EMAILID (${p.messageId})`);
        case "THREADID":
          return s.out.text(`${sep()}THREADID (${msg?.threadId ?? "NIL"})`);
      }
      return;
    case "envelope":
      return s.out.text(`${sep()}ENVELOPE ${formatEnvelope(root!.headers, utf8)}`);
    case "structure":
      return s.out.text(
        `${sep()}${item.extended ? "BODYSTRUCTURE" : "BODY"} ${
          formatBodyStructure(root!, item.extended, utf8)
        }`,
      );
    case "section": {
      if (!root && msg) {
        // Whole message without parsing: stream it from the blob store.
        const size = p.size;
        const start = item.partial ? Math.min(item.partial.origin, size) : 0;
        const end = item.partial?.count != null ? Math.min(size, start + item.partial.count) : size;
        await s.out.text(`${sep()}${item.label} {${end - start}}\r\n`);
        if (end > start) {
          const stream = await s.store.blobs.stream(msg.blobId, { start, end });
          if (!stream) throw no("Message data unavailable", "UNAVAILABLE");
          await s.out.stream(stream);
        }
        return;
      }
      let bytes = sectionBytes(raw!, root!, item.spec);
      if (item.type !== "BODY") {
        const part = findPart(root!, item.spec.path);
        if (part && bytes) {
          const decoded = decodeTransfer(bytes, part.encoding);
          if (!decoded) throw no("Unknown Content-Transfer-Encoding", "UNKNOWN-CTE");
          bytes = decoded;
        }
        if (item.type === "BINARY.SIZE") return s.out.text(`${sep()}${item.label} ${bytes?.length ?? 0}`);
      }
      if (!bytes) return s.out.text(`${sep()}${item.label} ""`);
      const out = applyPartial(bytes, item.partial);
      // RFC 3516 §4.3: literal8 when the decoded data contains NUL.
      const tilde = item.type === "BINARY" && out.includes(0) ? "~" : "";
      await s.out.text(`${sep()}${item.label} ${tilde}{${out.length}}\r\n`);
      await s.out.bytes(out);
      return;
    }
  }
}
