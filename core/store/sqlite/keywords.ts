/**
 * Keywords (IMAP flags) in SQLite: the packing rules moved to core/store/keywords.ts (shared by
 * every backend) and are re-exported here; the SQL test of a keyword stays here.
 *
 * @module
 */
import { KEYWORD_BITS, normalizeKeyword } from "../keywords.ts";

export * from "../keywords.ts";

/** SQL expression testing whether the row aliased `alias` has `keyword`, with its parameter. */
export function keywordSql(alias: string, keyword: string): { sql: string; params: string[] } {
  const k = normalizeKeyword(keyword);
  const bit = KEYWORD_BITS[k];
  if (bit !== undefined) return { sql: `(${alias}.flags & ${bit}) != 0`, params: [] };
  return { sql: `instr(' ' || ${alias}.keywords || ' ', ' ' || ? || ' ') > 0`, params: [k] };
}
