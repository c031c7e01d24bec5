/**
 * IMAP dates (RFC 9051 §9): `date` (`1-Feb-1994`, quoted or not) for SEARCH and `date-time`
 * (`" 1-Feb-1994 21:52:25 -0800"`) for APPEND and INTERNALDATE.
 *
 * @module
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** Parses a SEARCH date; returns the UTC midnight of that calendar day, or null. */
export function parseImapDate(text: string): Date | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  const day = Number(m[1]);
  if (month < 0 || day < 1 || day > 31) return null;
  const d = new Date(Date.UTC(Number(m[3]), month, day));
  return d.getUTCDate() === day ? d : null;
}

/**
 * Parses an APPEND date-time; null when invalid. RFC 9051 §9's `date-day-fixed` is two characters
 * (`" 1"` or `"01"`); a bare `1`, which some clients send, is taken too, as Dovecot takes it.
 */
export function parseImapDateTime(text: string): Date | null {
  const m = /^( \d|\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  const day = Number(m[1]!.trim());
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (month < 0 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return null;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === "-" ? -1 : 1);
  const t = Date.UTC(Number(m[3]), month, day, h, mi, s) - offset * 60_000;
  const d = new Date(t);
  return Number.isNaN(t) ? null : d;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Formats INTERNALDATE in UTC: `"21-Nov-2026 20:01:34 +0000"` (without quotes). */
export function formatImapDateTime(d: Date): string {
  const day = d.getUTCDate();
  const mon = MONTHS[d.getUTCMonth()]!;
  return `${day < 10 ? " " + day : day}-${mon[0]!.toUpperCase()}${mon.slice(1)}-${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Calendar day (UTC) of a date as a comparable number yyyymmdd. */
export function dayNumber(d: Date): number {
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}
