/**
 * The vacation auto-reply sent on inbound mail (RFC 8621 §8, RFC 3834): at most once per sender
 * per period, never to bounces, mailing lists, bulk or automatically submitted mail, nor to the
 * account itself. The inbound delivery pipeline (core/delivery/pipeline.ts) runs `vacationHook`
 * after every committed local delivery, whichever protocol brought the message in (SMTP, LMTP,
 * JMAP EmailSubmission, the queue). The VacationResponse record itself is JMAP's
 * (core/store/records/vacations.ts).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { AccountId } from "../store/types.ts";
import type { OutboundQueue } from "./outbound.ts";
import { DeliveryPipeline } from "./pipeline.ts";
import { memorySource } from "./spool.ts";
import { parseMime } from "../mime/parse.ts";
import { decodeHeaderText } from "../mime/encoded_words.ts";
import { parseAddressList } from "../mime/address.ts";
import {
  composeMessage,
  type ComposeNode,
  formatDate,
  formatUnstructured,
  generateMessageId,
} from "../mime/compose.ts";
import type { VacationResponse } from "../store/records/vacations.ts";

/** Default RFC 3834 §2 period: one reply per sender per 7 days. */
export const DEFAULT_VACATION_PERIOD_DAYS = 7;

/** Why no reply is sent (for logs and tests), or null when one is due. */
export type SkipReason =
  | "disabled"
  | "outside dates"
  | "null sender"
  | "auto-submitted"
  | "list or bulk"
  | "daemon sender"
  | "self"
  | "not addressed";

/** Header facts of an inbound message that decide about a reply. */
export interface InboundFacts {
  autoSubmitted: string | null;
  precedence: string | null;
  hasListHeaders: boolean;
  subject: string;
  messageId: string | null;
  references: string[];
  /** Addresses in To, Cc and Bcc (lowercase). */
  recipients: string[];
}

/** Extracts the facts from raw message bytes. */
export function inboundFacts(raw: Uint8Array): InboundFacts {
  const root = parseMime(raw);
  const last = (key: string) => {
    const h = root.headers.filter((f) => f.key === key).at(-1);
    return h ? h.value.trim() : null;
  };
  const ids = (v: string | null) => [...(v ?? "").matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  return {
    autoSubmitted: last("auto-submitted"),
    precedence: last("precedence"),
    hasListHeaders: root.headers.some((h) => h.key === "list-id" || h.key.startsWith("list-")),
    subject: decodeHeaderText(last("subject") ?? ""),
    messageId: ids(last("message-id"))[0] ?? null,
    references: [...ids(last("references")), ...ids(last("in-reply-to"))].filter((v, i, a) =>
      a.indexOf(v) === i
    ),
    recipients: ["to", "cc", "bcc"].flatMap((k) =>
      root.headers.filter((h) => h.key === k).flatMap((h) =>
        parseAddressList(h.value).map((a) => a.email.toLowerCase())
      )
    ),
  };
}

/** RFC 3834 §2 decision: null when a reply is due, else why not. */
export function skipReason(
  v: VacationResponse,
  facts: InboundFacts,
  envelopeFrom: string | null,
  own: readonly string[],
  now: Date,
): SkipReason | null {
  if (!v.isEnabled) return "disabled";
  if ((v.fromDate && now < v.fromDate) || (v.toDate && now >= v.toDate)) return "outside dates";
  if (!envelopeFrom) return "null sender";
  if (facts.autoSubmitted !== null && facts.autoSubmitted.toLowerCase().split(";")[0]!.trim() !== "no") {
    return "auto-submitted";
  }
  if (facts.hasListHeaders || /^(bulk|list|junk)$/i.test(facts.precedence ?? "")) return "list or bulk";
  const local = envelopeFrom.split("@")[0]!.toLowerCase();
  if (/^(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|no-?reply)$/.test(local)) {
    return "daemon sender";
  }
  const mine = own.map((a) => a.toLowerCase());
  if (mine.includes(envelopeFrom.toLowerCase())) return "self";
  // RFC 3834 §2: reply only when one of our addresses is an explicit recipient.
  if (!facts.recipients.some((r) => mine.includes(r))) return "not addressed";
  return null;
}

/** Composes the reply (RFC 3834 §3: Auto-Submitted: auto-replied, threading headers). */
export function composeVacationReply(
  v: VacationResponse,
  facts: InboundFacts,
  from: string,
  to: string,
  now: Date,
  hostname: string,
): Uint8Array {
  const subject = v.subject ?? `Auto: ${facts.subject || "Your message"}`;
  const text: ComposeNode = {
    kind: "leaf",
    type: "text/plain",
    content: v.textBody ?? (v.htmlBody ? "" : ""),
  };
  const body: ComposeNode = v.htmlBody
    ? {
      kind: "multipart",
      subtype: "alternative",
      parts: [
        { kind: "leaf", type: "text/plain", content: v.textBody ?? v.htmlBody.replace(/<[^>]*>/g, "") },
        { kind: "leaf", type: "text/html", content: v.htmlBody },
      ],
    }
    : text;
  const headers = [
    { name: "From", value: `<${from}>` },
    { name: "To", value: `<${to}>` },
    { name: "Subject", value: formatUnstructured(subject) },
    { name: "Date", value: formatDate(now) },
    { name: "Message-ID", value: `<${generateMessageId(hostname)}>` },
    { name: "Auto-Submitted", value: "auto-replied (vacation)" },
  ];
  if (facts.messageId) {
    headers.push({ name: "In-Reply-To", value: `<${facts.messageId}>` });
    headers.push({
      name: "References",
      value: [...facts.references, facts.messageId].map((i) => `<${i}>`).join(" "),
    });
  }
  return composeMessage({ headers, body });
}

/** What sending vacation replies needs (a `ServerContext` has all of it). */
export interface VacationServer {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: { readonly hostname: string; readonly jmap: { readonly vacation_period_days?: number } };
  readonly outbound?: OutboundQueue;
}

/**
 * After a local delivery: sends each recipient account's vacation reply when one is due, in
 * through `pipeline` (the server's, core/inbound/server_pipeline.ts; a hookless one over `server`
 * when not given) with a null reverse-path (RFC 3834 §3.3): local senders get it in their Inbox,
 * remote ones through the outbound queue, or not at all while the server has no queue. Never throws.
 *
 * @returns how many replies were sent
 */
export async function sendVacationReplies(
  server: VacationServer,
  input: {
    accountIds: AccountId[];
    envelopeFrom: string | null;
    /** The delivered message, or a loader called only when a recipient has a vacation response on. */
    raw: Uint8Array | (() => Promise<Uint8Array | null>);
  },
  pipeline?: DeliveryPipeline,
): Promise<number> {
  let sent = 0;
  try {
    const vacations = server.store.vacations;
    const enabled: AccountId[] = [];
    for (const id of input.accountIds) {
      if ((await vacations.get(id)).value.isEnabled) enabled.push(id);
    }
    if (enabled.length === 0 || !input.envelopeFrom) return 0;
    const raw = typeof input.raw === "function" ? await input.raw() : input.raw;
    if (!raw) return 0;
    const facts = inboundFacts(raw);
    const now = server.clock.now();
    const periodMs = (server.config.jmap.vacation_period_days ?? DEFAULT_VACATION_PERIOD_DAYS) * 86_400_000;
    for (const accountId of enabled) {
      const account = await server.store.getAccount(accountId);
      if (!account) continue;
      const own = await server.store.sendableAddresses(accountId);
      const v = (await vacations.get(accountId)).value;
      if (skipReason(v, facts, input.envelopeFrom, own, now) !== null) continue;
      if (!await vacations.claimReply(accountId, input.envelopeFrom, now, periodMs)) continue;
      const reply = composeVacationReply(
        v,
        facts,
        account.address,
        input.envelopeFrom,
        now,
        server.config.hostname,
      );
      const delivery = pipeline ?? new DeliveryPipeline({
        store: server.store,
        clock: server.clock,
        log: server.log,
        hostname: server.config.hostname,
        outbound: server.outbound,
      });
      // RFC 3834 §3.3: the null reverse-path, so that nothing answers the answer.
      const tx = delivery.begin(
        { from: null, smtputf8: false, body: "8BITMIME" },
        { kind: "internal", sessionId: "vacation" },
        { mayRelay: true },
      );
      // An unknown local sender, or a remote one while there is no queue: no reply.
      if (await tx.addRecipient({ address: input.envelopeFrom }) !== null) continue;
      const result = await tx.deliver(memorySource(reply));
      if (result.recipients.every((r) => r.status !== "failed")) sent++;
    }
  } catch (error) {
    server.log.warn("vacation reply failed", { error: String(error) });
  }
  return sent;
}
