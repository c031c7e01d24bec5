/**
 * Plain-text tables for list commands.
 *
 * @module
 */

/** Formats rows under a header with columns padded to their widest cell; "(none)" when empty. */
export function formatTable(header: string[], rows: string[][]): string {
  if (rows.length === 0) return "(none)\n";
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) =>
      r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd()
    )
    .join("\n") + "\n";
}
