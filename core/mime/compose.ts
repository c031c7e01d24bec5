/**
 * Composing RFC 5322 / MIME messages (used by JMAP Email/set create and the vacation responder).
 * Pure: a tree of parts in, message bytes out. Lines end in CRLF and stay within 78 characters
 * where the content allows (RFC 5322 §2.1.1); header text is RFC 2047-encoded and parameters
 * RFC 2231-encoded when not ASCII; bodies use 7bit, quoted-printable or base64 as needed
 * (RFC 2045 §6).
 *
 * @module
 */
import type { EmailAddress } from "./types.ts";
import { encodeEncodedWords } from "./encoded_words.ts";
import { formatParam } from "./rfc2231.ts";
import { encodeBase64, encodeQuotedPrintable } from "./transfer_encoding.ts";

/** A header field to emit; `value` is already in wire form (use the format helpers). */
export interface ComposeHeader {
  name: string;
  value: string;
}

/** A leaf body part. */
export interface ComposeLeaf {
  kind: "leaf";
  /** `type/subtype`, lowercased. */
  type: string;
  /** Text content (encoded as UTF-8) or raw bytes (attachments). */
  content: string | Uint8Array;
  /** Charset of text content; UTF-8 when content is a string and none is given. */
  charset?: string | null;
  disposition?: string | null;
  /** File name (Content-Disposition filename and Content-Type name). */
  name?: string | null;
  /** Content-ID without angle brackets. */
  cid?: string | null;
  language?: string[] | null;
  location?: string | null;
  /** Further header fields of the part. */
  headers?: ComposeHeader[];
}

/** A multipart body part. */
export interface ComposeMultipart {
  kind: "multipart";
  /** e.g. "mixed", "alternative", "related". */
  subtype: string;
  parts: ComposeNode[];
  /** Further Content-Type parameters, e.g. `report-type` of multipart/report (RFC 6522 §3). */
  params?: Record<string, string>;
  headers?: ComposeHeader[];
}

/** A node of the body tree. */
export type ComposeNode = ComposeLeaf | ComposeMultipart;

/** A message to compose. */
export interface ComposeMessage {
  /** Top-level header fields in order (MIME-Version and Content-* are added). */
  headers: ComposeHeader[];
  body: ComposeNode;
}

const encoder = new TextEncoder();
const MAX_LINE = 78;

/**
 * Folds a header field at whitespace so lines stay within 78 characters where possible
 * (RFC 5322 §2.2.3). Returns `Name: value` without the final CRLF.
 */
export function foldHeader(name: string, value: string): string {
  const line = `${name}: ${value.replace(/\r?\n[ \t]*/g, " ")}`;
  if (line.length <= MAX_LINE) return line;
  const out: string[] = [];
  let current = "";
  // Each token after the first starts with the space where a fold may go (RFC 5322 §2.2.3).
  for (const word of line.split(/(?= )/)) {
    if (current.length + word.length > MAX_LINE && current.trim() !== "" && word.startsWith(" ")) {
      out.push(current);
      current = word;
    } else {
      current += word;
    }
  }
  out.push(current);
  return out.filter((l) => l !== "").join("\r\n");
}

/** Unstructured header text (Subject, Comments), RFC 2047-encoded when not ASCII. */
export function formatUnstructured(text: string): string {
  return encodeEncodedWords(text.replace(/[\r\n]+/g, " "));
}

function formatDisplayName(name: string): string {
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, "\\$&")}"`;
  return encodeEncodedWords(name);
}

/** An address list header value (RFC 5322 §3.4); names encoded per RFC 2047 §5(3). */
export function formatAddressList(list: readonly EmailAddress[]): string {
  return list.map((a) => a.name ? `${formatDisplayName(a.name)} <${a.email}>` : a.email).join(", ");
}

/** A grouped address list (`Group: a@b, c@d;`). */
export function formatAddressGroups(
  groups: readonly { name: string | null; addresses: EmailAddress[] }[],
): string {
  return groups.map((g) =>
    g.name === null
      ? formatAddressList(g.addresses)
      : `${formatDisplayName(g.name)}: ${formatAddressList(g.addresses)};`
  ).join(", ");
}

/** A msg-id list (`<a@b> <c@d>`). */
export function formatMessageIds(ids: readonly string[]): string {
  return ids.map((id) => `<${id}>`).join(" ");
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 5322 §3.3 date-time at the given offset in minutes (default UTC). */
export function formatDate(date: Date, offsetMinutes = 0): string {
  const d = new Date(date.getTime() + offsetMinutes * 60_000);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ` +
    `${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
}

/** A new Message-ID value (without brackets) at `domain`. */
export function generateMessageId(domain: string): string {
  return `${crypto.randomUUID()}@${domain}`;
}

function newBoundary(): string {
  // Cannot occur in base64 or quoted-printable output ("=_" is not produced by either at line start).
  return `=_tern_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Normalises line endings of text to CRLF. */
function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

/** Normalises line endings of bytes to CRLF (text bodies must not carry bare CR or LF, RFC 2045 §2.7). */
function crlfBytes(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0d) {
      out.push(0x0d, 0x0a);
      if (bytes[i + 1] === 0x0a) i++;
    } else if (b === 0x0a) out.push(0x0d, 0x0a);
    else out.push(b);
  }
  return out.length === bytes.length ? bytes : new Uint8Array(out);
}

function chooseEncoding(bytes: Uint8Array, isText: boolean): "7bit" | "quoted-printable" | "base64" {
  let nonAscii = 0;
  let lineLen = 0;
  let longLine = false;
  for (const b of bytes) {
    if (b === 0x0a) {
      lineLen = 0;
      continue;
    }
    if (b >= 0x80 || b === 0) nonAscii++;
    if (++lineLen > 998) longLine = true;
  }
  if (!isText) return "base64";
  if (nonAscii === 0 && !longLine) return "7bit";
  return nonAscii * 4 < bytes.length ? "quoted-printable" : "base64";
}

function leafHeaders(leaf: ComposeLeaf, encoding: string): string[] {
  const lines: string[] = [];
  const [type, sub] = leaf.type.split("/");
  let ct = `${type}/${sub}`;
  const isText = type === "text";
  const charset = leaf.charset ?? (isText && typeof leaf.content === "string" ? "utf-8" : null);
  if (charset) ct += `; ${formatParam("charset", charset)}`;
  if (leaf.name) ct += `; ${formatParam("name", leaf.name)}`;
  lines.push(foldHeader("Content-Type", ct));
  if (encoding !== "7bit") lines.push(`Content-Transfer-Encoding: ${encoding}`);
  if (leaf.disposition || leaf.name) {
    let cd = leaf.disposition ?? "attachment";
    if (leaf.name) cd += `; ${formatParam("filename", leaf.name)}`;
    lines.push(foldHeader("Content-Disposition", cd));
  }
  if (leaf.cid) lines.push(foldHeader("Content-ID", `<${leaf.cid}>`));
  if (leaf.language?.length) lines.push(foldHeader("Content-Language", leaf.language.join(", ")));
  if (leaf.location) lines.push(foldHeader("Content-Location", leaf.location));
  return lines;
}

function extraHeaders(headers: ComposeHeader[] | undefined): string[] {
  return (headers ?? []).map((h) => foldHeader(h.name, h.value));
}

/** Encodes a leaf: its MIME header lines and body text. */
function encodeLeaf(leaf: ComposeLeaf): { headers: string[]; body: string } {
  // RFC 8098 §3.1: the disposition-notification report is line-oriented text; keep it readable.
  const isText = leaf.type.startsWith("text/") || leaf.type === "message/disposition-notification";
  const isMessage = leaf.type === "message/rfc822" || leaf.type === "message/global";
  let bytes = typeof leaf.content === "string" ? encoder.encode(crlf(leaf.content)) : leaf.content;
  let encoding: string;
  let body: string;
  if (isMessage) {
    // RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary.
    encoding = bytes.some((b) => b >= 0x80) ? "8bit" : "7bit";
    body = new TextDecoder("latin1").decode(bytes);
  } else {
    if (isText) bytes = crlfBytes(bytes);
    const chosen = chooseEncoding(bytes, isText);
    encoding = chosen;
    body = chosen === "7bit"
      ? new TextDecoder().decode(bytes)
      : chosen === "quoted-printable"
      ? encodeQuotedPrintable(bytes)
      : encodeBase64(bytes);
  }
  return { headers: [...leafHeaders(leaf, encoding), ...extraHeaders(leaf.headers)], body };
}

function encodeNode(node: ComposeNode): { headers: string[]; body: string } {
  if (node.kind === "leaf") return encodeLeaf(node);
  const boundary = newBoundary();
  const parts = node.parts.map((p) => {
    const e = encodeNode(p);
    return `--${boundary}\r\n${e.headers.join("\r\n")}\r\n\r\n${e.body}`;
  });
  const body = (parts.length ? parts.join("\r\n") + "\r\n" : "") + `--${boundary}--\r\n`;
  return {
    headers: [
      foldHeader(
        "Content-Type",
        `multipart/${node.subtype}; ${
          Object.entries(node.params ?? {}).map(([k, v]) => `${formatParam(k, v)}; `).join("")
        }boundary="${boundary}"`,
      ),
      ...extraHeaders(node.headers),
    ],
    body,
  };
}

/** Composes the message bytes (RFC 5322 with MIME, RFC 2045–2047). */
export function composeMessage(message: ComposeMessage): Uint8Array {
  const top = encodeNode(message.body);
  const lines = message.headers
    .filter((h) => !/^(mime-version|content-type|content-transfer-encoding)$/i.test(h.name))
    .map((h) => foldHeader(h.name, h.value));
  lines.push("MIME-Version: 1.0", ...top.headers);
  let body = top.body;
  if (!body.endsWith("\r\n")) body += "\r\n";
  return encoder.encode(`${lines.join("\r\n")}\r\n\r\n${body}`);
}
