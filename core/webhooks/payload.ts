/**
 * Webhook payloads: the JSON body of each event, in the Standard Webhooks shape
 * `{ "type", "timestamp", "data" }`. A message event's data is built from the stored message when
 * the delivery is sent (not when it is queued): envelope, decoded headers, addresses, subject, text,
 * the HTML sanitised by core/mime/sanitize_html.ts, attachment metadata with signed expiring
 * download URLs (bytes inline only below a configured small limit), our own
 * Authentication-Results, and the message's JMAP and IMAP ids. Pure: bytes and records in, JSON out.
 *
 * @module
 */
import { parseMime } from "../mime/parse.ts";
import { bodyParts, partName } from "../mime/body_parts.ts";
import { decodedBody, partText } from "../mime/body.ts";
import { getHeaders } from "../mime/header.ts";
import { decodeHeaderText } from "../mime/encoded_words.ts";
import { encodeBase64 } from "../mime/transfer_encoding.ts";
import { sanitizeHtml } from "../mime/sanitize_html.ts";
import type { MimePart } from "../mime/types.ts";
import type { Account, Message } from "../store/types.ts";
import type { WebhookEvent } from "../store/records/webhooks.ts";

/** A Standard Webhooks payload. */
export interface WebhookPayload {
  type: WebhookEvent | "webhook.test";
  /** ISO 8601 time the event happened. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** One attachment as described in a payload. */
export interface AttachmentInfo {
  /** IMAP section (RFC 9051 §6.4.5), also the JMAP partId. */
  partId: string;
  filename: string | null;
  contentType: string;
  disposition: string | null;
  contentId: string | null;
  /** Decoded size in bytes. */
  size: number;
  /** Signed, expiring download URL. */
  url: string;
  /** Base64 of the bytes, only when `size` is within the inline limit. */
  content?: string;
}

/** What a message payload needs besides the message. */
export interface MessagePayloadInput {
  event: WebhookEvent;
  account: Pick<Account, "id" | "address">;
  message: Pick<Message, "id" | "threadId" | "blobId" | "size" | "receivedAt" | "mailboxIds" | "summary">;
  raw: Uint8Array;
  /** UIDs of the delivery (from the outbox row). */
  uids: { mailboxId: string; uid: number; uidValidity: number }[];
  /** Envelope of the delivery when known. */
  envelope?: { from: string | null; to: string[] };
  /** Our authserv-id (the hostname): only our Authentication-Results are reported. */
  authservId: string;
  /** Signs a download URL for a part. */
  attachmentUrl: (partId: string) => string;
  inlineAttachmentMax: number;
  maxBodyChars: number;
  /** When the event happened. */
  at: Date;
}

function clip(s: string, max: number): { text: string; truncated: boolean } {
  return s.length > max ? { text: s.slice(0, max), truncated: true } : { text: s, truncated: false };
}

function isOurAuthResults(value: string, authservId: string): boolean {
  // RFC 8601 §2.2: authserv-id is the first token (optionally followed by a version).
  const id = value.trim().split(/[\s;]/, 1)[0] ?? "";
  return id.toLowerCase() === authservId.toLowerCase();
}

function contentIdOf(part: MimePart): string | null {
  return part.contentId ? part.contentId.replace(/^<|>$/g, "") : null;
}

/** The payload of a message event. */
export function messagePayload(input: MessagePayloadInput): WebhookPayload {
  const { raw, message, maxBodyChars } = input;
  const root = parseMime(raw);
  const parts = bodyParts(root);
  const text = clip(
    parts.textBody.filter((p) => p.type === "text").map((p) => partText(raw, p)).join("\n"),
    maxBodyChars,
  );
  // Inline images referenced by cid: point at their signed URLs.
  const byCid = new Map<string, string>();
  for (const p of parts.attachments) {
    const cid = contentIdOf(p);
    if (cid) byCid.set(cid, input.attachmentUrl(p.section));
  }
  const htmlParts = parts.htmlBody.filter((p) => p.type === "text" && p.subtype === "html");
  const html = htmlParts.length === 0 ? null : clip(
    sanitizeHtml(htmlParts.map((p) => partText(raw, p)).join("\n"), {
      cidUrl: (cid) => byCid.get(cid) ?? null,
    }),
    maxBodyChars,
  );
  const attachments: AttachmentInfo[] = parts.attachments.map((p) => {
    const bytes = decodedBody(raw, p);
    const info: AttachmentInfo = {
      partId: p.section,
      filename: partName(p),
      contentType: `${p.type}/${p.subtype}`,
      disposition: p.disposition?.value ?? null,
      contentId: contentIdOf(p),
      size: bytes.length,
      url: input.attachmentUrl(p.section),
    };
    if (input.inlineAttachmentMax > 0 && bytes.length <= input.inlineAttachmentMax) {
      info.content = encodeBase64(bytes).replace(/\r\n/g, "");
    }
    return info;
  });
  const s = message.summary;
  const data: Record<string, unknown> = {
    account: input.account.address,
    accountId: input.account.id,
    emailId: message.id,
    threadId: message.threadId,
    blobId: message.blobId,
    mailboxes: input.uids,
    envelope: input.envelope ?? null,
    size: message.size,
    receivedAt: message.receivedAt.toISOString(),
    sentAt: s.sentAt ? s.sentAt.toISOString() : null,
    messageId: s.messageId,
    inReplyTo: s.inReplyTo,
    subject: s.subject,
    from: s.from,
    sender: s.sender,
    replyTo: s.replyTo,
    to: s.to,
    cc: s.cc,
    headers: root.headers.map((h) => ({ name: h.name, value: decodeHeaderText(h.value) })),
    text: text.text,
    html: html?.text ?? null,
    truncated: text.truncated || (html?.truncated ?? false),
    attachments,
    authenticationResults: getHeaders(root, "authentication-results")
      .filter((v) => isOurAuthResults(v, input.authservId))
      .map((v) => v.replace(/\r?\n[ \t]*/g, " ")),
  };
  return { type: input.event, timestamp: input.at.toISOString(), data };
}

/** The payload of a non-message event (`data` as recorded). */
export function eventPayload(event: WebhookEvent, data: Record<string, unknown>, at: Date): WebhookPayload {
  return { type: event, timestamp: at.toISOString(), data };
}
