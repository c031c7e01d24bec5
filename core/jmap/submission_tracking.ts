/**
 * EmailSubmission status from the outbound queue (RFC 8621 §7): the queue reports each remote
 * recipient's outcome for messages tagged with a submission's origin, and this module updates the
 * submission's `deliveryStatus` (`delivered`: queued → yes/no, `smtpReply`) and `undoStatus`
 * (pending → final), recording an EmailSubmission change so `/changes` and push see it.
 *
 * The queue stays independent of JMAP: it only carries the opaque origin tag and calls a listener.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { OutboundQueue } from "../delivery/outbound.ts";
import type { EnqueueOptions, RecipientOutcome, RecipientOutcomeListener } from "../queue/types.ts";
import { type DeliveryStatus, type EmailSubmission, parseSubmissionOrigin } from "./submissions.ts";

/** The outbound queue as core/queue implements it: origin tags, outcome reports and undo. */
export interface TrackingQueue extends OutboundQueue {
  /** `OutboundQueue.enqueue` with an origin tag. */
  enqueue(
    envelope: Parameters<OutboundQueue["enqueue"]>[0],
    message: Parameters<OutboundQueue["enqueue"]>[1],
    options?: EnqueueOptions,
  ): Promise<{ id: string }>;
  /** Registers an outcome listener; returns its removal. */
  onRecipientOutcome(listener: RecipientOutcomeListener): () => void;
  /** Withdraws a message nothing of which was delivered yet; false when too late. */
  cancel(id: string): Promise<boolean>;
}

/** True when the queue reports outcomes and can cancel (core/queue's `Queue`). */
export function isTrackingQueue(q: OutboundQueue | undefined): q is TrackingQueue {
  const t = q as Partial<TrackingQueue> | undefined;
  return typeof t?.onRecipientOutcome === "function" && typeof t.cancel === "function";
}

/**
 * RFC 8621 §7 smtpReply is an SMTP reply; queue errors that are not one (no MX, a connection
 * failure) get the reply code the outcome implies.
 */
function smtpReply(o: RecipientOutcome): string {
  if (/^[2-5]\d\d[ -]/.test(o.reply)) return o.reply;
  const code = o.status === "delivered" ? "250" : o.status === "failed" ? "550" : "451";
  return `${code} ${o.reply}`.trim();
}

/** The delivery status of one recipient after an outcome. */
export function deliveryStatusOf(o: RecipientOutcome): DeliveryStatus {
  return {
    smtpReply: smtpReply(o),
    delivered: o.status === "delivered" ? "yes" : o.status === "failed" ? "no" : "queued",
    displayed: "unknown",
  };
}

/**
 * RFC 8621 §7: undoStatus is final once a recipient got the message (it cannot be recalled) or
 * no recipient is left to deliver; pending while everything is still queued.
 */
export function undoStatusAfter(statuses: Record<string, DeliveryStatus>): EmailSubmission["undoStatus"] {
  const all = Object.values(statuses);
  if (all.some((d) => d.delivered === "yes")) return "final";
  return all.every((d) => d.delivered === "no") ? "final" : "pending";
}

/**
 * Subscribes to the queue's outcomes and keeps EmailSubmission objects up to date. Returns the
 * unsubscribe function.
 */
export function trackSubmissions(queue: TrackingQueue, store: Store, log: Logger): () => void {
  const submissions = store.submissions;
  return queue.onRecipientOutcome(async (o) => {
    const ref = parseSubmissionOrigin(o.origin);
    if (!ref) return;
    const current = await submissions.get(ref.accountId, ref.submissionId);
    if (!current || current.undoStatus === "canceled") return;
    const wanted = o.address.toLowerCase();
    const key = Object.keys(current.deliveryStatus ?? {}).find((k) => k.toLowerCase() === wanted) ??
      o.address;
    const statuses = { ...(current.deliveryStatus ?? {}), [key]: deliveryStatusOf(o) };
    const undo = current.undoStatus === "final" ? "final" : undoStatusAfter(statuses);
    await submissions.updateStatus(ref.accountId, ref.submissionId, { [key]: statuses[key]! }, undo);
    await store.recordChange(ref.accountId, "EmailSubmission", { updated: [ref.submissionId] });
    log.debug("submission status updated", {
      submission_id: ref.submissionId,
      queue_id: o.queueId,
      status: o.status,
    });
  });
}
