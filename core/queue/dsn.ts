/**
 * Delivery status notifications: RFC 3464 `multipart/report; report-type=delivery-status` with a
 * human-readable part, a `message/delivery-status` part and the original message (RFC 3461 §4.3
 * RET=FULL) or its header (`text/rfc822-headers`, RET=HDRS). Pure: bytes in, bytes out.
 *
 * @module
 */
import { formatDate } from "../mime/date.ts";

/** RFC 3464 §2.3.3 Action values Tern produces. */
export type DsnAction = "failed" | "delayed" | "delivered" | "relayed";

/** One per-recipient block of the report. */
export interface DsnRecipient {
  /** Final-Recipient (the address Tern tried). */
  address: string;
  /** RFC 3461 ORCPT as received (`addr-type;xtext`). */
  orcpt: string | null;
  action: DsnAction;
  /** RFC 3463 status, e.g. "5.1.1". */
  status: string;
  /** Host that answered (Remote-MTA). */
  remoteMta: string | null;
  /** The SMTP reply or error (Diagnostic-Code: smtp; …). */
  diagnostic: string | null;
  lastAttempt: Date | null;
  /** Delayed DSNs: when Tern gives up. */
  willRetryUntil?: Date;
}

/** Everything a DSN says. */
export interface DsnInput {
  /** Reporting-MTA name (the server's hostname). */
  reportingMta: string;
  /** Where the DSN goes (the original envelope sender, never null). */
  to: string;
  /** RFC 3461 ENVID (xtext as received). */
  envid: string | null;
  arrivalDate: Date;
  now: Date;
  recipients: DsnRecipient[];
  /** The original message. */
  original: Uint8Array;
  /** RFC 3461 §4.3: FULL returns the message, HDRS only its header. */
  ret: "FULL" | "HDRS";
  /** Unique id for Message-ID and the boundary. */
  id: string;
  /**
   * The original was an SMTPUTF8 message: RFC 6533 §6 types (message/global-delivery-status,
   * message/global, message/global-headers) so that UTF-8 addresses and headers travel intact.
   */
  utf8?: boolean;
}

const encoder = new TextEncoder();

/** RFC 3461 §4 xtext decoding ("+2B" → "+"). */
export function decodeXtext(s: string): string {
  return s.replace(/\+([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * The enhanced status code (RFC 3463) of an SMTP reply, or one derived from its basic code.
 *
 * @example
 * ```ts
 * import { statusOf } from "./dsn.ts";
 * statusOf("550 5.1.1 No such user"); // "5.1.1"
 * statusOf("451 try later"); // "4.0.0"
 * ```
 */
export function statusOf(reply: string, fallback = "4.0.0"): string {
  const m = /^([245])\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(reply);
  if (m && m[1] === m[2]) return `${m[2]}.${m[3]}.${m[4]}`;
  const c = /^([245])\d\d\b/.exec(reply);
  if (c) return `${c[1]}.0.0`;
  return fallback;
}

/** The header section of a message (up to and including the blank line), or all of it. */
export function headerSection(raw: Uint8Array): Uint8Array {
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] === 0x0a && raw[i + 1] === 0x0a) return raw.subarray(0, i + 1);
    if (raw[i] === 0x0a && raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return raw.subarray(0, i + 1);
  }
  return raw;
}

function subjectFor(actions: Set<DsnAction>): string {
  if (actions.has("failed")) return "Delivery Status Notification (Failure)";
  if (actions.has("delayed")) return "Delivery Status Notification (Delay)";
  return "Delivery Status Notification (Success)";
}

function humanText(input: DsnInput): string {
  const lines = [`This is the mail system at ${input.reportingMta}.`, ""];
  const failed = input.recipients.filter((r) => r.action === "failed");
  const delayed = input.recipients.filter((r) => r.action === "delayed");
  const done = input.recipients.filter((r) => r.action === "delivered" || r.action === "relayed");
  if (failed.length) {
    lines.push("Your message could not be delivered to these recipients:", "");
    for (const r of failed) lines.push(`  <${r.address}>: ${oneLine(r.diagnostic ?? r.status)}`);
    lines.push("");
  }
  if (delayed.length) {
    lines.push("Delivery to these recipients is delayed; the mail system will keep trying:", "");
    for (const r of delayed) {
      lines.push(`  <${r.address}>: ${oneLine(r.diagnostic ?? r.status)}`);
      if (r.willRetryUntil) lines.push(`    (until ${formatDate(r.willRetryUntil)})`);
    }
    lines.push("", "You do not need to resend your message.", "");
  }
  if (done.length) {
    lines.push("Your message was delivered to these recipients:", "");
    for (const r of done) lines.push(`  <${r.address}>`);
    lines.push("");
  }
  return lines.join("\r\n");
}

/** Strips CR/LF from a field value (a remote reply must not inject header fields). */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").trim();
}

/** RFC 3464 §2.2 and §2.3 fields. */
function deliveryStatus(input: DsnInput): string {
  const out: string[] = [];
  // RFC 3464 §2.2: per-message fields.
  if (input.envid !== null) out.push(`Original-Envelope-Id: ${decodeXtext(input.envid)}`);
  out.push(`Reporting-MTA: dns; ${input.reportingMta}`);
  out.push(`Arrival-Date: ${formatDate(input.arrivalDate)}`);
  for (const r of input.recipients) {
    out.push("");
    // RFC 3464 §2.3: per-recipient fields.
    if (r.orcpt !== null) {
      const semi = r.orcpt.indexOf(";");
      if (semi > 0) {
        out.push(
          `Original-Recipient: ${r.orcpt.slice(0, semi)}; ${oneLine(decodeXtext(r.orcpt.slice(semi + 1)))}`,
        );
      }
    }
    // RFC 6533 §3: a non-ASCII address is reported with the utf-8 address type.
    const utf8Addr = [...r.address].some((ch) => ch.charCodeAt(0) > 0x7f);
    out.push(`Final-Recipient: ${utf8Addr ? "utf-8" : "rfc822"}; ${r.address}`);
    out.push(`Action: ${r.action}`);
    out.push(`Status: ${r.status}`);
    if (r.remoteMta) out.push(`Remote-MTA: dns; ${r.remoteMta}`);
    if (r.diagnostic) out.push(`Diagnostic-Code: smtp; ${oneLine(r.diagnostic)}`);
    if (r.lastAttempt) out.push(`Last-Attempt-Date: ${formatDate(r.lastAttempt)}`);
    if (r.willRetryUntil) out.push(`Will-Retry-Until: ${formatDate(r.willRetryUntil)}`);
  }
  return out.join("\r\n") + "\r\n";
}

/** Builds the DSN message (CRLF line endings), ready to deliver or queue with a null sender. */
export function buildDsn(input: DsnInput): Uint8Array {
  const boundary = `=_tern-dsn-${input.id}`;
  const actions = new Set(input.recipients.map((r) => r.action));
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.to}>`,
    `Subject: ${subjectFor(actions)}`,
    `Date: ${formatDate(input.now)}`,
    `Message-ID: <${input.id}@${input.reportingMta}>`,
    // RFC 3834 §5: automatic responses are marked so that they are never answered automatically.
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    "",
    "This is a MIME-formatted delivery status notification.",
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    humanText(input),
    `--${boundary}`,
    `Content-Type: message/${input.utf8 ? "global-delivery-status" : "delivery-status"}`,
    "",
    deliveryStatus(input),
    `--${boundary}`,
  ].join("\r\n");
  // RFC 3461 §4.3: RET=HDRS returns the header only; delay and success notices carry only the header too.
  const full = input.ret === "FULL" && actions.has("failed");
  const original = full ? input.original : headerSection(input.original);
  const type = full
    ? (input.utf8 ? "message/global" : "message/rfc822")
    : (input.utf8 ? "message/global-headers" : "text/rfc822-headers");
  const partHead = `Content-Type: ${type}\r\n\r\n`;
  const ending = original.length > 0 && original[original.length - 1] === 0x0a ? "" : "\r\n";
  const tail = `${ending}\r\n--${boundary}--\r\n`;
  const parts = [encoder.encode(head + "\r\n" + partHead), original, encoder.encode(tail)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
