/**
 * Turns a JMAP Email/set creation (RFC 8621 §4.6) into a composed message: header properties in
 * any parsed form, bodyStructure or textBody/htmlBody/attachments, bodyValues and blobs.
 *
 * @module
 */
import { BODY_PART_PROPERTIES } from "./body_structure.ts";
import {
  type ComposeHeader,
  type ComposeLeaf,
  composeMessage,
  type ComposeNode,
  formatAddressGroups,
  formatAddressList,
  formatDate,
  formatMessageIds,
  formatUnstructured,
  generateMessageId,
} from "../../core/mime/compose.ts";
import type { EmailAddress } from "../../core/store/types.ts";
import { invalidProperties, SetErrorException } from "./errors.ts";
import { type HeaderForm, parseHeaderProperty } from "./header_forms.ts";

/** Resolves a blob id of the account to its bytes (null when unknown). */
export type BlobResolver = (blobId: string) => Promise<Uint8Array | null>;

/** Convenience properties and the header each stands for (RFC 8621 §4.1.3). */
const CONVENIENCE: Record<string, { name: string; form: HeaderForm }> = {
  messageId: { name: "Message-ID", form: "MessageIds" },
  inReplyTo: { name: "In-Reply-To", form: "MessageIds" },
  references: { name: "References", form: "MessageIds" },
  sender: { name: "Sender", form: "Addresses" },
  from: { name: "From", form: "Addresses" },
  to: { name: "To", form: "Addresses" },
  cc: { name: "Cc", form: "Addresses" },
  bcc: { name: "Bcc", form: "Addresses" },
  replyTo: { name: "Reply-To", form: "Addresses" },
  subject: { name: "Subject", form: "Text" },
  sentAt: { name: "Date", form: "Date" },
};

/** Email properties that may be given on create besides headers and body (RFC 8621 §4.6). */
const META = new Set(["mailboxIds", "keywords", "receivedAt"]);
const BODY = new Set(["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues"]);

function isAddress(v: unknown): v is EmailAddress {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Record<string, unknown>;
  return typeof a.email === "string" &&
    (a.name === undefined || a.name === null || typeof a.name === "string");
}

function offsetOf(date: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(date);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** Formats a JMAP header value of a given form as wire text; throws on a bad value. */
export function formatHeaderForm(value: unknown, form: HeaderForm, prop: string): string {
  const bad = () => invalidProperties([prop], `Bad value for "${prop}".`);
  switch (form) {
    case "Raw":
      if (typeof value !== "string" || /[\r\n](?![ \t])/.test(value.replace(/\r\n$/, ""))) throw bad();
      return value.trim();
    case "Text":
      if (typeof value !== "string") throw bad();
      return formatUnstructured(value);
    case "Addresses":
      if (!Array.isArray(value) || !value.every(isAddress)) throw bad();
      return formatAddressList(value.map((a) => ({ name: a.name ?? null, email: a.email })));
    case "GroupedAddresses":
      if (
        !Array.isArray(value) ||
        !value.every((g) =>
          typeof g === "object" && g && Array.isArray(g.addresses) && g.addresses.every(isAddress)
        )
      ) throw bad();
      return formatAddressGroups(value);
    case "MessageIds":
      if (
        !Array.isArray(value) || !value.every((v) => typeof v === "string" && /^[^<>\s]+@[^<>\s]+$/.test(v))
      ) {
        throw bad();
      }
      return formatMessageIds(value);
    case "Date": {
      if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw bad();
      return formatDate(new Date(value), offsetOf(value));
    }
    case "URLs":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw bad();
      return value.map((u) => `<${u}>`).join(", ");
  }
}

/** Collects header fields from `headers`, `header:*` and convenience properties of an object. */
function collectHeaders(
  obj: Record<string, unknown>,
  allowConvenience: boolean,
  path: string,
): ComposeHeader[] {
  const out: ComposeHeader[] = [];
  const seen = new Set<string>();
  const add = (name: string, value: string, prop: string) => {
    const key = name.toLowerCase();
    if (key === "content-transfer-encoding") {
      throw invalidProperties([prop], "Content-Transfer-Encoding is chosen by the server.");
    }
    out.push({ name, value });
    seen.add(key);
  };
  for (const [prop, value] of Object.entries(obj)) {
    const conv = allowConvenience ? CONVENIENCE[prop] : undefined;
    if (conv) {
      if (value === null) continue;
      if (seen.has(conv.name.toLowerCase())) throw invalidProperties([path + prop], "Header given twice.");
      add(conv.name, formatHeaderForm(value, conv.form, path + prop), path + prop);
    } else if (prop.startsWith("header:")) {
      const hp = parseHeaderProperty(prop);
      if (!hp) throw invalidProperties([path + prop], `Bad header property "${prop}".`);
      if (value === null) continue;
      const name = prop.split(":")[1]!;
      if (seen.has(hp.key)) throw invalidProperties([path + prop], "Header given twice.");
      if (hp.all) {
        if (!Array.isArray(value)) throw invalidProperties([path + prop]);
        for (const v of value) add(name, formatHeaderForm(v, hp.form, path + prop), path + prop);
      } else add(name, formatHeaderForm(value, hp.form, path + prop), path + prop);
    }
  }
  const headers = obj.headers;
  if (headers !== undefined && headers !== null) {
    if (!Array.isArray(headers)) throw invalidProperties([path + "headers"]);
    // A field may repeat inside `headers`, but not also be given by another property (RFC 8621 §4.6).
    const fromProperties = new Set(seen);
    for (const h of headers) {
      if (
        typeof h?.name !== "string" || typeof h?.value !== "string" || !/^[\x21-\x39\x3b-\x7e]+$/.test(h.name)
      ) {
        throw invalidProperties([path + "headers"]);
      }
      if (fromProperties.has(h.name.toLowerCase())) {
        throw invalidProperties([path + "headers"], `Header "${h.name}" is also given by another property.`);
      }
      add(h.name, formatHeaderForm(h.value, "Raw", path + "headers"), path + "headers");
    }
  }
  return out;
}

const PART_PROPS = BODY_PART_PROPERTIES;

async function toNode(
  part: unknown,
  bodyValues: Record<string, { value: string }>,
  resolveBlob: BlobResolver,
  path: string,
  usedPartIds: Set<string>,
): Promise<ComposeNode> {
  if (typeof part !== "object" || part === null || Array.isArray(part)) throw invalidProperties([path]);
  const p = part as Record<string, unknown>;
  for (const k of Object.keys(p)) {
    if (!PART_PROPS.has(k) && !k.startsWith("header:")) throw invalidProperties([`${path}/${k}`]);
  }
  const headers = collectHeaders(p, false, `${path}/`).filter((h) =>
    !/^content-(type|disposition|id|language|location)$/i.test(h.name)
  );
  const type = typeof p.type === "string" ? p.type.toLowerCase() : null;
  if (Array.isArray(p.subParts)) {
    if (type !== null && !type.startsWith("multipart/")) throw invalidProperties([`${path}/type`]);
    const parts = [];
    for (let i = 0; i < p.subParts.length; i++) {
      parts.push(await toNode(p.subParts[i], bodyValues, resolveBlob, `${path}/subParts/${i}`, usedPartIds));
    }
    return { kind: "multipart", subtype: (type ?? "multipart/mixed").slice(10), parts, headers };
  }
  let content: string | Uint8Array;
  let charset: string | null = typeof p.charset === "string" ? p.charset : null;
  if (typeof p.partId === "string") {
    const bv = bodyValues[p.partId];
    if (!bv) throw invalidProperties([`${path}/partId`], `No bodyValue for partId "${p.partId}".`);
    if (usedPartIds.has(p.partId)) throw invalidProperties([`${path}/partId`], "partId used twice.");
    usedPartIds.add(p.partId);
    if (p.blobId !== undefined && p.blobId !== null) throw invalidProperties([`${path}/blobId`]);
    // RFC 8621 §4.6: the server chooses the charset of text from bodyValues; a client may only
    // ask for UTF-8. Text that is all ASCII is declared us-ascii (RFC 2046 §4.1.2, as the
    // RFC 8621 examples show it), anything else UTF-8.
    if (charset !== null && charset.toLowerCase() !== "utf-8") throw invalidProperties([`${path}/charset`]);
    content = bv.value;
    charset = charset === null && /^\p{ASCII}*$/u.test(bv.value) ? "us-ascii" : "utf-8";
  } else if (typeof p.blobId === "string") {
    const bytes = await resolveBlob(p.blobId);
    if (!bytes) {
      throw new SetErrorException("blobNotFound", `Blob "${p.blobId}" not found.`, { notFound: [p.blobId] });
    }
    content = bytes;
  } else {
    throw invalidProperties([path], "A leaf part needs a partId or a blobId.");
  }
  const leafType = type ?? (typeof p.partId === "string" ? "text/plain" : "application/octet-stream");
  if (leafType.startsWith("multipart/") || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(leafType)) {
    throw invalidProperties([`${path}/type`]);
  }
  const leaf: ComposeLeaf = {
    kind: "leaf",
    type: leafType,
    content,
    charset,
    disposition: typeof p.disposition === "string" ? p.disposition : null,
    name: typeof p.name === "string" ? p.name : null,
    cid: typeof p.cid === "string" ? p.cid : null,
    language: Array.isArray(p.language) ? p.language.filter((l) => typeof l === "string") : null,
    location: typeof p.location === "string" ? p.location : null,
    headers,
  };
  return leaf;
}

/** Options of building a message. */
export interface BuildOptions {
  now: Date;
  /** Domain for a generated Message-ID. */
  hostname: string;
  resolveBlob: BlobResolver;
}

/**
 * Builds the raw message for an Email creation (RFC 8621 §4.6). Throws SetErrorException
 * (invalidProperties, blobNotFound) on bad input.
 */
export async function buildEmail(obj: Record<string, unknown>, opts: BuildOptions): Promise<Uint8Array> {
  for (const k of Object.keys(obj)) {
    if (!META.has(k) && !BODY.has(k) && !CONVENIENCE[k] && k !== "headers" && !k.startsWith("header:")) {
      throw invalidProperties([k], `"${k}" cannot be set on create.`);
    }
  }
  const headers = collectHeaders(obj, true, "");
  const bodyValues: Record<string, { value: string }> = {};
  if (obj.bodyValues !== undefined && obj.bodyValues !== null) {
    if (typeof obj.bodyValues !== "object" || Array.isArray(obj.bodyValues)) {
      throw invalidProperties(["bodyValues"]);
    }
    for (const [id, bv] of Object.entries(obj.bodyValues as Record<string, unknown>)) {
      const v = bv as Record<string, unknown> | null;
      if (typeof v?.value !== "string" || v.isTruncated === true || v.isEncodingProblem === true) {
        throw invalidProperties([`bodyValues/${id}`]);
      }
      bodyValues[id] = { value: v.value };
    }
  }
  const used = new Set<string>();
  let body: ComposeNode;
  if (obj.bodyStructure !== undefined && obj.bodyStructure !== null) {
    if (obj.textBody != null || obj.htmlBody != null || obj.attachments != null) {
      throw invalidProperties(
        ["bodyStructure"],
        "bodyStructure excludes textBody, htmlBody and attachments.",
      );
    }
    body = await toNode(obj.bodyStructure, bodyValues, opts.resolveBlob, "bodyStructure", used);
  } else {
    const one = async (prop: "textBody" | "htmlBody", type: string): Promise<ComposeNode | null> => {
      const list = obj[prop];
      if (list === undefined || list === null) return null;
      if (!Array.isArray(list) || list.length > 1) {
        throw invalidProperties([prop], `${prop} holds at most one part.`);
      }
      if (list.length === 0) return null;
      const node = await toNode({ type, ...list[0] }, bodyValues, opts.resolveBlob, `${prop}/0`, used);
      if (node.kind !== "leaf" || node.type !== type) throw invalidProperties([`${prop}/0/type`]);
      return node;
    };
    const text = await one("textBody", "text/plain");
    const html = await one("htmlBody", "text/html");
    const attachments: ComposeLeaf[] = [];
    if (obj.attachments != null) {
      if (!Array.isArray(obj.attachments)) throw invalidProperties(["attachments"]);
      for (let i = 0; i < obj.attachments.length; i++) {
        const node = await toNode(obj.attachments[i], bodyValues, opts.resolveBlob, `attachments/${i}`, used);
        if (node.kind !== "leaf") throw invalidProperties([`attachments/${i}`]);
        attachments.push(node);
      }
    }
    const inline = html ? attachments.filter((a) => a.cid && a.disposition !== "attachment") : [];
    const others = attachments.filter((a) => !inline.includes(a));
    const htmlNode: ComposeNode | null = html && inline.length
      ? { kind: "multipart", subtype: "related", parts: [html, ...inline] }
      : html;
    let main: ComposeNode = text && htmlNode
      ? { kind: "multipart", subtype: "alternative", parts: [text, htmlNode] }
      : text ?? htmlNode ?? { kind: "leaf", type: "text/plain", content: "" };
    if (others.length) main = { kind: "multipart", subtype: "mixed", parts: [main, ...others] };
    body = main;
  }
  for (const id of Object.keys(bodyValues)) {
    if (!used.has(id)) throw invalidProperties([`bodyValues/${id}`], "bodyValue not referenced by any part.");
  }
  // RFC 5322 §3.6: Date and From are required; Message-ID should be present. From comes from the client.
  const has = (name: string) => headers.some((h) => h.name.toLowerCase() === name);
  if (!has("date")) headers.push({ name: "Date", value: formatDate(opts.now) });
  if (!has("message-id")) {
    headers.push({ name: "Message-ID", value: `<${generateMessageId(opts.hostname)}>` });
  }
  return composeMessage({ headers, body });
}
