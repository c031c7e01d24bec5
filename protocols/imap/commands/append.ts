/**
 * APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315), literal8 data
 * (RFC 3516), APPENDLIMIT (RFC 7889, enforced by the framer's literal bound) and CATENATE
 * (RFC 4469: a message assembled from literal text and parts of this account's messages).
 *
 * @module
 */
import type { AddedMessage, NewMessage } from "../../../core/store/types.ts";
import type { ListToken } from "../parser/tokens.ts";
import type { ImapSession } from "../session_types.ts";
import { parseMime } from "../../../core/mime/parse.ts";
import { parseImapUrl } from "../parser/imap_url.ts";
import { applyPartial, parseSection, sectionBytes } from "../fetch/section.ts";
import { normalizeName } from "../mailbox_names.ts";
import { lfToCrlf } from "../../../core/mime/line_endings.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { flagToKeyword } from "../flags.ts";
import { parseImapDateTime } from "../parser/date.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { requireMailbox } from "./mailbox.ts";
import { AUTH, type CommandSpec } from "./types.ts";
import { tenancyOf } from "../../../core/tenancy/policy.ts";
import { hasRights, rightsForKeywords } from "../../../core/acl/rights.ts";

/** APPEND (single or MULTIAPPEND). */
export const append: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const target = a.astring("mailbox name");
    const items: { keywords: string[]; date: Date | undefined; data: Uint8Array | CatPart[] }[] = [];
    do {
      const keywords: string[] = [];
      const flags = a.optionalList();
      if (flags) {
        for (const t of flags.items) {
          if (t.type !== "atom") throw bad("Invalid flag");
          const k = flagToKeyword(t.value);
          if (!k.ok) throw bad(`Invalid flag ${t.value}`);
          if (k.keyword && !keywords.includes(k.keyword)) keywords.push(k.keyword);
        }
      }
      let date: Date | undefined;
      let t = a.next("message literal");
      if (t.type === "string" && !t.literal) {
        const d = parseImapDateTime(t.value);
        if (!d) throw bad("Invalid date-time");
        date = d;
        t = a.next("message literal");
      }
      if (t.type === "atom" && t.value.toUpperCase() === "CATENATE") {
        // RFC 4469 §5: append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")"
        items.push({ keywords, date, data: catParts(a.list("CATENATE parts")) });
        continue;
      }
      if (t.type === "atom" && t.value.toUpperCase() === "UTF8") {
        // RFC 6855 §4: APPEND data extension: UTF8 (literal8), allowed once UTF8=ACCEPT is enabled.
        if (!s.utf8) throw bad("UTF8 APPEND requires ENABLE UTF8=ACCEPT");
        const l = a.list("UTF8 data");
        const inner = l.items[0];
        if (l.items.length !== 1 || inner?.type !== "string" || !inner.literal) {
          throw bad("Expected UTF8 (literal8)");
        }
        t = inner;
      }
      if (t.type !== "string" || !t.literal) throw bad("Expected message literal");
      if (t.bytes.length === 0) throw no("Empty message", "CANNOT");
      // RFC 5322 §2.3 / RFC 9051 §6.3.12: the message is kept in canonical form, every LF preceded
      // by CR, so RFC822.SIZE, BODY[] octets and BODYSTRUCTURE sizes and line counts agree with what
      // clients (and Dovecot, which converts bare LF on the way in) expect. A bare CR is left alone,
      // as Dovecot leaves it. A literal8 (RFC 3516 §4.4) carries binary content: stored byte for byte.
      items.push({ keywords, date, data: t.binary ? t.bytes : lfToCrlf(t.bytes) });
    } while (!a.done);
    // RFC 4314 §4: APPEND needs "i"; flags the user may not set ("s", "t", "w") are dropped.
    const { mailbox, ownerId, rights } = await requireMailbox(s, target, true, "i");
    // Every CATENATE is assembled (and every URL checked) before anything is stored: a MULTIAPPEND
    // with one bad part appends nothing (RFC 3502 §6.3.11, RFC 4469 §5).
    const datas: Uint8Array[] = [];
    for (const item of items) {
      datas.push(item.data instanceof Uint8Array ? item.data : await assemble(s, item.data));
    }
    // RFC 9208 §4.3 / issue 16: the organization's plan storage, before anything is stored.
    const total = datas.reduce((n, d) => n + d.length, 0);
    if (!(await tenancyOf(s.server).storageAllows(ownerId, total))) {
      throw no("Organization storage limit reached", "OVERQUOTA");
    }
    const placed = items.map((item) => {
      const m: Omit<NewMessage, "blobId"> = {
        accountId: ownerId,
        mailboxIds: [mailbox.id],
        keywords: item.keywords.filter((k) => hasRights(rights, rightsForKeywords([k]))),
      };
      if (item.date) m.receivedAt = item.date;
      return m;
    });
    let added: AddedMessage[];
    if (items.length === 1) {
      // One message: blob and message in one durable step where the store can (one commit, one
      // fsync before the OK instead of two).
      const stored = s.store.storeMessages(datas[0]!, placed);
      // RFC 3501 §2.3.2: an IMAP4rev1 session appending to its selected mailbox is the first told
      // of the message (the EXISTS after this command), so it claims \Recent on it. Asked right
      // after the store call, the claim rides the APPEND's commit instead of taking one of its own
      // afterwards (a write the store queues later, after writing a blob file, is claimed as before).
      const view = s.view;
      const claim = !s.rev2 && !s.notify && view?.mailbox.id === mailbox.id && !view.readOnly
        ? s.store.claimAllRecent?.(ownerId, mailbox.id) ?? null
        : null;
      try {
        added = (await stored).added;
      } finally {
        // Kept even when the APPEND failed: the claim was made, and its UIDs (others' deliveries)
        // are this session's; the view catches up with them after this command.
        const ahead = await claim?.catch(() => null);
        if (ahead && s.view === view) {
          view!.claimAhead = ahead;
          view!.dirty = true;
        }
      }
    } else {
      // MULTIAPPEND is all-or-nothing over every message (RFC 3502 §6.3.11): one addMessages.
      const news: NewMessage[] = [];
      for (const [i, m] of placed.entries()) {
        news.push({ ...m, blobId: (await s.store.blobs.put(datas[i]!)).blobId });
      }
      added = await s.store.addMessages(news);
    }
    const uids = added.map((m) => m.uids.find((u) => u.mailboxId === mailbox.id)!);
    const validity = uids[0]?.uidValidity ?? mailbox.uidValidity;
    const set = formatSequenceSet(uids.map((u) => u.uid));
    if (s.view?.mailbox.id === mailbox.id) s.view.dirty = true;
    return ok("APPEND completed", `APPENDUID ${validity} ${set}`);
  },
};

/** One CATENATE part: literal text, or an IMAP URL of a message (part) on this server. */
type CatPart = { text: Uint8Array } | { url: string };

/** RFC 4469 §5: cat-part = text-literal / url; text-literal = "TEXT" SP literal; url = "URL" SP astring. */
function catParts(list: ListToken): CatPart[] {
  const parts: CatPart[] = [];
  const items = list.items;
  if (items.length === 0) throw bad("Empty CATENATE");
  for (let i = 0; i < items.length; i += 2) {
    const kind = items[i]!;
    const value = items[i + 1];
    if (kind.type !== "atom" || !value || value.type === "list") throw bad("Invalid CATENATE part");
    const up = kind.value.toUpperCase();
    if (up === "TEXT") {
      if (value.type !== "string" || !value.literal) throw bad("CATENATE TEXT needs a literal");
      parts.push({ text: value.binary ? value.bytes : lfToCrlf(value.bytes) });
    } else if (up === "URL") {
      parts.push({ url: value.value });
    } else {
      throw bad(`Unknown CATENATE part ${kind.value}`);
    }
  }
  return parts;
}

/** The URL as it may appear in a `[BADURL url]` code (RFC 4469 §6: no "]", CR or LF). */
function badUrl(url: string): never {
  throw no("Bad URL", `BADURL ${url.replace(/[^!-\\^-~]/g, "").slice(0, 1000) || "-"}`);
}

/**
 * The octets an IMAP URL names (RFC 4469 §5): a message or section of one in a mailbox of the
 * logged-in account; NO [BADURL url] for anything else (another user or server, an unknown mailbox,
 * UIDVALIDITY or UID, a bad section).
 */
async function resolveUrl(s: ImapSession, url: string): Promise<Uint8Array> {
  const u = parseImapUrl(url);
  if (!u) return badUrl(url);
  if (u.host !== null) {
    // An absolute URL must name this server and the logged-in user.
    if (u.user === null || u.user.toLowerCase() !== s.account!.address.toLowerCase()) return badUrl(url);
    if (u.host !== s.server.config.hostname.toLowerCase()) return badUrl(url);
  }
  const mailbox = (await s.tree()).find(normalizeName(u.mailbox));
  if (!mailbox || (u.uidValidity !== null && u.uidValidity !== mailbox.uidValidity)) return badUrl(url);
  const [p] = await s.store.listPlacements(s.accountId, mailbox.id, { minUid: u.uid, maxUid: u.uid });
  if (!p) return badUrl(url);
  const raw = await s.store.readMessage(s.accountId, p.messageId);
  if (!raw) return badUrl(url);
  let bytes = raw;
  if (u.section !== null) {
    const spec = parseSection(u.section);
    const part = spec ? sectionBytes(raw, parseMime(raw), spec) : null;
    if (!part) return badUrl(url);
    bytes = part;
  }
  return u.partial ? applyPartial(bytes, u.partial) : bytes;
}

/** Builds a CATENATE message; NO [TOOBIG] past the APPEND limit (RFC 4469 §5, RFC 7889). */
async function assemble(s: ImapSession, parts: CatPart[]): Promise<Uint8Array> {
  const limit = s.server.config.imap.max_literal_size;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const part of parts) {
    const bytes = "text" in part ? part.text : await resolveUrl(s, part.url);
    size += bytes.length;
    if (size > limit) throw no("Message too big", "TOOBIG");
    chunks.push(bytes);
  }
  if (size === 0) throw no("Empty message", "CANNOT");
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
