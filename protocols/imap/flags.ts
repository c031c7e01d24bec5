/**
 * IMAP flags ⇄ store keywords (RFC 9051 §2.3.2, RFC 8621 §4.1.1): system flags map to the JMAP
 * `$` keywords; keywords are case-insensitive in IMAP and kept lowercase in the store, so the
 * well-known ones are shown in their registered spelling.
 *
 * @module
 */

const SYSTEM: Record<string, string> = {
  "\\seen": "$seen",
  "\\answered": "$answered",
  "\\flagged": "$flagged",
  "\\draft": "$draft",
  "\\deleted": "$deleted",
};

const DISPLAY: Record<string, string> = {
  "$seen": "\\Seen",
  "$answered": "\\Answered",
  "$flagged": "\\Flagged",
  "$draft": "\\Draft",
  "$deleted": "\\Deleted",
  // Registered keywords (IANA IMAP keywords registry) in their usual spelling.
  "$forwarded": "$Forwarded",
  "$junk": "$Junk",
  "$notjunk": "$NotJunk",
  "$mdnsent": "$MDNSent",
  "$phishing": "$Phishing",
  "$submitpending": "$SubmitPending",
  "$submitted": "$Submitted",
  "$important": "$Important",
  "$label1": "$Label1",
  "$label2": "$Label2",
  "$label3": "$Label3",
  "$label4": "$Label4",
  "$label5": "$Label5",
  // Keywords common clients set and compare case-sensitively in practice (Thunderbird, Apple Mail).
  "junk": "Junk",
  "nonjunk": "NonJunk",
  "$mailflagbit0": "$MailFlagBit0",
  "$mailflagbit1": "$MailFlagBit1",
  "$mailflagbit2": "$MailFlagBit2",
  "$hasattachment": "$HasAttachment",
  "$hasnoattachment": "$HasNoAttachment",
  "$autosent": "$AutoSent",
  "$unknown": "$Unknown",
  "$canunsubscribe": "$CanUnsubscribe",
  "$muted": "$Muted",
  "$followed": "$Followed",
  "$memo": "$Memo",
  "$hasmemo": "$HasMemo",
};

/** The flags every mailbox announces in FLAGS. */
export const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/** Result of mapping a client flag. */
export type FlagMapping = { ok: true; keyword: string | null } | { ok: false };

/**
 * Maps a flag from a command to a store keyword. `\Recent` maps to null (ignored: not supported
 * in rev2, RFC 9051 §2.3.2). Unknown system flags and invalid atoms are errors.
 */
export function flagToKeyword(flag: string): FlagMapping {
  const lower = flag.toLowerCase();
  if (lower.startsWith("\\")) {
    if (lower === "\\recent") return { ok: true, keyword: null };
    const k = SYSTEM[lower];
    return k ? { ok: true, keyword: k } : { ok: false };
  }
  // RFC 9051 §9: flag-keyword is an atom (no list-wildcards, quoted-specials or resp-specials).
  if (!/^[\x21\x23\x24\x26\x27\x2b-\x5a\x5e-\x7a\x7c\x7e]+$/.test(flag) || flag.length > 255) {
    return { ok: false };
  }
  return { ok: true, keyword: lower };
}

/** Maps a store keyword to the flag shown to IMAP clients. */
export function keywordToFlag(keyword: string): string {
  return DISPLAY[keyword] ?? keyword;
}

/**
 * Formats a flag list `(\Seen $Forwarded)`. With `recent`, the session flag `\Recent` (RFC 3501
 * §2.3.2) follows the system flags.
 */
export function formatFlags(keywords: readonly string[], recent = false): string {
  const flags = keywords.map(keywordToFlag);
  if (recent) {
    const i = flags.findIndex((f) => !f.startsWith("\\"));
    flags.splice(i < 0 ? flags.length : i, 0, "\\Recent");
  }
  return "(" + flags.join(" ") + ")";
}
