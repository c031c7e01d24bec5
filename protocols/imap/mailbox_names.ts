/**
 * Mailbox full names (RFC 9051 §5.1): the store keeps a tree of leaf names linked by parentId; IMAP
 * sees "/"-separated paths. The Inbox (role inbox) is always "INBOX", matched case-insensitively.
 *
 * @module
 */
import type { Mailbox } from "../../core/store/types.ts";

/** The hierarchy delimiter. */
export const DELIMITER = "/";

/** A snapshot of an account's mailboxes with their full names. */
export class MailboxTree {
  /** Mailboxes by id. */
  readonly byId = new Map<string, Mailbox>();
  /** Full names by mailbox id. */
  readonly nameOf = new Map<string, string>();
  /** Mailboxes by full name. */
  readonly byName = new Map<string, Mailbox>();

  /**
   * Builds the tree.
   *
   * @param mailboxes every mailbox of the account
   */
  constructor(readonly mailboxes: Mailbox[]) {
    for (const m of mailboxes) this.byId.set(m.id, m);
    for (const m of mailboxes) {
      const name = this.#fullName(m, 0);
      this.nameOf.set(m.id, name);
      this.byName.set(name, m);
    }
  }

  #fullName(m: Mailbox, depth: number): string {
    const leaf = m.role === "inbox" && m.parentId === null ? "INBOX" : m.name;
    if (m.parentId === null || depth > 64) return leaf;
    const parent = this.byId.get(m.parentId);
    return parent ? this.#fullName(parent, depth + 1) + DELIMITER + leaf : leaf;
  }

  /** Looks a mailbox up by full name (already decoded from modified UTF-7 if needed). */
  find(name: string): Mailbox | null {
    return this.byName.get(normalizeName(name)) ?? null;
  }

  /** Full name of a mailbox. */
  name(m: Mailbox): string {
    return this.nameOf.get(m.id) ?? m.name;
  }

  /** True when the mailbox has children. */
  hasChildren(m: Mailbox): boolean {
    return this.mailboxes.some((x) => x.parentId === m.id);
  }
}

/** Canonical form: "INBOX" (any case) and "INBOX/..." prefixes become uppercase (RFC 9051 §5.1). */
export function normalizeName(name: string): string {
  if (name.toUpperCase() === "INBOX") return "INBOX";
  if (name.slice(0, 6).toUpperCase() === "INBOX" + DELIMITER) return "INBOX" + name.slice(5);
  return name;
}

/**
 * Converts a LIST pattern (`*` any, `%` any but delimiter) to a RegExp (RFC 9051 §6.3.9). The
 * reference and the pattern are joined as written (`"a" "%"` is `a%`, as in Dovecot and the RFC's
 * examples, whose references end with the delimiter).
 */
export function patternToRegExp(reference: string, pattern: string, flags = "s"): RegExp {
  let full = reference + pattern;
  // INBOX is case-insensitive (RFC 9051 §5.1), also as the first component of a pattern.
  const firstWild = full.search(/[*%]/);
  const head = firstWild < 0 ? full : full.slice(0, firstWild);
  if (
    head.slice(0, 5).toUpperCase() === "INBOX" &&
    (head.length === 5 || head[5] === DELIMITER || firstWild === 5)
  ) {
    full = "INBOX" + full.slice(5);
  }
  let re = "^";
  for (const ch of full) {
    if (ch === "*") re += ".*";
    else if (ch === "%") re += "[^/]*";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(re + "$", flags);
}
