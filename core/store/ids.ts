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

/** Parses a public id back to its row id; null for anything malformed or of another kind. */
export function parseId(kind: IdKind, id: string): number | null {
  const prefix = ID_PREFIX[kind];
  if (typeof id !== "string" || id.length < 2 || id.length > 20 || !id.startsWith(prefix)) return null;
  const digits = id.slice(1);
  if (!/^[1-9][0-9]*$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}
