/**
 * Message Disposition Notifications (RFC 8098): building the `multipart/report;
 * report-type=disposition-notification` message and parsing one back. Pure: fields in, message
 * bytes out, and message bytes in, fields (or null when the message is not an MDN) out. Used by
 * JMAP MDN/send and MDN/parse (RFC 9007).
 *
 * @module
 */
import { type ComposeHeader, type ComposeLeaf, composeMessage, foldHeader } from "./compose.ts";
import { decodeHeaderText } from "./encoded_words.ts";
import { getHeader } from "./header.ts";
import { partText } from "./body.ts";
import { parseMime } from "./parse.ts";

/** RFC 8098 §3.2.6.1 action-mode. */
export type MdnActionMode = "manual-action" | "automatic-action";
/** RFC 8098 §3.2.6.2 sending-mode, lowercased as JMAP writes it (RFC 9007 §2). */
export type MdnSendingMode = "mdn-sent-manually" | "mdn-sent-automatically";
/** RFC 8098 §3.2.6.3 disposition-type. */
export type MdnDispositionType = "deleted" | "dispatched" | "displayed" | "processed";

/** The Disposition field (RFC 8098 §3.2.6). */
export interface MdnDisposition {
  actionMode: MdnActionMode;
  sendingMode: MdnSendingMode;
  type: MdnDispositionType;
}

/**
 * The fields of the `message/disposition-notification` part (RFC 8098 §3.2). Values are kept as
 * written after the colon (e.g. `rfc822; a@b`, `<id@host>`), trimmed.
 */
export interface MdnReport {
  reportingUA: string | null;
  mdnGateway: string | null;
  originalRecipient: string | null;
  finalRecipient: string;
  originalMessageId: string | null;
  disposition: MdnDisposition;
  /** Error fields (RFC 8098 §3.2.7); the `error` disposition modifier is written when non-empty. */
  error: string[] | null;
  /** Extension fields (RFC 8098 §3.3), name → value. */
  extensionFields: Record<string, string> | null;
}

/** An MDN message to build. */
export interface MdnMessageInput {
  /** Header fields of the MDN message (From, To, Subject, Date, Message-ID…), values in wire form. */
  headers: ComposeHeader[];
  /** The human-readable first part (RFC 8098 §3.1). */
  textBody: string;
  report: MdnReport;
  /** The original message, sent as the optional third part (RFC 8098 §3.1), or null. */
  original: Uint8Array | null;
}

/** An MDN message parsed back. */
export interface ParsedMdn {
  subject: string | null;
  textBody: string | null;
  report: MdnReport;
  /** Whether the report carries a third part (the original message or its header). */
  includesOriginal: boolean;
}

const ACTION_MODES: readonly string[] = ["manual-action", "automatic-action"];
const SENDING_MODES: readonly string[] = ["mdn-sent-manually", "mdn-sent-automatically"];
const TYPES: readonly string[] = ["deleted", "dispatched", "displayed", "processed"];
/** Fields with a meaning of their own in the report (RFC 8098 §3.2); anything else is an extension. */
const KNOWN = new Set([
  "reporting-ua",
  "mdn-gateway",
  "original-recipient",
  "final-recipient",
  "original-message-id",
  "disposition",
  "error",
]);
/** RFC 5322 §3.6.8 field-name. */
const FIELD_NAME = /^[!-9;-~]+$/;

/** Whether a value can be written as report field text (RFC 8098 §3.2: printable US-ASCII). */
export function isReportText(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

/** Whether `name` is usable as an extension-field name (RFC 8098 §3.3): a field-name, not a known field. */
export function isExtensionFieldName(name: string): boolean {
  return FIELD_NAME.test(name) && !KNOWN.has(name.toLowerCase());
}

/** RFC 8098 §3.2.6: `action-mode/sending-mode; type`, with the `error` modifier when errors are reported. */
function formatDisposition(d: MdnDisposition, error: boolean): string {
  const sending = d.sendingMode === "mdn-sent-manually" ? "MDN-sent-manually" : "MDN-sent-automatically";
  return `${d.actionMode}/${sending}; ${d.type}${error ? "/error" : ""}`;
}

/** The body of the `message/disposition-notification` part (RFC 8098 §3.2, fields in grammar order). */
export function formatDispositionNotification(r: MdnReport): string {
  const lines: string[] = [];
  const add = (name: string, value: string | null) => {
    if (value !== null) lines.push(foldHeader(name, value));
  };
  add("Reporting-UA", r.reportingUA);
  add("MDN-Gateway", r.mdnGateway);
  add("Original-Recipient", r.originalRecipient);
  add("Final-Recipient", r.finalRecipient);
  add("Original-Message-ID", r.originalMessageId);
  add("Disposition", formatDisposition(r.disposition, (r.error?.length ?? 0) > 0));
  for (const e of r.error ?? []) add("Error", e);
  for (const [k, v] of Object.entries(r.extensionFields ?? {})) add(k, v);
  return lines.join("\r\n") + "\r\n";
}

/** RFC 8098 §3.2.6 disposition-field; modifiers are accepted and dropped. Null when malformed. */
export function parseDisposition(value: string): MdnDisposition | null {
  const m = /^\s*([a-z-]+)\s*\/\s*([a-z-]+)\s*;\s*([a-z-]+)\s*(?:\/.*)?$/i.exec(value);
  if (!m) return null;
  const [action, sending, type] = [m[1]!.toLowerCase(), m[2]!.toLowerCase(), m[3]!.toLowerCase()];
  if (!ACTION_MODES.includes(action) || !SENDING_MODES.includes(sending) || !TYPES.includes(type)) {
    return null;
  }
  return {
    actionMode: action as MdnActionMode,
    sendingMode: sending as MdnSendingMode,
    type: type as MdnDispositionType,
  };
}

/**
 * Parses the body of a `message/disposition-notification` part (RFC 8098 §3.2): header-style
 * fields, folded lines unfolded. Null without the required Final-Recipient and Disposition fields.
 */
export function parseDispositionNotification(text: string): MdnReport | null {
  const fields: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      // RFC 5322 §2.2.3: unfolding removes the CRLF before the whitespace.
      fields[fields.length - 1]![1] += line;
      continue;
    }
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    fields.push([line.slice(0, colon).trim(), line.slice(colon + 1)]);
  }
  let report: Partial<MdnReport> & { error: string[] | null } = {
    reportingUA: null,
    mdnGateway: null,
    originalRecipient: null,
    originalMessageId: null,
    error: null,
    extensionFields: null,
  };
  const ext: Record<string, string> = {};
  for (const [name, raw] of fields) {
    const value = raw.trim();
    switch (name.toLowerCase()) {
      case "reporting-ua":
        report.reportingUA = value;
        break;
      case "mdn-gateway":
        report.mdnGateway = value;
        break;
      case "original-recipient":
        report.originalRecipient = value;
        break;
      case "final-recipient":
        report.finalRecipient = value;
        break;
      case "original-message-id":
        report.originalMessageId = value;
        break;
      case "disposition": {
        const d = parseDisposition(value);
        if (!d) return null;
        report.disposition = d;
        break;
      }
      case "error":
        report.error = [...report.error ?? [], value];
        break;
      default:
        ext[name] = value;
    }
  }
  if (report.finalRecipient === undefined || report.disposition === undefined) return null;
  if (Object.keys(ext).length > 0) report = { ...report, extensionFields: ext };
  return report as MdnReport;
}

/**
 * Builds an MDN message (RFC 8098 §3.1): `multipart/report; report-type=disposition-notification`
 * with the human-readable text, the report, and optionally the original message.
 */
export function buildMdnMessage(input: MdnMessageInput): Uint8Array {
  const parts: ComposeLeaf[] = [
    { kind: "leaf", type: "text/plain", content: input.textBody },
    {
      kind: "leaf",
      type: "message/disposition-notification",
      content: formatDispositionNotification(input.report),
    },
  ];
  if (input.original) parts.push({ kind: "leaf", type: "message/rfc822", content: input.original });
  return composeMessage({
    headers: input.headers,
    body: {
      kind: "multipart",
      subtype: "report",
      // RFC 6522 §3 / RFC 8098 §3.1: the report type names the second part.
      params: { "report-type": "disposition-notification" },
      parts,
    },
  });
}

/**
 * Parses an MDN message: null unless it is a `multipart/report` with report-type
 * `disposition-notification` whose second part is a well-formed report (RFC 8098 §3.1).
 */
export function parseMdnMessage(raw: Uint8Array): ParsedMdn | null {
  const root = parseMime(raw);
  if (root.type !== "multipart" || root.subtype !== "report") return null;
  if (root.params["report-type"]?.toLowerCase() !== "disposition-notification") return null;
  const [human, reportPart, third] = root.children;
  if (!reportPart || reportPart.type !== "message") return null;
  // RFC 6533 §6: the UTF-8 variant of the report has the same fields.
  if (!["disposition-notification", "global-disposition-notification"].includes(reportPart.subtype)) {
    return null;
  }
  const report = parseDispositionNotification(partText(raw, reportPart));
  if (!report) return null;
  const subject = getHeader(root, "subject");
  const textBody = human && human.type === "text" ? partText(raw, human).replace(/\r\n/g, "\n") : null;
  return {
    subject: subject === null ? null : decodeHeaderText(subject.trim()),
    textBody,
    report,
    includesOriginal: third !== undefined,
  };
}
