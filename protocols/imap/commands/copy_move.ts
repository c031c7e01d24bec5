/**
 * COPY, UID COPY, MOVE and UID MOVE (RFC 9051 §6.4.7–8, RFC 6851) with COPYUID (RFC 4315).
 *
 * @module
 */
import type { CopyResult } from "../../../core/store/store.ts";
import { Args } from "../parser/args.ts";
import { no, ok } from "../errors.ts";
import { formatSequenceSet } from "../parser/sequence_set.ts";
import { requireMailbox } from "./mailbox.ts";
import { knownView, resolveSet } from "./sets.ts";
import { type CommandSpec, SELECTED } from "./types.ts";
import { reportRecent } from "../view_responses.ts";
import { tenancyOf } from "../../../core/tenancy/policy.ts";
import { hasRights } from "../../../core/acl/rights.ts";
import { copyAcrossAccounts } from "../../../core/acl/copy.ts";

function copyUid(r: CopyResult): string | undefined {
  if (r.pairs.length === 0) return undefined;
  // RFC 4315 §3: source and destination sets in corresponding order.
  const from = r.pairs.map((p) => p.fromUid);
  const to = r.pairs.map((p) => p.toUid);
  const ascending = (a: number[]) => a.every((v, i) => i === 0 || a[i - 1]! < v);
  const fmt = (a: number[]) => ascending(a) ? formatSequenceSet(a) : a.join(",");
  return `COPYUID ${r.uidValidity} ${fmt(from)} ${fmt(to)}`;
}

function copyMove(move: boolean): CommandSpec {
  return {
    states: SELECTED,
    async handle(s, cmd) {
      const a = new Args(cmd.args);
      const set = a.sequenceSet();
      const target = a.astring("mailbox name");
      a.end();
      const view = s.view!;
      if (move && view.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
      // The set names what the client knew before this command's updates (sets.ts); a number past
      // the messages is BAD before the target is looked at (as Dovecot answers).
      const known = knownView(s, set, cmd.uid);
      // RFC 4314 §4: the target needs "i"; MOVE needs "t" and "e" on the source.
      const { mailbox, ownerId, rights } = await requireMailbox(s, target, true, "i");
      if (move && !hasRights(view.rights, "te")) throw no("Permission denied", "NOPERM");
      await s.deliverUpdates(cmd.uid);
      const uids = resolveSet(s, set, cmd.uid, known);
      const live = uids.filter((u) => !view.gone.has(u));
      if (live.length < uids.length) {
        // RFC 9051 §7.1: the copy (or move) is not done when some messages are gone, as Dovecot
        // answers; by UID they are simply not there any more (§6.4.9, reported before the set was
        // resolved).
        throw no("Some messages were expunged", "EXPUNGEISSUED");
      }
      if (live.length === 0) return ok(`${cmd.name} completed, nothing to do`);
      // RFC 9208 §4.3 / issue 16: a copy adds to the organization's storage (a move does not).
      const source = view.mailbox.accountId;
      const across = ownerId !== source;
      const added = move && !across ? 0 : live.reduce((n, u) => n + (view.byUid.get(u)?.size ?? 0), 0);
      if (added > 0 && !(await tenancyOf(s.server).storageAllows(ownerId, added))) {
        throw no("Organization storage limit reached", "OVERQUOTA");
      }
      const r = across
        ? await copyAcrossAccounts(
          s.store,
          { ownerId: source, mailboxId: view.mailbox.id },
          live.map((uid) => ({ uid, messageId: view.byUid.get(uid)!.messageId })),
          { ownerId, mailboxId: mailbox.id, rights },
          move,
        )
        : move
        ? await s.store.moveMessages(source, view.mailbox.id, live, mailbox.id)
        : await s.store.copyMessages(source, view.mailbox.id, live, mailbox.id);
      const code = copyUid(r);
      if (!move) return ok("COPY completed", code);
      // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGE responses.
      if (code) await s.out.line(`* OK [${code}] Moved`);
      if (mailbox.id !== view.mailbox.id) {
        const removed = r.pairs.map((p) => p.fromUid).filter((u) => view.byUid.has(u));
        await s.reportExpunged(view.remove(removed), removed);
        await reportRecent(s, view);
      }
      return ok("MOVE completed");
    },
  };
}

/** COPY / UID COPY. */
export const copy: CommandSpec = copyMove(false);
/** MOVE / UID MOVE. */
export const move: CommandSpec = copyMove(true);
