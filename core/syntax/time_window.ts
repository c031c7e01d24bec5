/**
 * (core/syntax: pure grammars of values that appear both in the configuration, where
 * core/config/schema.ts validates them, and at run time; it imports nothing.)
 *
 * Time windows during which a listener accepts connections, e.g. `"08:00-18:00"` (UTC). A window
 * whose end is before its start wraps past midnight (`"22:00-06:00"`).
 *
 * @module
 */

/** Minutes since midnight UTC, start inclusive, end exclusive. */
interface Window {
  start: number;
  end: number;
}

function parseClock(s: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : s === "24:00" ? 1440 : null;
}

/** Null when `s` is a valid window like `08:00-18:00`, else what is wrong. */
export function checkTimeWindow(s: string): string | null {
  const [a, b, extra] = s.split("-");
  if (extra !== undefined || a === undefined || b === undefined) return 'expected "HH:MM-HH:MM" (UTC)';
  const start = parseClock(a);
  const end = parseClock(b);
  if (start === null || end === null || start === 1440) return 'expected "HH:MM-HH:MM" (UTC)';
  if (start === end) return "expected a window whose start and end differ";
  return null;
}

/** A set of daily windows; an empty set means always open. */
export class TimeWindows {
  readonly #windows: Window[];

  /** Parses windows; throws RangeError on a bad one. */
  constructor(specs: readonly string[]) {
    this.#windows = specs.map((s) => {
      const problem = checkTimeWindow(s);
      if (problem) throw new RangeError(`Invalid time window "${s}": ${problem}`);
      const [a, b] = s.split("-") as [string, string];
      return { start: parseClock(a)!, end: parseClock(b)! };
    });
  }

  /** True when `when` falls inside a window (or no windows are set). */
  isOpen(when: Date): boolean {
    if (this.#windows.length === 0) return true;
    const minute = when.getUTCHours() * 60 + when.getUTCMinutes();
    return this.#windows.some((w) =>
      w.start < w.end ? minute >= w.start && minute < w.end : minute >= w.start || minute < w.end
    );
  }
}
