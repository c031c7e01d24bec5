/**
 * Line scanning over message bytes, shared by the header and MIME parsers. Private to core/mime.
 *
 * LF ends a line (with an optional CR before it) and a lone CR is data (RFC 5322 §2.3), as in
 * Dovecot. A "cr" mode, where CR, LF and CRLF all end lines, is kept for callers that ask for it;
 * the MIME parser never does (it only detects bare-CR messages to record a defect).
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/**
 * Memo of the last LF search: the first LF at or after `from` is at `at` (-1: none; -2: empty).
 * An unbounded native search may run past a region's end; the memo makes sure that overshoot is
 * paid once per message, not once per part, so parsing stays linear.
 */
export interface LfMemo {
  from: number;
  at: number;
}

/** The first LF at or after `pos`, or -1, using and updating the memo. */
function nextLf(raw: Uint8Array, pos: number, memo: LfMemo): number {
  if (memo.at !== -2 && pos >= memo.from && (memo.at < 0 || pos <= memo.at)) return memo.at;
  const at = raw.indexOf(LF, pos);
  memo.from = pos;
  memo.at = at;
  return at;
}

/** Where a line's content ends and the next line starts. */
export interface LineBounds {
  /** Offset just past the line's content (before CR/LF). */
  contentEnd: number;
  /** Offset of the next line (just past the line ending), or `end`. */
  next: number;
}

/**
 * Finds the end of the line starting at `pos`, not looking past `end`.
 *
 * @param raw message bytes
 * @param pos start of the line
 * @param end region end
 * @param crMode whether a lone CR ends a line
 * @param memo search memo shared by the callers scanning one message
 * @returns content end and next-line offsets
 */
export function lineAt(
  raw: Uint8Array,
  pos: number,
  end: number,
  crMode: boolean,
  memo: LfMemo = { from: 0, at: -2 },
): LineBounds {
  if (crMode) {
    for (let i = pos; i < end; i++) {
      const c = raw[i];
      if (c === LF) return { contentEnd: i, next: i + 1 };
      if (c === CR) return { contentEnd: i, next: i + 1 < end && raw[i + 1] === LF ? i + 2 : i + 1 };
    }
    return { contentEnd: end, next: end };
  }
  const i = nextLf(raw, pos, memo);
  if (i < 0 || i >= end) return { contentEnd: end, next: end };
  return { contentEnd: i > pos && raw[i - 1] === CR ? i - 1 : i, next: i + 1 };
}

/**
 * Decides whether a message uses bare CR line endings, looking at its first 64 KiB.
 *
 * @param raw message bytes
 * @returns true when lone CRs outnumber LFs
 */
export function usesBareCr(raw: Uint8Array): boolean {
  const n = Math.min(raw.length, 65536);
  // Lone CRs first, jumping from CR to CR (native indexOf): a CRLF message has none, and then
  // its LFs need not be counted at all (the ingest path parses every message).
  let cr = 0;
  for (let i = raw.indexOf(CR); i >= 0 && i < n; i = raw.indexOf(CR, i + 1)) {
    if (raw[i + 1] !== LF) cr++;
  }
  if (cr === 0) return false;
  let lf = 0;
  for (let i = raw.indexOf(LF); i >= 0 && i < n; i = raw.indexOf(LF, i + 1)) lf++;
  return cr > lf;
}

/**
 * Counts text lines in `[start, end)` as Dovecot does for BODYSTRUCTURE body-fld-lines (RFC 9051
 * §7.5.2): the number of line endings. The line ending before a boundary belongs to the boundary,
 * so a part's unterminated last line is not counted. In CR mode lone CRs count as line endings.
 *
 * @param raw message bytes
 * @param start region start
 * @param end region end
 * @param crMode whether a lone CR ends a line
 * @returns number of lines
 */
export function countLines(raw: Uint8Array, start: number, end: number, crMode = false): number {
  let lines = 0;
  if (crMode) {
    for (let j = start; j < end; j++) {
      const c = raw[j];
      if (c === LF || (c === CR && (j + 1 >= end || raw[j + 1] !== LF))) lines++;
    }
    return lines;
  }
  // Jumps from LF to LF (native indexOf) instead of testing every byte.
  for (let j = raw.indexOf(LF, start); j >= 0 && j < end; j = raw.indexOf(LF, j + 1)) lines++;
  return lines;
}

/**
 * Offset where the line ending just before `pos` starts (CRLF, LF or CR), or `pos` if none.
 *
 * @param raw message bytes
 * @param pos offset of a line start
 * @param floor lowest offset the ending may start at
 * @returns the offset of the preceding line ending
 */
export function precedingEol(raw: Uint8Array, pos: number, floor: number): number {
  if (pos - 1 < floor) return pos;
  const c = raw[pos - 1];
  if (c === LF) return pos - 2 >= floor && raw[pos - 2] === CR ? pos - 2 : pos - 1;
  if (c === CR) return pos - 1;
  return pos;
}
