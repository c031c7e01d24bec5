/**
 * Public ids of store objects: a one-letter prefix and the row id (`m12`, `e5031`). JMAP ids
 * should start with a letter (RFC 8620 §1.2); AUTOINCREMENT rows make them never reused.
 *
 * @module
 */

/** Prefix of each kind of id. */
export const ID_PREFIX = {
  account: "a",
  mailbox: "m",
  message: "e",
  thread: "t",
} as const;

/** A kind of object with a public id. */
export type IdKind = keyof typeof ID_PREFIX;

/** Formats a row id as a public id. */
export function formatId(kind: IdKind, rowId: number): string {
  return `${ID_PREFIX[kind]}${rowId}`;
}

/**
 * Parses a public id back to its row id; null for anything malformed or of another kind: the
 * prefix, then a decimal number without leading zeros that is a safe integer (up to 20 characters
 * in all). Read character by character: JMAP asks for 50 or more per Email/get page.
 */
export function parseId(kind: IdKind, id: string): number | null {
  if (typeof id !== "string" || id.length < 2 || id.length > 20 || id.charCodeAt(0) !== PREFIX_CODE[kind]) {
    return null;
  }
  let n = 0;
  for (let i = 1; i < id.length; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (d === 0 && i === 1)) return null;
    n = n * 10 + d;
  }
  // Past 2^53 the sum above is no longer exact; such ids are refused, as before.
  return Number.isSafeInteger(n) ? n : null;
}

/** The char code of each kind's one-letter prefix. */
const PREFIX_CODE: Record<IdKind, number> = {
  account: ID_PREFIX.account.charCodeAt(0),
  mailbox: ID_PREFIX.mailbox.charCodeAt(0),
  message: ID_PREFIX.message.charCodeAt(0),
  thread: ID_PREFIX.thread.charCodeAt(0),
};
