/**
 * The parsed forms of a header field value defined by RFC 8621 §4.1.2 (JMAP `header:Name:asForm`).
 *
 * @module
 */
import type { EmailAddress } from "./types.ts";
import { type AddressGroup, parseAddressGroups, parseAddressList } from "./address.ts";
import { parseDate } from "./date.ts";
import { decodeEncodedWords } from "./encoded_words.ts";
import { parseMessageIds } from "./message_id.ts";
import { stripComments } from "./rfc2231.ts";

/** RFC 8621 §4.1.2 form names. */
export type HeaderFormName =
  | "Raw"
  | "Text"
  | "Addresses"
  | "GroupedAddresses"
  | "MessageIds"
  | "Date"
  | "URLs";

const ADDRESS_FIELDS = [
  "from",
  "sender",
  "reply-to",
  "to",
  "cc",
  "bcc",
  "resent-from",
  "resent-sender",
  "resent-reply-to",
  "resent-to",
  "resent-cc",
  "resent-bcc",
];

/** Fields each form is permitted for (RFC 8621 §4.1.2.1-7), besides fields RFC 5322/2369 do not define. */
const PERMITTED: Record<Exclude<HeaderFormName, "Raw">, Set<string>> = {
  Text: new Set(["subject", "comments", "keywords", "list-id"]),
  Addresses: new Set(ADDRESS_FIELDS),
  GroupedAddresses: new Set(ADDRESS_FIELDS),
  MessageIds: new Set(["message-id", "in-reply-to", "references", "resent-message-id"]),
  Date: new Set(["date", "resent-date"]),
  URLs: new Set([
    "list-help",
    "list-unsubscribe",
    "list-subscribe",
    "list-post",
    "list-owner",
    "list-archive",
  ]),
};

/** Fields defined by RFC 5322 or RFC 2369: only their own forms apply to them. */
const DEFINED = new Set([
  ...ADDRESS_FIELDS,
  "date",
  "message-id",
  "in-reply-to",
  "references",
  "subject",
  "comments",
  "keywords",
  "resent-date",
  "resent-message-id",
  "return-path",
  "received",
  ...PERMITTED.URLs,
]);

/**
 * Whether RFC 8621 §4.1.2 permits a parsed form for a header field: Raw always; the other forms
 * for their listed fields and for any field RFC 5322 and RFC 2369 do not define (a JMAP server
 * answers invalidArguments otherwise).
 *
 * @param name header field name, any case
 * @param form the requested form
 * @returns true when the combination is permitted
 */
export function headerFormAllowed(name: string, form: HeaderFormName): boolean {
  if (form === "Raw") return true;
  const key = name.toLowerCase();
  return PERMITTED[form].has(key) || !DEFINED.has(key);
}

/**
 * RFC 8621 §4.1.2.2 Text: unfolded, the leading whitespace character removed, RFC 2047 decoded,
 * NFC normalised.
 *
 * @param raw raw value (as stored in `HeaderField.value`)
 * @returns the text
 */
export function asText(raw: string): string {
  const unfolded = raw.replace(/\r\n|\r|\n/g, "");
  return decodeEncodedWords(unfolded.replace(/^[ \t]/, "")).trim().normalize("NFC");
}

/**
 * RFC 8621 §4.1.2.5 MessageIds: the ids, or null when none can be parsed.
 *
 * @param raw raw value
 * @returns ids or null
 */
export function asMessageIds(raw: string): string[] | null {
  const ids = parseMessageIds(raw);
  return ids.length > 0 ? ids : null;
}

/**
 * RFC 8621 §4.1.2.6 Date: the instant, or null.
 *
 * @param raw raw value
 * @returns the date or null
 */
export function asDate(raw: string): Date | null {
  return parseDate(raw);
}

/**
 * RFC 8621 §4.1.2.7 URLs (RFC 2369 List-* fields): the `<…>` URLs, or null when there are none.
 *
 * @param raw raw value
 * @returns URLs or null
 */
export function asURLs(raw: string): string[] | null {
  const urls = [...stripComments(raw.replace(/[\r\n]/g, "")).matchAll(/<([^<>]*)>/g)].map((m) =>
    m[1]!.replace(/\s+/g, "")
  );
  return urls.length > 0 ? urls : null;
}

/** Value of each form. */
export interface HeaderFormValue {
  /** §4.1.2.1: the value passed in, unchanged (give it `rawFieldValue` to keep the folding). */
  Raw: string;
  /** §4.1.2.2 */
  Text: string;
  /** §4.1.2.3 */
  Addresses: EmailAddress[];
  /** §4.1.2.4 */
  GroupedAddresses: AddressGroup[];
  /** §4.1.2.5 */
  MessageIds: string[] | null;
  /** §4.1.2.6 */
  Date: Date | null;
  /** §4.1.2.7 */
  URLs: string[] | null;
}

/**
 * Parses a raw header value into the requested RFC 8621 §4.1.2 form.
 *
 * @param raw raw value (as stored in `HeaderField.value`, leading space included)
 * @param form the form
 * @returns the parsed value
 */
export function headerAs<F extends HeaderFormName>(raw: string, form: F): HeaderFormValue[F] {
  const out: { [K in HeaderFormName]: () => HeaderFormValue[K] } = {
    Raw: () => raw,
    Text: () => asText(raw),
    Addresses: () => parseAddressList(raw),
    GroupedAddresses: () => parseAddressGroups(raw),
    MessageIds: () => asMessageIds(raw),
    Date: () => asDate(raw),
    URLs: () => asURLs(raw),
  };
  return out[form]();
}
