/**
 * Usage periods (issue 16): the UTC day `YYYY-MM-DD` and the calendar month `YYYY-MM`, and the
 * day range of a month. Pure.
 *
 * @module
 */

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The UTC month of an instant, `YYYY-MM`. */
export function utcMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** First and last day of a month `YYYY-MM`; null when malformed. */
export function monthDays(month: string): { from: string; to: string } | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) return null;
  const last = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, "0")}` };
}
