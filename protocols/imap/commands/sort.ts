/**
 * SORT and UID SORT (RFC 5256 §3, §4) with the DISPLAYFROM/DISPLAYTO keys of SORT=DISPLAY
 * (RFC 5957) and ESORT's RETURN options (RFC 5267 §3). `SORT [RETURN (opts)] (criteria) charset
 * search-keys`: the search part is the SEARCH program's.
 *
 * @module
 */
import type { Token } from "../parser/tokens.ts";
import { bad, ok } from "../errors.ts";
import { parseSearch, type SearchProgram } from "../search/program.ts";
import { searchSelected } from "./search.ts";
import { parseSortCriteria, type SortCriterion } from "../sort/criteria.ts";
import { sortIndexes } from "./sort_order.ts";
import { esortData } from "../sort/esort.ts";
import { partialData, registerUpdate } from "./context.ts";
import { quote } from "../format/strings.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

/** A parsed SORT command. */
export interface SortProgram {
  criteria: SortCriterion[];
  search: SearchProgram;
}

/**
 * Parses SORT arguments (RFC 5256 §4: `sort = ["UID" SP] "SORT" SP sort-criteria SP
 * search-criteria`, `search-criteria = charset 1*(SP search-key)`): the charset is required.
 */
export function parseSort(args: Token[]): SortProgram {
  // RFC 5267 §3: ESORT puts `SP "RETURN" SP sort-return-opts` after "SORT"; the options are
  // SEARCH's (RFC 4731), parsed with the search program.
  const first = args[0];
  const returned = first?.type === "atom" && first.value.toUpperCase() === "RETURN";
  const ret = returned ? args.slice(0, 2) : [];
  if (returned && args[1]?.type !== "list") throw bad("Expected RETURN options");
  const rest = returned ? args.slice(2) : args;
  const criteria = parseSortCriteria(rest[0]);
  const charset = rest[1];
  if (!charset || charset.type === "list") throw bad("Expected charset");
  if (rest.length < 3) throw bad("Missing search key");
  // The search keys with "CHARSET <charset>" in front are a SEARCH program (RFC 9051 §6.4.4).
  const search = parseSearch([...ret, { type: "atom", value: "CHARSET" }, charset, ...rest.slice(2)]);
  return { criteria, search };
}

/** SORT / UID SORT. */
export const sort: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const program = parseSort(cmd.args);
    const uids = await searchSelected(s, cmd.uid, program.search);
    const view = s.view!;
    const placements = uids.map((u) => view.byUid.get(u)!);
    const order = await sortIndexes(s, program.criteria, uids);
    const values = order.map((i) => cmd.uid ? uids[i]! : view.seqOf(uids[i]!));
    let modseq = "";
    let highest: number | null = null;
    if (program.search.usesModseq && uids.length > 0) {
      // RFC 7162 §3.1.5: "(MODSEQ n)" after the numbers, the highest of the messages returned.
      s.enabled.add("CONDSTORE");
      highest = 0;
      for (const p of placements) highest = Math.max(highest, p.modseq);
      modseq = ` (MODSEQ ${highest})`;
    }
    const returns = program.search.returns;
    if (returns) {
      if (returns.has("SAVE")) {
        // RFC 5182 §2.4 (as for SEARCH): MIN and/or MAX without ALL or COUNT save only those,
        // here the first and last in sort order; otherwise every match. The saved result is a set.
        const partial = (returns.has("MIN") || returns.has("MAX")) && !returns.has("ALL") &&
          !returns.has("COUNT");
        const sorted = order.map((i) => uids[i]!);
        const kept = partial && sorted.length > 0
          ? [
            ...new Set([
              ...(returns.has("MIN") ? [sorted[0]!] : []),
              ...(returns.has("MAX") ? [sorted.at(-1)!] : []),
            ]),
          ]
          : sorted;
        s.savedSearch = kept.sort((a, b) => a - b);
        // RFC 5182 §2.1: SAVE alone produces no ESEARCH response.
        if (returns.size === 1) return ok("SORT completed, result saved");
      }
      // RFC 5267 §3: the ESEARCH response, correlated by tag (RFC 4731 §3.1); §4.4 PARTIAL in
      // sort order.
      const partial = program.search.partial ? partialData(program.search.partial, values, true) : "";
      await s.out.line(
        `* ESEARCH (TAG ${quote(cmd.tag)})${cmd.uid ? " UID" : ""}${
          esortData(returns, values, highest, partial)
        }`,
      );
      if (returns.has("UPDATE")) {
        // RFC 5267 §4.3 (CONTEXT=SORT): the sorted result stays live under this command's tag.
        const result = order.map((i) => uids[i]!);
        const ctx = {
          tag: cmd.tag,
          uid: cmd.uid,
          key: program.search.key,
          criteria: program.criteria,
          result,
        };
        await registerUpdate(s, ctx, program.search.partial != null);
      }
      return ok("SORT completed");
    }
    // RFC 5256 §4: sort-data = "SORT" *(SP nz-number); no match is a bare "* SORT".
    await s.out.line(`* SORT${values.map((v) => " " + v).join("")}${modseq}`);
    return ok("SORT completed");
  },
};
