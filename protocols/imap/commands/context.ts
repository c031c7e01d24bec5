/**
 * CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4): search results kept current for the client.
 * `SEARCH RETURN (UPDATE)` / `SORT RETURN (UPDATE)` register an update context under the command's
 * tag; as the selected mailbox changes the session sends unsolicited `ESEARCH (TAG "t") ADDTO (...)`
 * and `REMOVEFROM (...)` responses, until CANCELUPDATE or the mailbox is deselected. The PARTIAL
 * result (§4.4) is formatted here too.
 *
 * @module
 */
import type { ImapSession, SessionUpdateContexts, UpdateContext } from "../session_types.ts";
import { runSearch } from "../search/evaluate.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { formatSortedSet } from "../sort/esort.ts";
import { quote } from "../format/strings.ts";
import { bad, no, ok } from "../errors.ts";
import { type CommandSpec, SELECTED } from "./types.ts";
import { sortIndexes } from "./sort_order.ts";

/** Most update contexts one session may hold; more get `NOUPDATE` (RFC 5267 §4.3). */
export const MAX_UPDATE_CONTEXTS = 32;

// The live result itself is declared with the session the commands see.
export type { UpdateContext };

/**
 * RFC 5267 §4.4: `ret-data-partial = "PARTIAL" SP "(" partial-range SP partial-results ")"`, with
 * `partial-results = sequence-set / "NIL"`: the matches at positions low..high (1-based) of the
 * result, NIL when none. A sorted result keeps its order (RFC 5267 §3, as ALL does).
 *
 * @param range the requested positions
 * @param values message numbers or UIDs in result order
 * @param sorted the result is a SORT result
 */
export function partialData(
  range: readonly [number, number],
  values: readonly number[],
  sorted: boolean,
): string {
  const part = values.slice(range[0] - 1, range[1]);
  const set = part.length === 0
    ? "NIL"
    : sorted
    ? formatSortedSet(part)
    : formatSequenceSet([...part].sort((a, b) => a - b));
  return ` PARTIAL (${range[0]}:${range[1]} ${set})`;
}

/** The update contexts of one session. */
export class UpdateContexts implements SessionUpdateContexts {
  readonly #byTag = new Map<string, UpdateContext>();
  /** A change to the selected mailbox was notified since the last refresh (own changes included). */
  dirty = false;

  /** How many contexts are live. */
  get size(): number {
    return this.#byTag.size;
  }

  /** Ends every context (the mailbox was deselected, RFC 5267 §4.3). */
  clear(): void {
    this.#byTag.clear();
    this.dirty = false;
  }

  /**
   * Registers a context; a new command with the same tag replaces the old one. Answers false when
   * the session already holds {@link MAX_UPDATE_CONTEXTS}.
   */
  add(ctx: UpdateContext): boolean {
    if (!this.#byTag.has(ctx.tag) && this.#byTag.size >= MAX_UPDATE_CONTEXTS) return false;
    this.#byTag.set(ctx.tag, ctx);
    return true;
  }

  /** Cancels the contexts of these tags; false (nothing cancelled) when one is unknown. */
  cancel(tags: readonly string[]): boolean {
    if (!tags.every((t) => this.#byTag.has(t))) return false;
    for (const t of tags) this.#byTag.delete(t);
    return true;
  }

  /**
   * RFC 5267 §4.3.1: messages about to be reported expunged leave each result first, so a
   * REMOVEFROM naming them (by their numbers before the EXPUNGE) precedes the EXPUNGE responses.
   *
   * @param uids the expunged UIDs
   * @param seqs their sequence numbers before the expunge (any order; same order as the UIDs sorted)
   */
  async expunging(s: ImapSession, uids: readonly number[], seqs: readonly number[]): Promise<void> {
    if (this.#byTag.size === 0 || uids.length === 0) return;
    const sortedUids = [...uids].sort((a, b) => a - b);
    const sortedSeqs = [...seqs].sort((a, b) => a - b);
    const seqOf = new Map<number, number>();
    for (let i = 0; i < sortedUids.length; i++) seqOf.set(sortedUids[i]!, sortedSeqs[i] ?? 0);
    for (const ctx of this.#byTag.values()) {
      const gone = ctx.result.filter((u) => seqOf.has(u));
      if (gone.length === 0) continue;
      const removed = this.#removals(ctx, new Set(gone), (u) => ctx.uid ? u : seqOf.get(u)!);
      await s.out.line(`* ESEARCH (TAG ${quote(ctx.tag)})${ctx.uid ? " UID" : ""} REMOVEFROM (${removed})`);
    }
  }

  /**
   * RFC 5267 §4.3: after the session reported the mailbox's changes (EXISTS, FETCH), runs each
   * context's search again and sends what left and joined its result in one ESEARCH response:
   * REMOVEFROM then ADDTO, numbers as the client now knows them.
   */
  async refresh(s: ImapSession): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const view = s.view;
    if (!view || this.#byTag.size === 0) return;
    for (const ctx of [...this.#byTag.values()]) {
      const uids = await runSearch(s, ctx.key);
      const next = ctx.criteria ? (await sortIndexes(s, ctx.criteria, uids)).map((i) => uids[i]!) : uids;
      const nextSet = new Set(next);
      const leaving = new Set(ctx.result.filter((u) => !nextSet.has(u)));
      const numberOf = (u: number) => ctx.uid ? u : view.seqOf(u);
      let data = "";
      if (leaving.size > 0) data += ` REMOVEFROM (${this.#removals(ctx, leaving, numberOf)})`;
      const had = new Set(ctx.result);
      const joining = next.filter((u) => !had.has(u));
      ctx.result = next;
      if (joining.length > 0) {
        if (ctx.criteria) {
          // Each pair inserts one message at its final position, in ascending order: applied in
          // turn, every position is already right (the kept messages keep their relative order,
          // sort keys never change).
          const pairs: string[] = [];
          for (let i = 0; i < next.length; i++) {
            if (!had.has(next[i]!)) pairs.push(`${i + 1} ${numberOf(next[i]!)}`);
          }
          data += ` ADDTO (${pairs.join(" ")})`;
        } else {
          // An unordered result has no positions: 0 (as Dovecot sends).
          data += ` ADDTO (0 ${formatSequenceSet(joining.map(numberOf).sort((a, b) => a - b))})`;
        }
      }
      if (data) await s.out.line(`* ESEARCH (TAG ${quote(ctx.tag)})${ctx.uid ? " UID" : ""}${data}`);
    }
  }

  /**
   * Takes `gone` out of the context's result and formats the REMOVEFROM pairs: `0 set` for a SEARCH
   * result; for a SORT result one `position number` pair per message, highest position first so
   * each position is still right when the client applies the pairs in turn.
   */
  #removals(ctx: UpdateContext, gone: ReadonlySet<number>, numberOf: (uid: number) => number): string {
    let out: string;
    if (ctx.criteria) {
      const pairs: string[] = [];
      for (let i = ctx.result.length - 1; i >= 0; i--) {
        const u = ctx.result[i]!;
        if (gone.has(u)) pairs.push(`${i + 1} ${numberOf(u)}`);
      }
      out = pairs.join(" ");
    } else {
      out = `0 ${formatSequenceSet([...gone].map(numberOf).sort((a, b) => a - b))}`;
    }
    ctx.result = ctx.result.filter((u) => !gone.has(u));
    return out;
  }
}

/**
 * Registers an update context after a SEARCH or SORT with RETURN (UPDATE) answered (RFC 5267 §4.3).
 * PARTIAL results are not kept current, and a session holds at most {@link MAX_UPDATE_CONTEXTS}:
 * either is refused with an untagged `NO [NOUPDATE "tag"]`, the search itself succeeding.
 *
 * @param ctx the context, its result as the client now holds it
 * @param partial the command asked for PARTIAL
 */
export async function registerUpdate(
  s: ImapSession,
  ctx: UpdateContext,
  partial: boolean,
): Promise<void> {
  if (partial) {
    await s.out.line(`* NO [NOUPDATE ${quote(ctx.tag)}] PARTIAL results are not updated`);
    return;
  }
  if (!s.contexts.add(ctx)) {
    await s.out.line(`* NO [NOUPDATE ${quote(ctx.tag)}] Too many contexts`);
  }
}

/**
 * CANCELUPDATE (RFC 5267 §4.3, Formal Syntax: `"CANCELUPDATE" 1*(SP quoted)`): ends the update
 * contexts of the given tags; NO when a tag has none (as Dovecot answers).
 */
export const cancelUpdate: CommandSpec = {
  states: SELECTED,
  handle(s, cmd) {
    const tags: string[] = [];
    if (cmd.args.length === 0) throw bad("Expected tags");
    for (const t of cmd.args) {
      if (t.type !== "string" || t.literal) throw bad("Expected quoted tags");
      tags.push(t.value);
    }
    if (!s.contexts.cancel(tags)) throw no("Unknown tag");
    return Promise.resolve(ok("CANCELUPDATE completed"));
  },
};
