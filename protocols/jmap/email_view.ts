/**
 * The JMAP Email object (RFC 8621 §4.1) of a stored message: metadata and header convenience
 * properties from the store's summary; headers, header forms and body parts from the parsed raw
 * message (parsed only when such a property is asked for).
 *
 * @module
 */
import type { EmailAddress, Message } from "../../core/store/types.ts";
import type { MimePart } from "../../core/mime/types.ts";
import {
  bodyLists,
  bodyPartObject,
  partText,
  partTree,
  type PartView,
  rawHeaderValue,
  textParts,
  truncateUtf8,
} from "./body_structure.ts";
import { headerFormValue, type HeaderProperty, parseHeaderProperty } from "./header_forms.ts";
import { messageBlobId } from "./blob_ids.ts";

/** Every non-header Email property (RFC 8621 §4.1). */
export const EMAIL_PROPERTIES: ReadonlySet<string> = new Set([
  "id",
  "blobId",
  "threadId",
  "mailboxIds",
  "keywords",
  "size",
  "receivedAt",
  "headers",
  "messageId",
  "inReplyTo",
  "references",
  "sender",
  "from",
  "to",
  "cc",
  "bcc",
  "replyTo",
  "subject",
  "sentAt",
  "bodyStructure",
  "bodyValues",
  "textBody",
  "htmlBody",
  "attachments",
  "hasAttachment",
  "preview",
]);

/** Default properties of Email/get (RFC 8621 §4.2). */
export const DEFAULT_EMAIL_PROPERTIES = [
  "id",
  "blobId",
  "threadId",
  "mailboxIds",
  "keywords",
  "size",
  "receivedAt",
  "messageId",
  "inReplyTo",
  "references",
  "sender",
  "from",
  "to",
  "cc",
  "bcc",
  "replyTo",
  "subject",
  "sentAt",
  "hasAttachment",
  "preview",
  "bodyValues",
  "textBody",
  "htmlBody",
  "attachments",
];

const NEEDS_RAW = new Set(["headers", "bodyStructure", "bodyValues", "textBody", "htmlBody", "attachments"]);

/** Options of the body part views (RFC 8621 §4.2). */
export interface EmailViewOptions {
  bodyProperties: string[];
  fetchTextBodyValues: boolean;
  fetchHTMLBodyValues: boolean;
  fetchAllBodyValues: boolean;
  maxBodyValueBytes: number;
}

/** True when a property list needs the raw message. */
export function needsRaw(props: readonly string[]): boolean {
  return props.some((p) => NEEDS_RAW.has(p) || p.startsWith("header:"));
}

/** Validates a property name (plain or `header:`); returns the parsed header property if any. */
export function checkEmailProperty(p: string): HeaderProperty | null | false {
  if (EMAIL_PROPERTIES.has(p)) return null;
  return parseHeaderProperty(p) ?? false;
}

/** JMAP keywords object from stored (lowercase) keywords. */
export function keywordsObject(keywords: readonly string[]): Record<string, true> {
  // A plain loop: a third of Object.fromEntries over mapped pairs, per Email of every page.
  const out: Record<string, true> = {};
  // "__proto__" is a valid keyword too: Deno has no `Object.prototype.__proto__` setter, so it is
  // an own property like any other (email_view_test.ts).
  for (const k of keywords) out[k] = true;
  return out;
}

const addresses = (list: EmailAddress[]): EmailAddress[] | null => list.length ? list : null;

/** UTCDate strings by instant (ms since the epoch), at most `UTC_DATES_MAX`. */
const utcDates = new Map<number, string>();
const UTC_DATES_MAX = 20_000;

/**
 * An RFC 8620 §1.4 UTCDate (RFC 3339 `date-time` in UTC, `Z`, whole seconds): the dates of an
 * Email/get page are mostly the same from one request to the next, and formatting one costs
 * about 1.2 µs (`toISOString`), 60 µs a page of 50 (issue 24), so each is formatted once.
 */
export function utcDate(d: Date): string {
  const t = d.getTime();
  let s = utcDates.get(t);
  if (s === undefined) {
    s = d.toISOString().replace(/\.\d{3}Z$/, "Z");
    if (utcDates.size >= UTC_DATES_MAX) utcDates.clear();
    utcDates.set(t, s);
  }
  return s;
}

/**
 * Builds an Email object with the requested properties. `raw` and `root` are needed when
 * `needsRaw(props)`.
 */
export function emailObject(
  m: Message,
  props: readonly string[],
  opts: EmailViewOptions,
  raw: Uint8Array | null,
  root: MimePart | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id: m.id };
  let tree: PartView | null = null;
  let lists: ReturnType<typeof bodyLists> | null = null;
  const getTree = () => tree ??= partTree(root!);
  const getLists = () => lists ??= bodyLists(getTree());
  const s = m.summary;
  for (const p of props) {
    switch (p) {
      case "id":
        break;
      case "blobId":
        out.blobId = messageBlobId(m.id);
        break;
      case "threadId":
        out.threadId = m.threadId;
        break;
      case "mailboxIds":
        out.mailboxIds = Object.fromEntries(m.mailboxIds.map((id) => [id, true]));
        break;
      case "keywords":
        out.keywords = keywordsObject(m.keywords);
        break;
      case "size":
        out.size = m.size;
        break;
      case "receivedAt":
        out.receivedAt = utcDate(m.receivedAt);
        break;
      case "messageId":
        out.messageId = s.messageId.length ? s.messageId : null;
        break;
      case "inReplyTo":
        out.inReplyTo = s.inReplyTo.length ? s.inReplyTo : null;
        break;
      case "references":
        out.references = s.references.length ? s.references : null;
        break;
      case "sender":
        out.sender = addresses(s.sender);
        break;
      case "from":
        out.from = addresses(s.from);
        break;
      case "to":
        out.to = addresses(s.to);
        break;
      case "cc":
        out.cc = addresses(s.cc);
        break;
      case "bcc":
        out.bcc = addresses(s.bcc);
        break;
      case "replyTo":
        out.replyTo = addresses(s.replyTo);
        break;
      case "subject":
        out.subject = root ? subjectOf(raw!, root) ?? s.subject : s.subject;
        break;
      case "sentAt":
        out.sentAt = root ? sentAtOf(raw!, root) : s.sentAt ? utcDate(s.sentAt) : null;
        break;
      case "hasAttachment":
        out.hasAttachment = s.hasAttachment;
        break;
      case "preview":
        out.preview = s.preview;
        break;
      case "headers":
        out.headers = root!.headers.map((h) => ({
          name: h.name,
          value: rawHeaderValue(raw!, h.start, h.end),
        }));
        break;
      case "bodyStructure":
        out.bodyStructure = bodyPartObject(
          getTree(),
          raw!,
          m.id,
          [...opts.bodyProperties, "subParts"]
            .filter((x, i, a) => a.indexOf(x) === i),
        );
        break;
      case "textBody":
        out.textBody = getLists().textBody.map((v) => bodyPartObject(v, raw!, m.id, opts.bodyProperties));
        break;
      case "htmlBody":
        out.htmlBody = getLists().htmlBody.map((v) => bodyPartObject(v, raw!, m.id, opts.bodyProperties));
        break;
      case "attachments":
        out.attachments = getLists().attachments.map((v) =>
          bodyPartObject(v, raw!, m.id, opts.bodyProperties)
        );
        break;
      case "bodyValues": {
        const wanted = new Map<string, PartView>();
        const add = (v: PartView) => {
          if (v.partId !== null && v.part.type === "text") wanted.set(v.partId, v);
        };
        if (opts.fetchAllBodyValues) textParts(getTree()).forEach(add);
        if (opts.fetchTextBodyValues) getLists().textBody.forEach(add);
        if (opts.fetchHTMLBodyValues) getLists().htmlBody.forEach(add);
        const values: Record<string, unknown> = {};
        for (const [partId, v] of wanted) {
          const { value, isEncodingProblem } = partText(raw!, v.part);
          const t = opts.maxBodyValueBytes > 0
            ? truncateUtf8(value, opts.maxBodyValueBytes)
            : { value, truncated: false };
          values[partId] = { value: t.value, isEncodingProblem, isTruncated: t.truncated };
        }
        out.bodyValues = values;
        break;
      }
      default: {
        const hp = parseHeaderProperty(p);
        if (hp) out[p] = headerValue(raw!, root!, hp);
      }
    }
  }
  return out;
}

/** The `header:` property value of a part's header (RFC 8621 §4.1.3). */
export function headerValue(raw: Uint8Array, part: MimePart, hp: HeaderProperty): unknown {
  const fields = part.headers.filter((h) => h.key === hp.key);
  const values = fields.map((h) => headerFormValue(rawHeaderValue(raw, h.start, h.end), hp.form));
  if (hp.all) return values;
  return values.length ? values[values.length - 1] : null;
}

function subjectOf(raw: Uint8Array, root: MimePart): string | null {
  return headerValue(raw, root, { property: "", key: "subject", form: "Text", all: false }) as string | null;
}

function sentAtOf(raw: Uint8Array, root: MimePart): string | null {
  return headerValue(raw, root, { property: "", key: "date", form: "Date", all: false }) as string | null;
}
