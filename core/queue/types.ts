/**
 * Domain types of the outbound queue. The hand-off interface (`OutboundQueue`, `OutboundEnvelope`)
 * is core/delivery/outbound.ts; this file describes what the queue stores about each message.
 *
 * @module
 */

export type { OutboundEnvelope, OutboundQueue, OutboundRecipient } from "../delivery/outbound.ts";
export type {
  AttemptRecord,
  QueuedMessage,
  QueuedRecipient,
  QueueEntry,
  RecipientStatus,
} from "../store/records/queue.ts";

/** Extra options of `Queue.enqueue`. */
export interface EnqueueOptions {
  /**
   * Opaque tag of the submitter (e.g. `jmap:<account>:<submission>`), stored with the message and
   * passed back with every recipient outcome; the queue never interprets it.
   */
  origin?: string;
}

/** What happened to one recipient in one delivery run (reported to `onRecipientOutcome`). */
export interface RecipientOutcome {
  /** The message's `EnqueueOptions.origin`. */
  origin: string;
  /** Queue id of the message. */
  queueId: string;
  /** The recipient address as queued. */
  address: string;
  /** `delivered` and `failed` are final; `deferred` will be retried. */
  status: "delivered" | "failed" | "deferred";
  /** The SMTP reply (or error text) of the attempt. */
  reply: string;
  /** Host that answered, if any. */
  host: string | null;
}

/** Receives recipient outcomes after they are committed; errors are logged, never retried. */
export type RecipientOutcomeListener = (outcome: RecipientOutcome) => void | Promise<void>;
