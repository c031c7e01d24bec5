/**
 * Turning CONDSTORE on for a session (RFC 7162 §3.1): the commands that use it (a MODSEQ fetch
 * item or search key, CHANGEDSINCE, UNCHANGEDSINCE, ENABLE, SELECT (CONDSTORE), …) enable it for
 * the rest of the connection.
 *
 * @module
 */
import type { ImapSession } from "../session_types.ts";

/**
 * Enables CONDSTORE; the first CONDSTORE-enabling command with a mailbox selected also reports the
 * mailbox's HIGHESTMODSEQ (RFC 7162 §3.1, as Dovecot does), before the command's own responses.
 */
export async function enableCondstore(s: ImapSession): Promise<void> {
  if (s.enabled.has("CONDSTORE")) return;
  s.enabled.add("CONDSTORE");
  const view = s.view;
  if (!view) return;
  // The highest MODSEQ the session has been told of or made itself (a \Seen set by FETCH, a
  // STORE: its own changes are not read back into `view.modseq`).
  let highest = Math.max(view.mailbox.highestModseq, view.modseq);
  for (const p of view.entries) if (p.modseq > highest) highest = p.modseq;
  await s.out.line(`* OK [HIGHESTMODSEQ ${highest}] Highest`);
}
