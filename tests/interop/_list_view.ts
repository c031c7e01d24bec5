/**
 * What the LIST differential tests compare of a LIST or LSUB response (`list_diff_test.ts`,
 * `random_list_diff_test.ts`): attributes are a set (order and case do not matter), and
 * \HasChildren/\HasNoChildren may be left out where the client did not ask for them (RFC 5258 §4
 * lets a server send them anyway, Tern always does).
 *
 * @module
 */

/** A `* LIST`/`* LSUB` line with its attributes lowercased and sorted (children ones kept or not). */
export function normaliseAttrs(line: string, keepChildren: boolean): string {
  return line.replace(/^(\* (?:LIST|LSUB) )\(([^)]*)\)/, (_, head: string, attrs: string) => {
    const list = attrs.split(" ").filter((a) => a && (keepChildren || !/^\\Has(No)?Children$/i.test(a)));
    return `${head}(${list.map((a) => a.toLowerCase()).sort().join(" ")})`;
  });
}
