/**
 * Trace header fields added on receipt: `Return-Path:` (RFC 5321 §4.4, at final delivery) and
 * `Received:` (RFC 5321 §4.4 `Time-stamp-line`, protocol names from RFC 3848 and RFC 6531 §4.3,
 * the TLS comment as RFC 8314 §4.3 suggests). Pure functions.
 *
 * @module
 */
import type { TlsInfo } from "../net/transport.ts";

/**
 * What a Received: field records about one inbound transaction (SMTP, LMTP, or a JMAP
 * EmailSubmission over HTTP): every path that takes a message in writes the same shape.
 */
export interface ReceivedInfo {
  /** The HELO/EHLO argument; absent when the protocol has none (HTTP): the address literal is used. */
  heloName?: string;
  /** The client's IP address. */
  clientIp: string;
  /** Our host name. */
  hostname: string;
  /** EHLO was used (ESMTP) rather than HELO. */
  esmtp: boolean;
  /** The client authenticated. */
  authenticated: boolean;
  /** TLS details when the session is encrypted. */
  tls: TlsInfo | null;
  /** SMTPUTF8 was requested on MAIL. */
  smtputf8: boolean;
  /** LMTP rather than SMTP. */
  lmtp?: boolean;
  /** Submitted over HTTP (JMAP EmailSubmission) rather than SMTP. */
  http?: boolean;
  /** Transaction id (an RFC 5322 atom). */
  id: string;
  /** The recipient, recorded only when there is exactly one (privacy of the others). */
  forRecipient?: string;
  /** Time of receipt. */
  date: Date;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 5322 §3.3 date-time in UTC, e.g. `Sat, 21 Nov 2026 20:01:34 +0000`. */
export function formatDateTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The RFC 3848 / RFC 6531 `with` protocol keyword. */
export function protocolName(
  i: Pick<ReceivedInfo, "esmtp" | "authenticated" | "tls" | "smtputf8" | "lmtp" | "http">,
): string {
  // RFC 5321 §4.4 Attdl-Protocol (an Atom): JMAP submissions say HTTP, HTTPS over TLS.
  if (i.http) return "HTTP" + (i.tls ? "S" : "");
  // RFC 3848 §2: LMTP, LMTPS (TLS), LMTPA (authenticated), LMTPSA.
  if (i.lmtp) return "LMTP" + (i.tls ? "S" : "") + (i.authenticated ? "A" : "");
  if (!i.esmtp) return "SMTP";
  const base = i.smtputf8 ? "UTF8SMTP" : "ESMTP";
  return base + (i.tls ? "S" : "") + (i.authenticated ? "A" : "");
}

function safe(s: string): string {
  // Header text must not break the field: no CR, LF or parentheses (they would close the comment).
  return s.replace(/[\r\n()\\]/g, "_");
}

/** `Return-Path: <sender>` with CRLF; the null reverse-path gives `<>`. */
export function formatReturnPath(from: string | null): string {
  return `Return-Path: <${from === null ? "" : safe(from)}>\r\n`;
}

/** The Received: field, folded over several lines, ending in CRLF. */
export function formatReceived(i: ReceivedInfo): string {
  const ip = i.clientIp.includes(":") ? `IPv6:${i.clientIp}` : i.clientIp;
  // RFC 5321 §4.4 Extended-Domain: a name, or the address literal when there was no HELO.
  const from = i.heloName === undefined ? `[${ip}]` : safe(i.heloName);
  let s = `Received: from ${from} ([${ip}])\r\n\tby ${safe(i.hostname)} (Tern) with ${protocolName(i)} id ${
    safe(i.id)
  }`;
  if (i.tls) {
    s += `\r\n\t(using ${safe(i.tls.protocol)} with cipher ${safe(i.tls.cipher)})`;
  }
  if (i.forRecipient !== undefined) s += `\r\n\tfor <${safe(i.forRecipient)}>`;
  s += `;\r\n\t${formatDateTime(i.date)}\r\n`;
  return s;
}
