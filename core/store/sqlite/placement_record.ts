/**
 * The `Placement` objects the SQLite store hands out: the small fields are own properties, while
 * `messageId` and `receivedAt` are read on access from columns shared by every placement of one
 * load (typed arrays: of a snapshot, or filled from rows). Listing 100,000 placements then
 * allocates one small object per placement instead of an object, a string and a Date, which is
 * what makes a cold IMAP SELECT of a big mailbox fast (most of that time was garbage collection).
 *
 * Differences from a plain object literal, none of which the `Store` contract relies on:
 * `messageId` and `receivedAt` live on the prototype, so an object spread (`{ ...p }`) or
 * `Object.keys` does not carry them (copy fields explicitly; `toPlainPlacement` does) and
 * `assert.deepEqual` against a literal fails; `JSON.stringify` works through `toJSON`;
 * `receivedAt` is a new Date on every access (so callers cannot change the cached value).
 *
 * @module
 */
import type { Placement } from "../types.ts";
import { ID_PREFIX } from "./ids.ts";

/** Columns shared by the placements of one load, indexed like the load's rows. */
export interface PlacementColumns {
  /** Row ids of the messages (`e<row>` ids). */
  readonly messageRows: ArrayLike<number>;
  /** INTERNALDATE in milliseconds since the epoch. */
  readonly receivedAt: ArrayLike<number>;
}

let messageRowOf: (p: PlacementRecord) => number;
let receivedAtMsOf: (p: PlacementRecord) => number;

/** A placement backed by shared columns; frozen by its creator when cached. */
export class PlacementRecord implements Placement {
  readonly mailboxId: string;
  readonly uid: number;
  readonly modseq: number;
  readonly keywords: string[];
  readonly size: number;
  readonly #columns: PlacementColumns;
  readonly #index: number;

  static {
    messageRowOf = (p) => p.#columns.messageRows[p.#index]!;
    receivedAtMsOf = (p) => p.#columns.receivedAt[p.#index]!;
  }

  /**
   * One placement.
   *
   * @param mailboxId public id of its mailbox
   * @param uid its UID
   * @param modseq MODSEQ of its last change
   * @param keywords its keywords (shared frozen arrays from `frozenKeywords`)
   * @param size message size in octets
   * @param columns message row ids and INTERNALDATEs of the load
   * @param index this placement's index in `columns`
   */
  constructor(
    mailboxId: string,
    uid: number,
    modseq: number,
    keywords: string[],
    size: number,
    columns: PlacementColumns,
    index: number,
  ) {
    this.mailboxId = mailboxId;
    this.uid = uid;
    this.modseq = modseq;
    this.keywords = keywords;
    this.size = size;
    this.#columns = columns;
    this.#index = index;
  }

  /** The message's public id. */
  get messageId(): string {
    return ID_PREFIX.message + this.#columns.messageRows[this.#index]!;
  }

  /** INTERNALDATE (a new Date on each access). */
  get receivedAt(): Date {
    return new Date(this.#columns.receivedAt[this.#index]!);
  }

  /** The plain form, so that JSON carries every field. */
  toJSON(): Placement {
    return toPlainPlacement(this);
  }

  /** Shows every field when logged or printed by a failed assertion. */
  [Symbol.for("nodejs.util.inspect.custom")](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options: unknown) => string,
  ): string {
    return `PlacementRecord ${inspect(toPlainPlacement(this), options)}`;
  }
}

/** A placement as a plain object literal (every field an own property). */
export function toPlainPlacement(p: Placement): Placement {
  return {
    mailboxId: p.mailboxId,
    uid: p.uid,
    messageId: p.messageId,
    modseq: p.modseq,
    keywords: p.keywords,
    size: p.size,
    receivedAt: p.receivedAt,
  };
}

/** Message row id of a record, without formatting and parsing its id. */
export function recordMessageRow(p: PlacementRecord): number {
  return messageRowOf(p);
}

/** INTERNALDATE of a record in milliseconds, without a Date. */
export function recordReceivedAtMs(p: PlacementRecord): number {
  return receivedAtMsOf(p);
}
