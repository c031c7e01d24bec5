/**
 * STORE and UID STORE (RFC 9051 §6.4.6): FLAGS, +FLAGS, -FLAGS and their .SILENT forms.
 *
 * @module
 */
import type { KeywordChange, Placement } from "../../../core/store/types.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { flagToKeyword, formatFlags } from "../flags.ts";
import { resolveSet } from "./sets.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

/** STORE / UID STORE. */
export const store: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const set = a.sequenceSet();
    if (a.peek()?.type === "list") {
      // RFC 7162 UNCHANGEDSINCE needs CONDSTORE, which is not advertised.
      throw bad("STORE modifiers are not supported");
    }
    const op = a.atom("STORE operation").toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(op);
    if (!m) throw bad("Invalid STORE operation");
    const flagTokens = a.peek()?.type === "list" ? a.list().items : (() => {
      const items = [];
      while (!a.done) items.push(a.next());
      return items;
    })();
    a.end();
    const keywords: string[] = [];
    for (const t of flagTokens) {
      if (t.type !== "atom") throw bad("Invalid flag");
      const k = flagToKeyword(t.value);
      if (!k.ok) throw bad(`Invalid flag ${t.value}`);
      if (k.keyword && !keywords.includes(k.keyword)) keywords.push(k.keyword);
    }
    const view = s.view!;
    if (view.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
    await s.deliverUpdates(cmd.uid);
    const uids = resolveSet(s, set, cmd.uid);
    const live = uids.filter((u) => !view.gone.has(u));
    const change: KeywordChange = m[1] === "+"
      ? { add: keywords }
      : m[1] === "-"
      ? { remove: keywords }
      : { set: keywords };
    const byMessage = new Map<string, number>();
    for (const u of live) byMessage.set(view.byUid.get(u)!.messageId, u);
    for (let i = 0; i < live.length; i += 1000) {
      const ids = live.slice(i, i + 1000).map((u) => view.byUid.get(u)!.messageId);
      const r = await s.store.updateKeywords(s.accountId, ids, change);
      s.ownChange(r.modseq);
      for (const msg of r.updated) {
        const uid = byMessage.get(msg.id);
        if (uid === undefined) continue;
        const old = view.byUid.get(uid)!;
        const np: Placement = { ...old, keywords: msg.keywords };
        view.byUid.set(uid, np);
      }
    }
    if (!m[2]) {
      for (const u of live) {
        const p = view.byUid.get(u)!;
        const uidPart = cmd.uid ? ` UID ${u}` : "";
        await s.out.line(`* ${view.seqOf(u)} FETCH (FLAGS ${formatFlags(p.keywords)}${uidPart})`);
      }
    }
    if (live.length < uids.length) {
      return { status: "NO", code: "EXPUNGEISSUED", text: "Some messages were expunged" };
    }
    return ok("STORE completed");
  },
};
