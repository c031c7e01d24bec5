/**
 * RFC 5260 §4 date parts of an instant seen in a zone: what the `date` and `currentdate` tests
 * compare. Pure.
 *
 * @module
 */

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 5260 §4.1: a `:zone` argument "+hhmm" / "-hhmm" as minutes east of UTC, or null when malformed. */
export function parseZone(zone: string): number | null {
  const m = /^([+-])([0-9]{2})([0-9]{2})$/.exec(zone);
  if (!m || Number(m[3]) > 59) return null;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Formats minutes east of UTC as "+hhmm". */
export function formatZone(minutes: number): string {
  const a = Math.abs(minutes);
  return (minutes < 0 ? "-" : "+") + pad(Math.floor(a / 60)) + pad(a % 60);
}

/**
 * The value of one date part (RFC 5260 §4.1 table) of `date` in the zone `offsetMinutes` east of
 * UTC, or null for an unknown part.
 */
export function datePart(date: Date, offsetMinutes: number, part: string): string | null {
  const d = new Date(date.getTime() + offsetMinutes * 60_000);
  const y = pad(d.getUTCFullYear(), 4);
  const mo = pad(d.getUTCMonth() + 1);
  const day = pad(d.getUTCDate());
  const h = pad(d.getUTCHours());
  const mi = pad(d.getUTCMinutes());
  const s = pad(d.getUTCSeconds());
  const zone = formatZone(offsetMinutes);
  switch (part.toLowerCase()) {
    case "year":
      return y;
    case "month":
      return mo;
    case "day":
      return day;
    case "date":
      return `${y}-${mo}-${day}`;
    case "julian":
      // Modified Julian Day: days since 1858-11-17 (RFC 5260 §4.1).
      return String(
        Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) / 86_400_000) + 40587,
      );
    case "hour":
      return h;
    case "minute":
      return mi;
    case "second":
      return s;
    case "time":
      return `${h}:${mi}:${s}`;
    case "iso8601":
      return `${y}-${mo}-${day}T${h}:${mi}:${s}${zone.slice(0, 3)}:${zone.slice(3)}`;
    case "std11":
      return `${DAYS[d.getUTCDay()]}, ${day} ${MONTHS[d.getUTCMonth()]} ${y} ${h}:${mi}:${s} ${zone}`;
    case "zone":
      return zone;
    case "weekday":
      return String(d.getUTCDay());
  }
  return null;
}
