/**
 * STORE and UID STORE (RFC 9051 §6.4.6): FLAGS, +FLAGS, -FLAGS and their .SILENT forms.
 *
 * @module
 */
import { enableCondstore } from "./condstore.ts";
import type { KeywordChange } from "../../../core/store/types.ts";
import { sameKeywords, withKeywords } from "../mailbox_view.ts";
import { announceKeywords, flagsOf, keywordsOf } from "../view_responses.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { flagToKeyword } from "../flags.ts";
import { hasRights, rightsForKeywords } from "../../../core/acl/rights.ts";
import { knownView, resolveSet } from "./sets.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

/** STORE / UID STORE. */
export const store: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const set = a.sequenceSet();
    let unchangedSince: number | undefined;
    let modifiers = false;
    if (a.peek()?.type === "list") {
      const mods = new Args(a.list().items);
      while (!mods.done) {
        const name = mods.atom("STORE modifier").toUpperCase();
        // RFC 7162 §3.1.3: conditional STORE; using it enables CONDSTORE.
        if (name === "UNCHANGEDSINCE") unchangedSince = mods.number("mod-sequence");
        else throw bad(`Unknown STORE modifier ${name}`);
      }
      modifiers = true;
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
    // Only a command that parsed enables CONDSTORE (a BAD one changes nothing).
    if (modifiers) await enableCondstore(s);
    const view = s.view!;
    if (view.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
    // RFC 4314 §4: \Seen needs "s", \Deleted "t", any other flag "w"; replacing touches them all.
    const touched = m[1] === "" ? [...keywords, "$seen", "$deleted", "$flagged"] : keywords;
    if (!hasRights(view.rights, rightsForKeywords(touched))) throw no("Permission denied", "NOPERM");
    // The set names what the client knew before this command's updates (sets.ts).
    const known = knownView(s, set, cmd.uid);
    await s.deliverUpdates(cmd.uid);
    const uids = resolveSet(s, set, cmd.uid, known);
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
    const updated = new Set<number>();
    // A change that leaves every message's flags as this view (just brought up to date) shows them
    // changes nothing in the store either (RFC 7162 §3.1.3: no MODSEQ bump): no write job at all.
    // UNCHANGEDSINCE always goes to the store, which decides on the stored MODSEQ.
    const toStore = unchangedSince === undefined &&
        live.every((u) => {
          const k = view.byUid.get(u)!.keywords;
          return sameKeywords(k, applyChange(k, change));
        })
      ? []
      : live;
    for (let i = 0; i < toStore.length; i += 1000) {
      const ids = toStore.slice(i, i + 1000).map((u) => view.byUid.get(u)!.messageId);
      const r = await s.store.updateKeywords(s.viewOwner, ids, change, { ...opts, origin: s.origin });
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
        updated.add(uid);
      }
    }
    // RFC 2180 §4.1.1: a message expunged by another session and not yet reported here (or
    // destroyed while this command ran) takes the change in this view only; the STORE succeeds,
    // as Dovecot answers, and the FETCH response shows the flags as changed.
    for (const u of uids) {
      if (failed.has(u) || updated.has(u)) continue;
      const old = view.byUid.get(u)!;
      // RFC 7162 §3.1.3: the conditional test holds for it too, on the MODSEQ this view has of it
      // (as Dovecot answers).
      if (unchangedSince !== undefined && old.modseq > unchangedSince) {
        failed.add(u);
        continue;
      }
      const next = applyChange(old.keywords, change);
      if (!sameKeywords(old.keywords, next)) view.byUid.set(u, withKeywords(old, next, old.modseq));
    }
    // A keyword new to this session is announced before any response uses it (RFC 9051 §7.3.5).
    await announceKeywords(s, view, keywordsOf(view, uids));
    // RFC 7162 §3.2: with CONDSTORE, FETCH responses of STORE carry MODSEQ, even for .SILENT.
    if (!m[2] || s.condstore) {
      for (const u of uids) {
        if (failed.has(u)) continue;
        const p = view.byUid.get(u)!;
        const parts: string[] = [];
        if (!m[2]) parts.push(`FLAGS ${flagsOf(s, view, p)}`);
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
    return ok("STORE completed");
  },
};

/** A keyword change applied to a list (for messages only this view still shows). */
function applyChange(keywords: readonly string[], change: KeywordChange): string[] {
  if ("set" in change) return [...change.set];
  const out = keywords.filter((k) => !change.remove?.includes(k));
  for (const k of change.add ?? []) if (!out.includes(k)) out.push(k);
  return out;
}
