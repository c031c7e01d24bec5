/**
 * Dates in mail: RFC 5322 §3.3 date-time parsing (with the obsolete forms of §4.3 and common
 * garbage), RFC 5322 formatting, and IMAP INTERNALDATE formatting/parsing (RFC 9051 §9 date-time).
 *
 * @module
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Obsolete zone names, RFC 5322 §4.3, with offsets in minutes. */
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  // Common non-standard names seen in the wild.
  cet: 60,
  cest: 120,
  met: 60,
  mest: 120,
  bst: 60,
  ist: 330,
  jst: 540,
  kst: 540,
  hkt: 480,
  eet: 120,
  eest: 180,
  wet: 0,
  west: 60,
  ast: -240,
  adt: -180,
  hst: -600,
  akst: -540,
  akdt: -480,
  nzst: 720,
  nzdt: 780,
  aest: 600,
  aedt: 660,
};

function monthIndex(word: string): number {
  return MONTHS.indexOf(word.slice(0, 3).toLowerCase());
}

function zoneOffset(token: string | undefined): number | null {
  if (token === undefined) return 0;
  const t = token.replace(/[()]/g, "");
  const num = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(t);
  if (num) {
    const hh = Number(num[2]);
    const mm = Number(num[3] ?? "0");
    if (hh > 23 || mm > 59) return null;
    const sign = num[1] === "-" ? -1 : 1;
    return sign * (hh * 60 + mm);
  }
  const named = ZONES[t.toLowerCase()];
  if (named !== undefined) return named;
  // Military single letters: RFC 5322 §4.3 says treat as -0000 (unknown).
  if (/^[a-ik-z]$/i.test(t)) return 0;
  return null;
}

function fullYear(y: string): number {
  const n = Number(y);
  // RFC 5322 §4.3: two-digit years 00-49 are 2000-2049, 50-99 are 1950-1999; three digits add 1900.
  if (y.length === 2) return n < 50 ? 2000 + n : 1900 + n;
  if (y.length === 3) return 1900 + n;
  return n;
}

function build(
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  offset: number,
): Date | null {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return null;
  if (year < 1000 || year > 9999) return null;
  const ms = Date.UTC(year, month, day, h, m, Math.min(s, 59)) - offset * 60_000;
  const d = new Date(ms);
  // Reject days past the month's end (31 Feb).
  if (new Date(Date.UTC(year, month, day)).getUTCMonth() !== month) return null;
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Parses an RFC 5322 date-time leniently: optional day name, obsolete zones (`EST`, `GMT`,
 * military letters), missing seconds, two- and three-digit years, comments, missing zone (taken as
 * UTC), the asctime form `Mon Jan  2 15:04:05 2006`, and ISO 8601. Returns null when unparsable.
 *
 * @example
 * ```ts
 * import { parseDate } from "./date.ts";
 * parseDate("Fri, 21 Nov 1997 09:55:06 -0600")?.toISOString(); // "1997-11-21T15:55:06.000Z"
 * ```
 *
 * @param value a Date header value
 * @returns the instant, or null
 */
export function parseDate(value: string): Date | null {
  return parseDateWithZone(value)?.date ?? null;
}

/** A parsed date-time with the zone offset it was written in. */
export interface ZonedDate {
  /** The instant. */
  date: Date;
  /** The zone offset of the text in minutes east of UTC (0 when absent or unknown). */
  offsetMinutes: number;
}

/**
 * Like {@link parseDate}, but also returns the zone offset the date was written in, so that the
 * calendar day in the sender's own zone can be recovered (RFC 9051 §6.4.4 SENTON and friends
 * compare that day, disregarding time and zone).
 *
 * @param value a Date header value
 * @returns the instant and its zone offset, or null
 */
export function parseDateWithZone(value: string): ZonedDate | null {
  const z = (date: Date | null, offsetMinutes: number): ZonedDate | null =>
    date === null ? null : { date, offsetMinutes };
  const v = value.replace(/\([^)]*\)/g, " ").replace(/[\r\n]/g, " ").trim();
  if (v === "" || v.length > 200) return null;
  // RFC 5322: [day ","] day month year hour ":" minute [":" second] zone
  const rfc =
    /^(?:[A-Za-z]+\.?\s*,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{2,4})\s*,?\s+(\d{1,2})[:.](\d{1,2})(?:[:.](\d{1,2}))?(?:\.\d+)?\s*([+-]\d{1,2}:?\d{2}|[A-Za-z]{1,5})?/
      .exec(v);
  if (rfc) {
    const offset = zoneOffset(rfc[7]) ?? 0;
    return z(
      build(
        fullYear(rfc[3]!),
        monthIndex(rfc[2]!),
        Number(rfc[1]),
        Number(rfc[4]),
        Number(rfc[5]),
        Number(rfc[6] ?? "0"),
        offset,
      ),
      offset,
    );
  }
  // Month before day: "Mon, Jan 2 2006 15:04:05 +0000" and asctime "Mon Jan  2 15:04:05 2006".
  const asc =
    /^(?:[A-Za-z]+,?\s+)?([A-Za-z]{3,9})\s+(\d{1,2}),?\s+(?:(\d{4})\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?\s*(\d{4})?/
      .exec(v);
  if (asc && (asc[3] !== undefined || asc[8] !== undefined)) {
    const offset = zoneOffset(asc[7]) ?? 0;
    return z(
      build(
        Number(asc[3] ?? asc[8]),
        monthIndex(asc[1]!),
        Number(asc[2]),
        Number(asc[4]),
        Number(asc[5]),
        Number(asc[6] ?? "0"),
        offset,
      ),
      offset,
    );
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$/i
    .exec(v);
  if (iso) {
    const offset = zoneOffset(iso[7]) ?? 0;
    return z(
      build(
        Number(iso[1]),
        Number(iso[2]) - 1,
        Number(iso[3]),
        Number(iso[4]),
        Number(iso[5]),
        Number(iso[6] ?? "0"),
        offset,
      ),
      offset,
    );
  }
  return null;
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, "0");
}

function zone(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const a = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(a / 60))}${pad(a % 60)}`;
}

function shifted(date: Date, offsetMinutes: number): Date {
  return new Date(date.getTime() + offsetMinutes * 60_000);
}

/**
 * Formats an RFC 5322 §3.3 date-time, e.g. `Sat, 21 Nov 2026 20:01:33 +0000`.
 *
 * @param date the instant
 * @param offsetMinutes zone offset to show (default 0, UTC)
 * @returns the formatted date
 */
export function formatDate(date: Date, offsetMinutes = 0): string {
  const d = shifted(date, offsetMinutes);
  return `${DAY_NAMES[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTH_NAMES[d.getUTCMonth()]} ${
    pad(d.getUTCFullYear(), 4)
  } ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${zone(offsetMinutes)}`;
}

/**
 * Formats an IMAP INTERNALDATE (RFC 9051 §9 `date-time`): `21-Nov-2026 20:01:33 +0000`, without
 * the surrounding quotes.
 *
 * @param date the instant
 * @param offsetMinutes zone offset to show (default 0, UTC)
 * @returns the formatted date
 */
export function formatImapDate(date: Date, offsetMinutes = 0): string {
  const d = shifted(date, offsetMinutes);
  return `${pad(d.getUTCDate())}-${MONTH_NAMES[d.getUTCMonth()]}-${pad(d.getUTCFullYear(), 4)} ${
    pad(d.getUTCHours())
  }:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${zone(offsetMinutes)}`;
}

/**
 * Parses an IMAP date-time (RFC 9051 §9: `"dd-Mon-yyyy hh:mm:ss +zzzz"`, day may be space-padded;
 * surrounding quotes optional). Strict: returns null on any deviation.
 *
 * @param value the date-time text
 * @returns the instant, or null
 */
export function parseImapDate(value: string): Date | null {
  const m = /^"?([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"?$/.exec(value);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  const offset = (m[7] === "-" ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  if (Number(m[9]) > 59) return null;
  return build(Number(m[3]), month, Number(m[1]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]), offset);
}
