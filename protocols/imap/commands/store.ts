/**
 * STORE and UID STORE (RFC 9051 §6.4.6): FLAGS, +FLAGS, -FLAGS and their .SILENT forms.
 *
 * @module
 */
import type { KeywordChange } from "../../../core/store/types.ts";
import { withKeywords } from "../mailbox_view.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { flagToKeyword, formatFlags } from "../flags.ts";
import { resolveSet } from "./sets.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

/** STORE / UID STORE. */
export const store: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const set = a.sequenceSet();
    let unchangedSince: number | undefined;
    if (a.peek()?.type === "list") {
      const mods = new Args(a.list().items);
      while (!mods.done) {
        const name = mods.atom("STORE modifier").toUpperCase();
        // RFC 7162 §3.1.3: conditional STORE; using it enables CONDSTORE.
        if (name === "UNCHANGEDSINCE") unchangedSince = mods.number("mod-sequence");
        else throw bad(`Unknown STORE modifier ${name}`);
      }
      s.enabled.add("CONDSTORE");
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
    const failed = new Set<number>();
    const opts = unchangedSince === undefined ? {} : { unchangedSince };
    for (let i = 0; i < live.length; i += 1000) {
      const ids = live.slice(i, i + 1000).map((u) => view.byUid.get(u)!.messageId);
      const r = await s.store.updateKeywords(s.accountId, ids, change, opts);
      s.ownChange(r.modseq);
      for (const id of r.failed) {
        const uid = byMessage.get(id);
        if (uid !== undefined) failed.add(uid);
      }
      for (const msg of r.updated) {
        const uid = byMessage.get(msg.id);
        if (uid === undefined) continue;
        const old = view.byUid.get(uid)!;
        const np = withKeywords(old, msg.keywords, Math.max(old.modseq, msg.modseq));
        view.byUid.set(uid, np);
      }
    }
    // RFC 7162 §3.2: with CONDSTORE, FETCH responses of STORE carry MODSEQ, even for .SILENT.
    if (!m[2] || s.condstore) {
      for (const u of live) {
        if (failed.has(u)) continue;
        const p = view.byUid.get(u)!;
        const parts: string[] = [];
        if (!m[2]) parts.push(`FLAGS ${formatFlags(p.keywords)}`);
        if (cmd.uid) parts.push(`UID ${u}`);
        if (s.condstore) parts.push(`MODSEQ (${p.modseq})`);
        await s.out.line(`* ${view.seqOf(u)} FETCH (${parts.join(" ")})`);
      }
    }
    if (failed.size > 0) {
      // RFC 7162 §3.1.3: the messages that failed the UNCHANGEDSINCE test.
      const list = [...failed].map((u) => cmd.uid ? u : view.seqOf(u)).sort((x, y) => x - y);
      return ok("Conditional STORE failed for some messages", `MODIFIED ${formatSequenceSet(list)}`);
    }
    if (live.length < uids.length) {
      return { status: "NO", code: "EXPUNGEISSUED", text: "Some messages were expunged" };
    }
    return ok("STORE completed");
  },
};
