/**
 * EXPUNGE and UID EXPUNGE (RFC 9051 §6.4.3, RFC 4315 §2.1).
 *
 * @module
 */
import { Args } from "../parser/args.ts";
import { no, ok } from "../errors.ts";
import { resolveSet } from "./sets.ts";
import { type CommandSpec, SELECTED } from "./types.ts";
import { reportRecent } from "../view_responses.ts";
import type { ImapSession } from "../session_types.ts";

/**
 * The UIDs of the selected mailbox's messages marked \Deleted now (fresh flags: another session's
 * \Deleted counts too), among `only` when given, that this session has been shown: a message added
 * since its last update is left alone, since the client never saw it and its command cannot mean
 * it (as Dovecot does; a set names what the client knew, sets.ts). EXPUNGE and CLOSE remove these.
 */
export async function deletedShown(s: ImapSession, only: Set<number> | null = null): Promise<number[]> {
  const view = s.view!;
  const current = await s.store.listPlacements(s.viewOwner, view.mailbox.id);
  return current.filter((p) =>
    p.keywords.includes("$deleted") && p.uid <= view.maxUid && (!only || only.has(p.uid))
  ).map((p) => p.uid);
}

/** EXPUNGE / UID EXPUNGE. */
export const expunge: CommandSpec = {
  states: SELECTED,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const only = cmd.uid ? new Set(resolveSet(s, a.sequenceSet(), true)) : null;
    a.end();
    const view = s.view!;
    if (view.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
    // RFC 4314 §4: EXPUNGE needs "e".
    if (!view.rights.includes("e")) throw no("Permission denied", "NOPERM");
    const uids = await deletedShown(s, only);
    if (uids.length > 0) {
      const r = await s.store.expunge(s.viewOwner, view.mailbox.id, uids, { origin: s.origin });
      const removed = r.uids.filter((u) => view.byUid.has(u));
      await s.reportExpunged(view.remove(removed), removed);
      await reportRecent(s, view);
    }
    return ok(`${cmd.uid ? "UID EXPUNGE" : "EXPUNGE"} completed`);
  },
};
