/**
 * Parsed forms of header field values for Email/get `header:Name:asForm` (RFC 8621 §4.1.2).
 * Pure functions over the raw (folded, undecoded) value.
 *
 * @module
 */
import { decodeHeaderText } from "../../core/mime/encoded_words.ts";
import { parseAddressGroups } from "../../core/mime/address.ts";

/** JMAP EmailAddress. */
export interface JmapAddress {
  name: string | null;
  email: string;
}

/** JMAP EmailAddressGroup. */
export interface JmapAddressGroup {
  name: string | null;
  addresses: JmapAddress[];
}

/** Header parsed forms (RFC 8621 §4.1.2). */
export type HeaderForm = "Raw" | "Text" | "Addresses" | "GroupedAddresses" | "MessageIds" | "Date" | "URLs";

/** Forms allowed for each well-known header (RFC 8621 §4.1.2, §4.1.3); others allow Raw and Text... all. */
const FORM_RESTRICTIONS: Record<string, HeaderForm[]> = {
  subject: ["Raw", "Text"],
  comments: ["Raw", "Text"],
  keywords: ["Raw", "Text"],
  "list-id": ["Raw", "Text"],
  from: ["Raw", "Addresses", "GroupedAddresses"],
  sender: ["Raw", "Addresses", "GroupedAddresses"],
  "reply-to": ["Raw", "Addresses", "GroupedAddresses"],
  to: ["Raw", "Addresses", "GroupedAddresses"],
  cc: ["Raw", "Addresses", "GroupedAddresses"],
  bcc: ["Raw", "Addresses", "GroupedAddresses"],
  "resent-from": ["Raw", "Addresses", "GroupedAddresses"],
  "resent-sender": ["Raw", "Addresses", "GroupedAddresses"],
  "resent-reply-to": ["Raw", "Addresses", "GroupedAddresses"],
  "resent-to": ["Raw", "Addresses", "GroupedAddresses"],
  "resent-cc": ["Raw", "Addresses", "GroupedAddresses"],
  "resent-bcc": ["Raw", "Addresses", "GroupedAddresses"],
  date: ["Raw", "Date"],
  "resent-date": ["Raw", "Date"],
  "message-id": ["Raw", "MessageIds"],
  "in-reply-to": ["Raw", "MessageIds"],
  references: ["Raw", "MessageIds"],
  "resent-message-id": ["Raw", "MessageIds"],
  "list-help": ["Raw", "URLs"],
  "list-unsubscribe": ["Raw", "URLs"],
  "list-subscribe": ["Raw", "URLs"],
  "list-post": ["Raw", "URLs"],
  "list-owner": ["Raw", "URLs"],
  "list-archive": ["Raw", "URLs"],
};

/** A parsed `header:` property name. */
export interface HeaderProperty {
  property: string;
  /** Lowercased field name. */
  key: string;
  form: HeaderForm;
  all: boolean;
}

/** Parses `header:{name}[:as{Form}][:all]`; null when malformed or the form is not allowed. */
export function parseHeaderProperty(property: string): HeaderProperty | null {
  const parts = property.split(":");
  if (parts[0] !== "header" || parts.length < 2 || parts.length > 4) return null;
  const name = parts[1]!;
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return null;
  let form: HeaderForm = "Raw";
  let all = false;
  for (const extra of parts.slice(2)) {
    if (extra === "all" && !all) all = true;
    else if (extra.startsWith("as") && form === "Raw" && !all) {
      const f = extra.slice(2) as HeaderForm;
      if (!["Raw", "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs"].includes(f)) {
        return null;
      }
      form = f;
    } else return null;
  }
  const key = name.toLowerCase();
  const allowed = FORM_RESTRICTIONS[key];
  if (allowed && !allowed.includes(form)) return null;
  return { property, key, form, all };
}

/** Converts a raw value to a form. */
export function headerFormValue(raw: string, form: HeaderForm): unknown {
  switch (form) {
    case "Raw":
      return raw;
    case "Text":
      return decodeHeaderText(raw);
    case "Addresses":
      return parseAddressGroups(unfold(raw)).flatMap((g) => g.addresses);
    case "GroupedAddresses":
      return parseAddressGroups(unfold(raw));
    case "MessageIds":
      return parseMessageIds(raw);
    case "Date":
      return parseDateForm(raw);
    case "URLs":
      return parseUrls(raw);
  }
}

const unfold = (s: string) => s.replace(/\r?\n(?=[ \t])/g, "").replace(/\r?\n/g, "");

/** `<id>` list (RFC 5322 msg-id), null when any item is malformed (RFC 8621 §4.1.2.5). */
export function parseMessageIds(raw: string): string[] | null {
  const text = stripComments(unfold(raw)).trim();
  if (text === "") return null;
  const ids: string[] = [];
  const re = /\s*<([^<>\s]+@[^<>\s]+)>\s*/y;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) ids.push(m[1]!);
  if (re.lastIndex !== text.length && ids.length === 0) return null;
  return ids.length ? ids : null;
}

/** RFC 5322 date to a JMAP Date with its offset, null when unparsable (RFC 8621 §4.1.2.6). */
export function parseDateForm(raw: string): string | null {
  const text = stripComments(unfold(raw)).trim();
  const m =
    /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?/
      .exec(text);
  if (!m) return null;
  const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
  const month = months.indexOf(m[2]!.toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (m[3]!.length <= 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const zones: Record<string, number> = {
    UT: 0,
    GMT: 0,
    Z: 0,
    EST: -300,
    EDT: -240,
    CST: -360,
    CDT: -300,
    MST: -420,
    MDT: -360,
    PST: -480,
    PDT: -420,
  };
  let offset = 0;
  const z = m[7];
  if (z && /^[+-]\d{4}$/.test(z)) {
    offset = (z[0] === "-" ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  } else if (z) offset = zones[z.toUpperCase()] ?? 0;
  const day = Number(m[1]), hour = Number(m[4]), minute = Number(m[5]), second = Number(m[6] ?? 0);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const utc = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
  if (Number.isNaN(utc)) return null;
  return formatDateWithOffset(new Date(utc), offset);
}

/** Formats a date as RFC 3339 with the given offset in minutes (`2024-01-02T03:04:05+01:00`). */
export function formatDateWithOffset(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${
    String(abs % 60).padStart(2, "0")
  }`;
}

/** `<url>` list (RFC 2369), null when none (RFC 8621 §4.1.2.7). */
export function parseUrls(raw: string): string[] | null {
  const urls = [...stripComments(unfold(raw)).matchAll(/<([^>]*)>/g)].map((m) => m[1]!.replace(/\s+/g, ""));
  return urls.length ? urls : null;
}

/** Removes RFC 5322 comments outside quoted strings. */
function stripComments(s: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      if (depth === 0) out += c + s[i + 1];
      i++;
      continue;
    }
    if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '"' && depth === 0) {
      quoted = true;
      out += c;
    } else if (c === "(") depth++;
    else if (c === ")" && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}
