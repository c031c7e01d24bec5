/**
 * Reads a delivery status notification (RFC 3464) for the `message.bounced` / `delivery.failed`
 * webhook events: whether a message is a DSN, and its per-recipient fields. Pure: bytes in.
 *
 * @module
 */
import { parseMime } from "../mime/parse.ts";
import { decodedBody } from "../mime/body.ts";
import { getHeader } from "../mime/header.ts";
import { decodeHeaderText } from "../mime/encoded_words.ts";
import type { MimePart } from "../mime/types.ts";

/** One recipient block of a DSN (RFC 3464 §2.3). */
export interface DsnRecipientReport {
  /** Final-Recipient address (the type prefix, e.g. "rfc822;", removed). */
  finalRecipient: string | null;
  originalRecipient: string | null;
  /** failed, delayed, delivered, relayed, expanded. */
  action: string;
  /** RFC 3463 status code, e.g. 5.1.1. */
  status: string | null;
  diagnosticCode: string | null;
  remoteMta: string | null;
}

/** What a DSN says. */
export interface DsnReport {
  reportingMta: string | null;
  recipients: DsnRecipientReport[];
  /** Message-ID and Subject of the returned message (or its headers), when included. */
  originalMessageId: string | null;
  originalSubject: string | null;
}

/** RFC 3462 / RFC 6522: multipart/report with report-type=delivery-status. */
export function isDsnRoot(root: MimePart): boolean {
  return root.type === "multipart" && root.subtype === "report" &&
    (root.params["report-type"] ?? "").toLowerCase() === "delivery-status";
}

/** Splits "field: value" lines (with folded continuations) into groups separated by blank lines. */
function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let current: Map<string, string> | null = null;
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") {
      current = null;
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line) && current && last) {
      current.set(last, current.get(last)! + " " + line.trim());
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    if (!current) {
      current = new Map();
      groups.push(current);
    }
    last = line.slice(0, colon).trim().toLowerCase();
    current.set(last, line.slice(colon + 1).trim());
  }
  return groups;
}

function typed(value: string | undefined): string | null {
  if (value === undefined) return null;
  // RFC 3464 §2.3.2: address-type ";" generic-address
  const semi = value.indexOf(";");
  return (semi >= 0 ? value.slice(semi + 1) : value).trim() || null;
}

/** The report of a DSN, or null when `raw` is not one (or has no delivery-status part). */
export function parseDsn(raw: Uint8Array): DsnReport | null {
  const root = parseMime(raw);
  if (!isDsnRoot(root)) return null;
  const status = root.children.find((p) =>
    p.type === "message" && (p.subtype === "delivery-status" || p.subtype === "global-delivery-status")
  );
  if (!status) return null;
  const groups = fieldGroups(new TextDecoder().decode(decodedBody(raw, status)));
  const perMessage = groups[0] ?? new Map<string, string>();
  const recipients = groups.slice(1).filter((g) => g.has("action")).map((g) => ({
    finalRecipient: typed(g.get("final-recipient")),
    originalRecipient: typed(g.get("original-recipient")),
    action: (g.get("action") ?? "").toLowerCase(),
    status: g.get("status") ?? null,
    diagnosticCode: typed(g.get("diagnostic-code")),
    remoteMta: typed(g.get("remote-mta")),
  }));
  // The returned message (message/rfc822) or its header section (text/rfc822-headers).
  const returned = root.children.find((p) =>
    (p.type === "message" && (p.subtype === "rfc822" || p.subtype === "global")) ||
    (p.type === "text" && p.subtype === "rfc822-headers")
  );
  let originalMessageId: string | null = null;
  let originalSubject: string | null = null;
  if (returned) {
    const inner = returned.type === "message" && returned.children[0]
      ? returned.children[0]
      : parseMime(decodedBody(raw, returned));
    originalMessageId = getHeader(inner, "message-id")?.replace(/^<|>$/g, "") ?? null;
    const subject = getHeader(inner, "subject");
    originalSubject = subject === null ? null : decodeHeaderText(subject);
  }
  return {
    reportingMta: typed(perMessage.get("reporting-mta")),
    recipients,
    originalMessageId,
    originalSubject,
  };
}
