/**
 * The per-account change log: every logged change takes the account's next MODSEQ, so a state
 * string (the last MODSEQ of a change of a type) names an exact point in the log, and
 * `changes()` can stop after any row (RFC 8620 §5.2 maxChanges).
 *
 * @module
 */
import { CannotCalculateChangesError, type Changes, type ChangeType } from "../types.ts";
import type { Database } from "./database.ts";

/** Change rows read per statement by `computeChanges`. */
const CHANGES_PAGE = 1024;

/** Kind of a logged change. */
export type ChangeKind = "c" | "u" | "d";

/** Takes the next MODSEQ of an account (inside a transaction). */
export function nextModseq(db: Database, accountRow: number): number {
  const row = db.get<{ modseq: number }>(
    "UPDATE accounts SET modseq = modseq + 1 WHERE id = ? RETURNING modseq",
    accountRow,
  );
  if (!row) throw new Error(`Account row ${accountRow} vanished inside a transaction`);
  return row.modseq;
}

/** Logs one change with a fresh MODSEQ and returns it (inside a transaction). */
export function logChange(
  db: Database,
  accountRow: number,
  type: ChangeType,
  objectId: string,
  kind: ChangeKind,
): number {
  const modseq = nextModseq(db, accountRow);
  db.run(
    "INSERT INTO changes (account_id, modseq, type, object_id, kind) VALUES (?, ?, ?, ?, ?)",
    accountRow,
    modseq,
    type,
    objectId,
    kind,
  );
  return modseq;
}

/** State string of a type: the MODSEQ of its last change, "0" when none. */
export function typeState(db: Database, accountRow: number, type: ChangeType): number {
  // Once per read scope: a JMAP query and get of one request both state it.
  return db.scopeMemo(`state:${accountRow}:${type}`, () =>
    db.get<{ m: number | null }>(
      "SELECT max(modseq) AS m FROM changes WHERE account_id = ? AND type = ?",
      accountRow,
      type,
    )?.m ?? 0);
}

/** Parses a state string; null when malformed. */
export function parseState(state: string): number | null {
  if (typeof state !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(state)) return null;
  return Number(state);
}

/**
 * Computes what changed since `sinceState` (RFC 8620 §5.2). Each object is reported once: created
 * and destroyed within the window -> omitted; created then updated -> created; existing then
 * destroyed -> destroyed; otherwise updated.
 */
export function computeChanges(
  db: Database,
  account: { row: number; modseq: number; changesFloor: number },
  type: ChangeType,
  sinceState: string,
  maxChanges?: number,
): Changes {
  const accountRow = account.row;
  const since = parseState(sinceState);
  if (since === null) throw new CannotCalculateChangesError(`Unknown state: "${sinceState}"`);
  if (since > account.modseq) throw new CannotCalculateChangesError(`State from the future: "${sinceState}"`);
  if (since < account.changesFloor) {
    throw new CannotCalculateChangesError(`State too old, the change log was pruned: "${sinceState}"`);
  }
  const limit = maxChanges !== undefined && maxChanges > 0 ? Math.trunc(maxChanges) : Infinity;
  const objects = new Map<string, { first: ChangeKind; last: ChangeKind }>();
  let newState = since;
  let hasMoreChanges = false;
  // Pages of rows as arrays (MODSEQs are unique per account, so `modseq >` the last one read
  // resumes exactly): a row iterator costs about 7 times as much per row (issue 24).
  let after = since;
  for (let more = true; more && !hasMoreChanges;) {
    const rows = db.values(
      "SELECT modseq, object_id, kind FROM changes WHERE account_id = ? AND type = ? AND modseq > ? " +
        "ORDER BY modseq LIMIT ?",
      accountRow,
      type,
      after,
      CHANGES_PAGE,
    );
    more = rows.length === CHANGES_PAGE;
    for (const row of rows) {
      const modseq = row[0] as number;
      const objectId = row[1] as string;
      const kind = row[2] as ChangeKind;
      const seen = objects.get(objectId);
      if (!seen && objects.size >= limit) {
        hasMoreChanges = true;
        break;
      }
      if (seen) seen.last = kind;
      else objects.set(objectId, { first: kind, last: kind });
      newState = modseq;
      after = modseq;
    }
  }
  const created: string[] = [];
  const updated: string[] = [];
  const destroyed: string[] = [];
  for (const [id, { first, last }] of objects) {
    const existedBefore = first !== "c";
    const existsAfter = last !== "d";
    if (existedBefore && existsAfter) updated.push(id);
    else if (!existedBefore && existsAfter) created.push(id);
    else if (existedBefore && !existsAfter) destroyed.push(id);
  }
  return { oldState: sinceState, newState: String(newState), hasMoreChanges, created, updated, destroyed };
}

/**
 * Drops the oldest change rows of every account beyond the newest `keep`, recording the pruned
 * MODSEQ as the account's floor (states below it get CannotCalculateChangesError). Inside a
 * transaction. Returns the number of rows removed.
 */
export function pruneChangeLog(db: Database, keep: number): number {
  let removed = 0;
  const accounts = db.all<{ id: number }>("SELECT id FROM accounts");
  for (const { id } of accounts) {
    const cut = db.get<{ modseq: number }>(
      "SELECT modseq FROM changes WHERE account_id = ? ORDER BY modseq DESC LIMIT 1 OFFSET ?",
      id,
      Math.max(0, Math.trunc(keep)),
    );
    if (!cut) continue;
    removed += db.run("DELETE FROM changes WHERE account_id = ? AND modseq <= ?", id, cut.modseq).changes;
    db.run("UPDATE accounts SET changes_floor = max(changes_floor, ?) WHERE id = ?", cut.modseq, id);
  }
  return removed;
}
