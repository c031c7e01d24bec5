/**
 * MDN/send and MDN/parse (RFC 9007): read receipts as JMAP objects. MDN/send builds the RFC 8098
 * message (core/mime/mdn.ts) and sends it through the delivery pipeline (core/delivery/pipeline.ts)
 * as EmailSubmission does, to the original's Disposition-Notification-To addresses, with a null
 * envelope sender (RFC 8098 §2.1). MDN/parse reads MDN messages from blobs.
 *
 * @module
 */
import type { AccountId } from "../../../core/store/types.ts";
import { beginJmapDelivery } from "../jmap_delivery.ts";
import { memorySource } from "../../../core/delivery/spool.ts";
import { parseMime } from "../../../core/mime/parse.ts";
import { getHeader } from "../../../core/mime/header.ts";
import { parseAddressList } from "../../../core/mime/address.ts";
import { decodeHeaderText } from "../../../core/mime/encoded_words.ts";
import { parseMessageIds } from "../../../core/mime/message_id.ts";
import {
  formatAddressList,
  formatDate,
  formatUnstructured,
  generateMessageId,
} from "../../../core/mime/compose.ts";
import {
  buildMdnMessage,
  isExtensionFieldName,
  isReportText,
  type MdnDisposition,
  type MdnReport,
  parseMdnMessage,
} from "../../../core/mime/mdn.ts";
import { invalidProperties, MethodError, SetErrorException } from "../errors.ts";
import {
  type MethodContext,
  type MethodHandler,
  optObject,
  optStringArray,
  requireAccount,
} from "../method_context.ts";
import { readBlob } from "../blobs.ts";
import { maySendAs } from "./identity.ts";
import { emailSetResult } from "./email_write.ts";
import type { Invocation } from "../request.ts";

/** The keyword recording that an MDN was sent for an email (RFC 9007 §2.1, RFC 3503). */
const MDN_SENT = "$mdnsent";
/** Recipients of one MDN when the configuration sets no limit (as EmailSubmission). */
const MAX_RECIPIENTS_DEFAULT = 100;
const CLIENT_PROPERTIES = new Set([
  "forEmailId",
  "subject",
  "textBody",
  "includeOriginalMessage",
  "reportingUA",
  "disposition",
  "finalRecipient",
  "extensionFields",
]);
/** Set by the server (RFC 9007 §2: "server-set"). */
const SERVER_PROPERTIES = new Set(["mdnGateway", "originalRecipient", "originalMessageId", "error"]);
const ACTION_MODES = ["manual-action", "automatic-action"];
const SENDING_MODES = ["mdn-sent-manually", "mdn-sent-automatically"];
const TYPES = ["deleted", "dispatched", "displayed", "processed"];

function optText(obj: Record<string, unknown>, key: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw invalidProperties([key]);
  return v;
}

/** A report field value: printable US-ASCII only (RFC 8098 §3.2 `text`). */
function reportText(obj: Record<string, unknown>, key: string): string | null {
  const v = optText(obj, key);
  if (v !== null && !isReportText(v)) throw invalidProperties([key], `"${key}" must be printable US-ASCII.`);
  return v === null ? null : v.trim();
}

function parseDispositionArg(v: unknown): MdnDisposition {
  const d = v as Record<string, unknown> | null;
  if (
    typeof d !== "object" || d === null || !ACTION_MODES.includes(d.actionMode as string) ||
    !SENDING_MODES.includes(d.sendingMode as string) || !TYPES.includes(d.type as string) ||
    Object.keys(d).some((k) => !["actionMode", "sendingMode", "type"].includes(k))
  ) {
    throw invalidProperties(["disposition"]);
  }
  return d as unknown as MdnDisposition;
}

function parseExtensionFields(v: unknown): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw invalidProperties(["extensionFields"]);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    // RFC 8098 §3.3: extension-field = extension-field-name ":" *([FWS] text).
    if (!isExtensionFieldName(k) || typeof val !== "string" || !isReportText(val)) {
      throw invalidProperties([`extensionFields/${k}`]);
    }
    out[k] = val.trim();
  }
  return Object.keys(out).length ? out : null;
}

/** The address in a `type; address` recipient value, or the value itself. */
function recipientAddress(value: string): string {
  const semi = value.indexOf(";");
  return (semi >= 0 ? value.slice(semi + 1) : value).trim();
}

/** Sends one MDN; returns the properties the client did not set (RFC 9007 §2.1 `sent`). */
async function sendOne(
  obj: Record<string, unknown>,
  ctx: MethodContext,
  accountId: AccountId,
  identity: { email: string; name: string },
): Promise<{ emailId: string; result: Record<string, unknown> }> {
  for (const k of Object.keys(obj)) {
    if (SERVER_PROPERTIES.has(k) && obj[k] !== null) throw invalidProperties([k], `"${k}" is server-set.`);
    if (!CLIENT_PROPERTIES.has(k) && !SERVER_PROPERTIES.has(k)) throw invalidProperties([k]);
  }
  if (typeof obj.forEmailId !== "string") throw invalidProperties(["forEmailId"]);
  const includeOriginal = obj.includeOriginalMessage ?? false;
  if (typeof includeOriginal !== "boolean") throw invalidProperties(["includeOriginalMessage"]);
  const disposition = parseDispositionArg(obj.disposition);
  const reportingUA = reportText(obj, "reportingUA");
  const extensionFields = parseExtensionFields(obj.extensionFields);
  let subject = optText(obj, "subject");
  let textBody = optText(obj, "textBody");
  const clientFinal = reportText(obj, "finalRecipient");

  const store = ctx.services.server.store;
  const [email] = await store.getMessages(accountId, [obj.forEmailId]);
  const raw = email ? await store.readMessage(accountId, email.id) : null;
  if (!email || !raw) throw new SetErrorException("notFound", "No such email.");
  // RFC 9007 §2.1: mdnAlreadySent when the email has the $mdnsent keyword.
  if (email.keywords.includes(MDN_SENT)) {
    throw new SetErrorException("mdnAlreadySent", "An MDN was already sent for this email.");
  }
  const root = parseMime(raw);
  // RFC 8098 §2.1: the MDN goes to the Disposition-Notification-To addresses; without a usable
  // one there is nobody to send it to (RFC 9007 §2.1 notFound).
  const dnt = getHeader(root, "disposition-notification-to");
  const to = dnt === null ? [] : parseAddressList(dnt).filter((a) => /^[^@\s<>]+@[^@\s<>]+$/.test(a.email));
  if (to.length === 0) {
    throw new SetErrorException(
      "notFound",
      "The email has no valid Disposition-Notification-To header field.",
    );
  }
  const maxRecipients = ctx.services.server.config.smtp.max_recipients || MAX_RECIPIENTS_DEFAULT;
  if (to.length > maxRecipients) {
    throw new SetErrorException(
      "forbidden",
      `Disposition-Notification-To names more than ${maxRecipients} addresses.`,
    );
  }
  // RFC 8098 §3.2.4: Final-Recipient is the recipient the MDN is issued for: the identity's
  // address unless the client names one it may use (RFC 9007 §2.1 forbiddenFrom).
  let finalAddress = identity.email;
  if (clientFinal !== null) {
    finalAddress = recipientAddress(clientFinal);
    if (finalAddress.toLowerCase() !== identity.email.toLowerCase() && !await maySendAs(ctx, finalAddress)) {
      throw new SetErrorException("forbiddenFrom", `Not allowed to use "${finalAddress}".`);
    }
  }
  if (!isReportText(finalAddress)) throw invalidProperties(["finalRecipient"], "Non-ASCII recipient.");
  const finalRecipient = clientFinal ?? `rfc822; ${finalAddress}`;
  // RFC 8098 §3.2.3: Original-Recipient from the original's Original-Recipient field, if any.
  const origRcpt = getHeader(root, "original-recipient");
  const originalRecipient = origRcpt !== null && isReportText(origRcpt) ? origRcpt : null;
  // RFC 8098 §3.2.5: Original-Message-ID only when the original has a Message-ID.
  const msgIds = parseMessageIds(getHeader(root, "message-id") ?? "");
  const originalMessageId = msgIds[0] && isReportText(msgIds[0]) ? `<${msgIds[0]}>` : null;

  const origSubject = decodeHeaderText(getHeader(root, "subject") ?? "");
  subject ??= `Return Receipt (${disposition.type}) - ${origSubject}`;
  textBody ??= `This is a return receipt for the message you sent to ${finalAddress}` +
    (origSubject ? ` with the subject "${origSubject}"` : "") +
    `.\n\nThe message was ${disposition.type}. This does not guarantee that it was read or understood.\n`;

  const server = ctx.services.server;
  const report: MdnReport = {
    reportingUA,
    mdnGateway: null,
    originalRecipient,
    finalRecipient,
    originalMessageId,
    disposition,
    error: null,
    extensionFields,
  };
  const message = buildMdnMessage({
    headers: [
      // RFC 8098 §3: From is the person for whom the MDN is issued.
      { name: "From", value: formatAddressList([{ name: identity.name || null, email: identity.email }]) },
      { name: "To", value: formatAddressList(to) },
      { name: "Subject", value: formatUnstructured(subject) },
      { name: "Date", value: formatDate(server.clock.now()) },
      { name: "Message-ID", value: `<${generateMessageId(server.config.hostname)}>` },
      ...(msgIds[0] ? [{ name: "References", value: `<${msgIds[0]}>` }] : []),
    ],
    textBody,
    report,
    original: includeOriginal ? raw : null,
  });
  // RFC 8098 §2.1 / §3: a null envelope sender, so no notification answers this one.
  const tx = beginJmapDelivery(ctx, null, to.map((a) => a.email), message.length, { mayRelay: true });
  for (const a of to) {
    const refusal = await tx.addRecipient({ address: a.email });
    if (refusal === null) continue;
    throw new SetErrorException(
      "forbidden",
      refusal.reason === "noQueue"
        ? `Remote delivery is not available on this server; not sent to ${a.email}.`
        : refusal.reason === "unknownUser"
        ? `No such local recipient "${a.email}".`
        : `Delivery to ${a.email} is refused.`,
    );
  }
  const delivered = await tx.deliver(memorySource(message));
  if (delivered.recipients.some((r) => r.status === "failed")) {
    ctx.log.warn("JMAP MDN delivery failed", {});
    throw new SetErrorException("forbidden", "The MDN could not be delivered or queued.");
  }
  const result: Record<string, unknown> = {};
  const fill: Record<string, unknown> = {
    subject,
    textBody,
    includeOriginalMessage: includeOriginal,
    reportingUA,
    mdnGateway: null,
    originalRecipient,
    finalRecipient,
    originalMessageId,
    error: null,
    extensionFields,
  };
  // RFC 9007 §2.1: `sent` has what the server set: omitted properties, server-set ones, and values
  // the server filled in or normalised (a null subject given a default, say).
  for (const [k, v] of Object.entries(fill)) {
    if (!(k in obj) || SERVER_PROPERTIES.has(k) || JSON.stringify(obj[k]) !== JSON.stringify(v)) {
      result[k] = v;
    }
  }
  return { emailId: email.id, result };
}

/** MDN/send (RFC 9007 §2.1), with onSuccessUpdateEmail. */
export const mdnSend: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  if (typeof args.identityId !== "string") {
    throw new MethodError("invalidArguments", "identityId is required.");
  }
  await ctx.services.identities.list(accountId, ctx.account);
  const identity = await ctx.services.identities.get(accountId, args.identityId);
  // RFC 9007 §2.1: an unknown identityId rejects the whole call.
  if (!identity) throw new MethodError("invalidArguments", "Unknown identityId.");
  const send = optObject(args, "send");
  if (!send) throw new MethodError("invalidArguments", "send is required.");
  if (Object.keys(send).length > ctx.services.limits.maxObjectsInSet) {
    throw new MethodError("requestTooLarge", "Too many MDNs.");
  }
  const onUpdate = optObject(args, "onSuccessUpdateEmail");
  const sent: Record<string, unknown> = {};
  const notSent: Record<string, unknown> = {};
  const emailOf = new Map<string, string>(); // creation id → email id
  for (const [cid, value] of Object.entries(send)) {
    try {
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidProperties([]);
      const { emailId, result } = await sendOne(value as Record<string, unknown>, ctx, accountId, identity);
      sent[cid] = result;
      emailOf.set(cid, emailId);
    } catch (e) {
      if (!(e instanceof SetErrorException)) throw e;
      notSent[cid] = e.toSetError();
    }
  }
  const responses: Invocation[] = [[
    "MDN/send",
    {
      accountId,
      sent: Object.keys(sent).length ? sent : null,
      notSent: Object.keys(notSent).length ? notSent : null,
    },
    ctx.callId,
  ]];
  // RFC 9007 §2.1: onSuccessUpdateEmail keys are references "#creationId" to sent MDNs; the
  // patch applies to the email the MDN is for, only when that MDN was sent.
  const update: Record<string, unknown> = {};
  const sentEmails = new Set(emailOf.values());
  for (const [k, patch] of Object.entries(onUpdate ?? {})) {
    const emailId = k.startsWith("#") ? emailOf.get(k.slice(1)) : sentEmails.has(k) ? k : undefined;
    if (emailId) update[emailId] = patch;
  }
  if (Object.keys(update).length) {
    responses.push(["Email/set", await emailSetResult({ accountId, update }, ctx, accountId), ctx.callId]);
  }
  return responses;
};

/** The account's email whose Message-ID is `id` (angle brackets stripped), or null. */
async function emailByMessageId(
  ctx: MethodContext,
  accountId: AccountId,
  id: string,
): Promise<string | null> {
  const store = ctx.services.server.store;
  const candidates = await store.queryMessages(accountId, {
    filter: { header: ["message-id", id] },
    limit: 50,
  });
  const messages = await store.getMessages(accountId, candidates);
  return messages.find((m) => m.summary.messageId.includes(id))?.id ?? null;
}

/** MDN/parse (RFC 9007 §2.2). */
export const mdnParse: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const blobIds = optStringArray(args, "blobIds");
  if (!blobIds) throw new MethodError("invalidArguments", "blobIds is required.");
  if (blobIds.length > ctx.services.limits.maxObjectsInGet) {
    throw new MethodError("requestTooLarge", "Too many blobIds.");
  }
  const parsed: Record<string, unknown> = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const blobId of blobIds) {
    const blob = await readBlob(ctx.services, accountId, blobId);
    if (!blob) {
      notFound.push(blobId);
      continue;
    }
    const mdn = parseMdnMessage(blob.bytes);
    if (!mdn) {
      notParsable.push(blobId);
      continue;
    }
    const r = mdn.report;
    const originalId = r.originalMessageId ? parseMessageIds(r.originalMessageId)[0] : undefined;
    parsed[blobId] = {
      forEmailId: originalId ? await emailByMessageId(ctx, accountId, originalId) : null,
      subject: mdn.subject,
      textBody: mdn.textBody,
      includeOriginalMessage: mdn.includesOriginal,
      reportingUA: r.reportingUA,
      disposition: r.disposition,
      mdnGateway: r.mdnGateway,
      originalRecipient: r.originalRecipient,
      finalRecipient: r.finalRecipient,
      originalMessageId: r.originalMessageId,
      error: r.error,
      extensionFields: r.extensionFields,
    };
  }
  return {
    accountId,
    parsed: Object.keys(parsed).length ? parsed : null,
    notParsable: notParsable.length ? notParsable : null,
    notFound: notFound.length ? notFound : null,
  };
};
