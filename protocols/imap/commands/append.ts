/**
 * APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), APPENDUID (RFC 4315), literal8 data
 * (RFC 3516) and APPENDLIMIT (RFC 7889, enforced by the framer's literal bound).
 *
 * @module
 */
import type { NewMessage } from "../../../core/store/types.ts";
import { lfToCrlf } from "../../../core/mime/line_endings.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { flagToKeyword } from "../flags.ts";
import { parseImapDateTime } from "../parser/date.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { requireMailbox } from "./mailbox.ts";
import { AUTH, type CommandSpec } from "./types.ts";

/** APPEND (single or MULTIAPPEND). */
export const append: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const target = a.astring("mailbox name");
    const items: { keywords: string[]; date: Date | undefined; data: Uint8Array }[] = [];
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
    const { mailbox } = await requireMailbox(s, target, true);
    const news: NewMessage[] = [];
    for (const item of items) {
      const { blobId } = await s.store.blobs.put(item.data);
      const m: NewMessage = {
        accountId: s.accountId,
        mailboxIds: [mailbox.id],
        blobId,
        keywords: item.keywords,
      };
      if (item.date) m.receivedAt = item.date;
      news.push(m);
    }
    const added = await s.store.addMessages(news);
    const uids = added.map((m) => m.uids.find((u) => u.mailboxId === mailbox.id)!);
    const validity = uids[0]?.uidValidity ?? mailbox.uidValidity;
    const set = formatSequenceSet(uids.map((u) => u.uid));
    if (s.view?.mailbox.id === mailbox.id) s.view.dirty = true;
    return ok("APPEND completed", `APPENDUID ${validity} ${set}`);
  },
};
