/**
 * Persistent packed snapshot of a large mailbox's placements, so that the first listing after a
 * restart (a cold IMAP SELECT) reads one row and decodes typed arrays instead of stepping through
 * 100,000 rows of `placements`.
 *
 * A snapshot reflects the mailbox at one HIGHESTMODSEQ. It never has to be current: the reader
 * brings it up to date with the placements whose MODSEQ is above it and the UIDs expunged after
 * it (the same delta that refreshes the in-memory `PlacementCache`). It is dropped with its
 * mailbox (ON DELETE CASCADE); a snapshot of another UIDVALIDITY, or bytes that do not decode,
 * are ignored and the caller falls back to the full load.
 *
 * Layout of `data` (little endian, every column 8-byte aligned so typed arrays view it in place):
 *
 * ```
 * magic "TPS1" | u32 count | u32 keyword table bytes | u8 width of message row, modseq, size (4|8) |
 * pad to 8 | keyword table (UTF-8 JSON [[flags, "custom"], ...]) | pad to 8 |
 * uid u32[count] | keyword index u32[count] | message row | modseq | size (u32 or f64 each) |
 * received-at f64[count]
 * ```
 *
 * @module
 */
import type { Placement } from "../types.ts";
import type { Database, Migration } from "./database.ts";
import { parseId } from "./ids.ts";
import { frozenKeywords, packKeywords } from "./keywords.ts";
import { PlacementRecord, recordMessageRow, recordReceivedAtMs } from "./placement_record.ts";

/** Component name of the snapshot table in `schema_migrations`. */
export const SNAPSHOT_COMPONENT = "placement_snapshot";

/** Migrations of the snapshot table (its own component, independent of the store's schema). */
export const SNAPSHOT_MIGRATIONS: Migration[] = [{
  version: 1,
  sql: `CREATE TABLE placement_snapshots (
  mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid_validity INTEGER NOT NULL,
  highest_modseq INTEGER NOT NULL,
  count INTEGER NOT NULL,
  data BLOB NOT NULL
);`,
}];

const MAGIC = 0x31535054; // "TPS1" read as a little-endian u32
const HEADER = 16;

/** Placements of one mailbox at one HIGHESTMODSEQ. */
export interface Snapshot {
  /** HIGHESTMODSEQ the list reflects. */
  highestModseq: number;
  /** Placements by UID ascending, frozen, shaped as the full load shapes them. */
  list: Placement[];
}

const align8 = (n: number) => (n + 7) & ~7;

function width(values: Float64Array): 4 | 8 {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v > 0xffffffff) return 8;
  }
  return 4;
}

/**
 * Packs placements (sorted by UID, ids of this store: `e<row>`) into snapshot bytes; null when a
 * placement cannot be represented (then no snapshot is kept and listings use the full load).
 */
export function encodeSnapshot(list: readonly Placement[]): Uint8Array | null {
  const n = list.length;
  const uids = new Uint32Array(n);
  const kwIndex = new Uint32Array(n);
  const messages = new Float64Array(n);
  const modseqs = new Float64Array(n);
  const sizes = new Float64Array(n);
  const dates = new Float64Array(n);
  const table: [number, string][] = [];
  const byArray = new Map<readonly string[], number>();
  const byKey = new Map<string, number>();
  let prevUid = 0;
  for (let i = 0; i < n; i++) {
    const p = list[i]!;
    const record = p instanceof PlacementRecord;
    const row = record ? recordMessageRow(p) : parseId("message", p.messageId);
    const t = record ? recordReceivedAtMs(p) : p.receivedAt.getTime();
    if (
      row === null || !Number.isSafeInteger(row) || row <= 0 ||
      !(p.uid > prevUid && p.uid <= 0xffffffff && Number.isInteger(p.uid)) ||
      !Number.isSafeInteger(p.modseq) || p.modseq < 0 || !Number.isSafeInteger(p.size) || p.size < 0 ||
      !Number.isFinite(t)
    ) return null;
    prevUid = p.uid;
    let k = byArray.get(p.keywords);
    if (k === undefined) {
      const packed = packKeywords(p.keywords);
      const key = `${packed.flags}|${packed.custom}`;
      k = byKey.get(key);
      if (k === undefined) {
        k = table.length;
        table.push([packed.flags, packed.custom]);
        byKey.set(key, k);
      }
      byArray.set(p.keywords, k);
    }
    uids[i] = p.uid;
    kwIndex[i] = k;
    messages[i] = row;
    modseqs[i] = p.modseq;
    sizes[i] = p.size;
    dates[i] = t;
  }
  const tableBytes = new TextEncoder().encode(JSON.stringify(table));
  const widths = [width(messages), width(modseqs), width(sizes)] as const;
  const start = align8(HEADER + tableBytes.length);
  let total = start + align8(4 * n) * 2 + n * 8;
  for (const w of widths) total += align8(w * n);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, tableBytes.length, true);
  view.setUint8(12, widths[0]);
  view.setUint8(13, widths[1]);
  view.setUint8(14, widths[2]);
  out.set(tableBytes, HEADER);
  let at = start;
  const put = (src: Uint32Array | Float64Array, w: 4 | 8) => {
    if (w === 4 && src instanceof Float64Array) new Uint32Array(out.buffer, at, n).set(src);
    else out.set(new Uint8Array(src.buffer, 0, src.byteLength), at);
    at += align8(w * n);
  };
  put(uids, 4);
  put(kwIndex, 4);
  put(messages, widths[0]);
  put(modseqs, widths[1]);
  put(sizes, widths[2]);
  put(dates, 8);
  return out;
}

function corrupt(detail: string): SyntaxError {
  return new SyntaxError(`Invalid placement snapshot: ${detail}`);
}

/**
 * Unpacks snapshot bytes into frozen placements of `mailboxId` (the same values and kind of object
 * as the full load, keyword arrays shared with it; `messageId` and `receivedAt` read the bytes). Throws SyntaxError when the bytes are not a valid
 * snapshot (wrong size, unknown keyword index, UIDs not ascending).
 */
export function decodeSnapshot(bytes: Uint8Array, mailboxId: string): Placement[] {
  if (bytes.length < HEADER) throw corrupt("too short");
  // Typed arrays need aligned offsets: copy when the bytes do not start on an 8-byte boundary.
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt("bad magic");
  const n = view.getUint32(4, true);
  const tableLength = view.getUint32(8, true);
  const widths = [view.getUint8(12), view.getUint8(13), view.getUint8(14)];
  if (widths.some((w) => w !== 4 && w !== 8)) throw corrupt("bad column width");
  const start = align8(HEADER + tableLength);
  let total = start + align8(4 * n) * 2 + n * 8;
  for (const w of widths) total += align8(w * n);
  if (total !== b.length) throw corrupt(`expected ${total} bytes, got ${b.length}`);
  let rawTable: unknown;
  try {
    rawTable = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(HEADER, HEADER + tableLength)),
    );
  } catch {
    throw corrupt("bad keyword table");
  }
  if (!Array.isArray(rawTable)) throw corrupt("bad keyword table");
  const table = rawTable.map((e) => {
    if (!Array.isArray(e) || typeof e[0] !== "number" || typeof e[1] !== "string") {
      throw corrupt("bad keyword");
    }
    return frozenKeywords(e[0], e[1]);
  });
  let at = b.byteOffset + start;
  const column = (w: number): Uint32Array | Float64Array => {
    const c = w === 4 ? new Uint32Array(b.buffer, at, n) : new Float64Array(b.buffer, at, n);
    at += align8(w * n);
    return c;
  };
  const uids = column(4);
  const kw = column(4);
  const messages = column(widths[0]!);
  const modseqs = column(widths[1]!);
  const sizes = column(widths[2]!);
  const dates = column(8);
  const columns = { messageRows: messages, receivedAt: dates };
  const out = new Array<Placement>(n);
  let prevUid = 0;
  for (let i = 0; i < n; i++) {
    const uid = uids[i]!;
    const keywords = table[kw[i]!];
    if (uid <= prevUid || keywords === undefined) throw corrupt(`bad placement at ${i}`);
    prevUid = uid;
    out[i] = Object.freeze(new PlacementRecord(mailboxId, uid, modseqs[i]!, keywords, sizes[i]!, columns, i));
  }
  return out;
}

/** The snapshot table of one database. */
export class PlacementSnapshots {
  readonly #db: Database;

  /**
   * Applies the table's migrations (its own component).
   *
   * @param db the store's database
   */
  constructor(db: Database) {
    this.#db = db;
    db.applyMigrations(SNAPSHOT_COMPONENT, SNAPSHOT_MIGRATIONS);
  }

  /**
   * The snapshot of a mailbox, or null when there is none, it belongs to another UIDVALIDITY or it
   * does not decode (the caller then loads every placement).
   */
  read(mailboxRow: number, mailboxId: string, uidValidity: number): Snapshot | null {
    const row = this.#db.get<
      { uid_validity: number; highest_modseq: number; count: number; data: Uint8Array }
    >(
      "SELECT uid_validity, highest_modseq, count, data FROM placement_snapshots WHERE mailbox_id = ?",
      mailboxRow,
    );
    if (!row || row.uid_validity !== uidValidity || !(row.data instanceof Uint8Array)) return null;
    try {
      const list = decodeSnapshot(row.data, mailboxId);
      return list.length === row.count ? { highestModseq: row.highest_modseq, list } : null;
    } catch {
      return null;
    }
  }

  /** HIGHESTMODSEQ of a mailbox's snapshot, or null when it has none. */
  modseqOf(mailboxRow: number): number | null {
    return this.#db.get<{ m: number }>(
      "SELECT highest_modseq AS m FROM placement_snapshots WHERE mailbox_id = ?",
      mailboxRow,
    )?.m ?? null;
  }

  /**
   * Stores (or replaces) the snapshot of a mailbox; no-op when the mailbox is gone, its UIDVALIDITY
   * changed, `highestModseq` is above the mailbox's or the list cannot be packed. Replacing even a
   * newer snapshot is safe (an older one is only slower to bring up to date), and it is how an
   * undecodable row gets replaced. Call inside a write transaction. Returns whether a row was written.
   */
  write(mailboxRow: number, uidValidity: number, highestModseq: number, list: readonly Placement[]): boolean {
    const data = encodeSnapshot(list);
    if (!data) return false;
    const r = this.#db.run(
      `INSERT INTO placement_snapshots (mailbox_id, uid_validity, highest_modseq, count, data)
       SELECT id, uid_validity, ?, ?, ? FROM mailboxes WHERE id = ? AND uid_validity = ? AND highest_modseq >= ?
       ON CONFLICT (mailbox_id) DO UPDATE SET uid_validity = excluded.uid_validity,
         highest_modseq = excluded.highest_modseq, count = excluded.count, data = excluded.data`,
      highestModseq,
      list.length,
      data,
      mailboxRow,
      uidValidity,
      highestModseq,
    );
    return r.changes > 0;
  }

  /** Removes the snapshot of a mailbox (or of every mailbox). */
  delete(mailboxRow?: number): void {
    if (mailboxRow === undefined) this.#db.run("DELETE FROM placement_snapshots");
    else this.#db.run("DELETE FROM placement_snapshots WHERE mailbox_id = ?", mailboxRow);
  }
}
