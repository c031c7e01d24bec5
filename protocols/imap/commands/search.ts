/**
 * SEARCH and UID SEARCH (RFC 9051 §6.4.4) with ESEARCH return options (RFC 4731) and SAVE
 * (RFC 5182). In rev2 the result is always an ESEARCH response.
 *
 * @module
 */
import { enableCondstore } from "./condstore.ts";
import { quote } from "../format/strings.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { knownCount, knownView } from "./sets.ts";
import { ok } from "../errors.ts";
import { parseSearch, type SearchProgram } from "../search/program.ts";
import { runSearch } from "../search/evaluate.ts";
import type { ImapSession } from "../session_types.ts";
import { type CommandSpec, SELECTED } from "./types.ts";
import { partialData, registerUpdate } from "./context.ts";

/**
 * The part SEARCH, SORT and THREAD share: report pending changes, enable CONDSTORE when a MODSEQ key
 * asks for it, and run the search over the selected mailbox as the client knew it when it sent the
 * command (a message another session added meanwhile is announced, not searched: sets.ts); the
 * matching UIDs, ascending.
 */
export async function searchSelected(
  s: ImapSession,
  uid: boolean,
  program: SearchProgram,
): Promise<number[]> {
  const known = knownView(s);
  await s.deliverUpdates(uid);
  if (program.usesModseq) await enableCondstore(s);
  return await runSearch(s, program.key, knownCount(s, known));
}

/** SEARCH / UID SEARCH. */
export const search: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const program = parseSearch(cmd.args);
    const uids = await searchSelected(s, cmd.uid, program);
    const view = s.view!;
    const returns = program.returns ?? (s.rev2 ? new Set(["ALL"]) : null);
    if (returns?.has("SAVE")) {
      // RFC 5182 §2.4: SAVE with MIN and/or MAX (and neither ALL nor COUNT) keeps only those.
      const partial = (returns.has("MIN") || returns.has("MAX")) && !returns.has("ALL") &&
        !returns.has("COUNT");
      if (partial && uids.length > 0) {
        const kept = new Set<number>();
        if (returns.has("MIN")) kept.add(uids[0]!);
        if (returns.has("MAX")) kept.add(uids[uids.length - 1]!);
        s.savedSearch = [...kept].sort((a, b) => a - b);
      } else {
        s.savedSearch = uids;
      }
    }
    const values = cmd.uid ? uids : uids.map((u) => view.seqOf(u));
    let modseq = "";
    if (program.usesModseq) {
      s.enabled.add("CONDSTORE");
      let highest = 0;
      for (const u of uids) highest = Math.max(highest, view.byUid.get(u)?.modseq ?? 0);
      if (uids.length > 0) modseq = String(highest);
    }
    if (!returns) {
      // RFC 7162 §3.1.5: "(MODSEQ n)" after the numbers when a MODSEQ key was used.
      await s.out.line(
        `* SEARCH${values.map((v) => " " + v).join("")}${modseq ? ` (MODSEQ ${modseq})` : ""}`,
      );
      return ok("SEARCH completed");
    }
    // RFC 5182 §2.1: SAVE alone produces no ESEARCH response.
    if (returns.size === 1 && returns.has("SAVE")) return ok("SEARCH completed, result saved");
    let line = `* ESEARCH (TAG ${quote(cmd.tag)})${cmd.uid ? " UID" : ""}`;
    const wantAll = returns.has("ALL") || (returns.size === 1 && returns.has("SAVE"));
    if (values.length > 0) {
      if (returns.has("MIN")) line += ` MIN ${values[0]}`;
      if (returns.has("MAX")) line += ` MAX ${values[values.length - 1]}`;
      if (wantAll) line += ` ALL ${formatSequenceSet(values)}`;
    }
    // RFC 5267 §4.4: PARTIAL, after ALL's place and before COUNT (as Dovecot orders them).
    if (program.partial) line += partialData(program.partial, values, false);
    if (returns.has("COUNT")) line += ` COUNT ${values.length}`;
    if (modseq) line += ` MODSEQ ${modseq}`;
    await s.out.line(line);
    if (returns.has("UPDATE")) {
      // RFC 5267 §4.3: the result stays live under this command's tag.
      await registerUpdate(
        s,
        { tag: cmd.tag, uid: cmd.uid, key: program.key, criteria: null, result: uids },
        program.partial != null,
      );
    }
    return ok("SEARCH completed");
  },
};
