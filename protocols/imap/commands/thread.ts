/**
 * THREAD and UID THREAD (RFC 5256 §3, §4): `THREAD algorithm charset search-keys` with the
 * ORDEREDSUBJECT and REFERENCES algorithms; the search part is the SEARCH program's.
 *
 * @module
 */
import type { Token } from "../parser/tokens.ts";
import { bad, ok } from "../errors.ts";
import { parseSearch, type SearchProgram } from "../search/program.ts";
import { searchSelected } from "./search.ts";
import {
  formatThreads,
  orderedSubject,
  referencesThreads,
  refsThreads,
  type ThreadInput,
  type ThreadNode,
} from "../sort/thread.ts";
import { loadMessages } from "./sort_order.ts";
import { type CommandSpec, SELECTED } from "./types.ts";

/** The threading algorithms, by name (RFC 5256 §3). */
export const THREAD_ALGORITHMS: ReadonlyMap<string, (items: readonly ThreadInput[]) => ThreadNode[]> =
  new Map([
    ["ORDEREDSUBJECT", orderedSubject],
    ["REFERENCES", referencesThreads],
    ["REFS", refsThreads],
  ]);

/** A parsed THREAD command. */
export interface ThreadProgram {
  algorithm: string;
  search: SearchProgram;
}

/**
 * Parses THREAD arguments (RFC 5256 §4: `thread = ["UID" SP] "THREAD" SP thread-alg SP
 * search-criteria`, `search-criteria = charset 1*(SP search-key)`).
 */
export function parseThread(args: Token[]): ThreadProgram {
  const alg = args[0];
  if (!alg || alg.type !== "atom") throw bad("Expected threading algorithm");
  const algorithm = alg.value.toUpperCase();
  if (!THREAD_ALGORITHMS.has(algorithm)) throw bad(`Unknown threading algorithm ${alg.value}`);
  const charset = args[1];
  if (!charset || charset.type === "list") throw bad("Expected charset");
  if (args.length < 3) throw bad("Missing search key");
  const search = parseSearch([{ type: "atom", value: "CHARSET" }, charset, ...args.slice(2)]);
  return { algorithm, search };
}

/** THREAD / UID THREAD. */
export const thread: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const program = parseThread(cmd.args);
    const uids = await searchSelected(s, cmd.uid, program.search);
    const view = s.view!;
    const placements = uids.map((u) => view.byUid.get(u)!);
    const messages = await loadMessages(s, placements.map((p) => p.messageId));
    const items: ThreadInput[] = placements.map((p) => {
      const m = messages.get(p.messageId)?.summary;
      return {
        messageId: m?.messageId[0] ?? null,
        references: m?.references ?? [],
        inReplyTo: m?.inReplyTo ?? [],
        subject: m?.subject ?? "",
        // RFC 5256 §2.2: the Date: instant in UTC, else INTERNALDATE.
        date: (m?.sentAt ?? p.receivedAt).getTime(),
      };
    });
    const threads = THREAD_ALGORITHMS.get(program.algorithm)!(items);
    const text = formatThreads(threads, (i) => cmd.uid ? uids[i]! : view.seqOf(uids[i]!));
    // RFC 5256 §4: thread-data = "THREAD" [SP 1*thread-list].
    await s.out.line(`* THREAD${text ? " " + text : ""}`);
    return ok("THREAD completed");
  },
};
