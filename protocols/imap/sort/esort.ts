/**
 * The ESORT result (RFC 5267 §3): `SORT RETURN (...)` answers with an ESEARCH response whose
 * numbers keep the sort order. Pure.
 *
 * @module
 */

/**
 * RFC 5267 §3: ALL lists the matches in sort order as a sequence-set, which therefore cannot be
 * sorted or merged; only runs of consecutive ascending numbers become `a:b` ranges (a range
 * names its numbers in ascending order). Descending runs stay listed one by one, as Dovecot
 * sends them: `7,2:3,1,4:6`.
 *
 * @param values message numbers or UIDs in sort order (at least one)
 */
export function formatSortedSet(values: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(j > i ? `${values[i]}:${values[j]}` : String(values[i]));
    i = j + 1;
  }
  return out.join(",");
}

/**
 * The ESEARCH data after the correlator for ESORT (RFC 5267 §3, RFC 4731 §3.1): MIN is the first
 * in sort order, MAX the last, ALL the whole order ({@link formatSortedSet}), COUNT their number;
 * MIN, MAX and ALL are left out when nothing matched. `modseq` (RFC 7162 §3.1.5) goes last.
 *
 * @param returns the RETURN options (uppercase)
 * @param values message numbers or UIDs in sort order
 * @param modseq the highest MODSEQ of the matches when a MODSEQ key was used, else null
 * @param partial the formatted RFC 5267 §4.4 PARTIAL data (placed before COUNT), or ""
 */
export function esortData(
  returns: ReadonlySet<string>,
  values: readonly number[],
  modseq: number | null,
  partial = "",
): string {
  let line = "";
  if (values.length > 0) {
    if (returns.has("MIN")) line += ` MIN ${values[0]}`;
    if (returns.has("MAX")) line += ` MAX ${values[values.length - 1]}`;
    if (returns.has("ALL")) line += ` ALL ${formatSortedSet(values)}`;
  }
  line += partial;
  if (returns.has("COUNT")) line += ` COUNT ${values.length}`;
  if (modseq !== null) line += ` MODSEQ ${modseq}`;
  return line;
}
