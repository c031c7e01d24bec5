/**
 * The hand-off to the outbound queue (core/queue). When the server context has no queue, SMTP
 * answers `451 4.3.0` for non-local recipients instead of dropping them.
 *
 * @module
 */
import type { BlobId } from "../store/types.ts";

/** RFC 3461 per-recipient DSN parameters. */
export interface OutboundRecipient {
  /** Forward-path as `local@domain`. */
  address: string;
  /** RFC 3461 §4.1 NOTIFY values (upper case), absent when not given. */
  notify?: string[];
  /** RFC 3461 §4.2 ORCPT as sent (`addr-type;xtext`). */
  orcpt?: string;
}

/** The envelope of a message to relay. */
export interface OutboundEnvelope {
  /** Reverse-path; null for `<>`. */
  from: string | null;
  recipients: OutboundRecipient[];
  /** RFC 3461 §4.3 RET (FULL or HDRS). */
  ret?: "FULL" | "HDRS";
  /** RFC 3461 §4.4 ENVID as sent (xtext). */
  envid?: string;
  /** RFC 6531 SMTPUTF8 was requested. */
  smtputf8: boolean;
  /** RFC 6152 / RFC 3030 BODY parameter. */
  body: "7BIT" | "8BITMIME" | "BINARYMIME";
  /** RFC 8689 §4: the REQUIRETLS MAIL parameter was given (TLS with a verified peer on every hop). */
  requireTls?: boolean;
  /** Authenticated submitter, if any. */
  authUser?: string;
  /** Session that received it (for logs and traces). */
  sessionId: string;
}

/** Durable queue of messages to relay. */
export interface OutboundQueue {
  /**
   * Queues a message already stored in the blob store. Resolves with the queue id once the entry
   * is committed and fsynced (only then may SMTP reply 250). `options.origin` is an opaque tag of
   * the submitter handed back with each recipient's outcome (core/queue `EnqueueOptions`).
   */
  enqueue(
    envelope: OutboundEnvelope,
    message: { blobId: BlobId; size: number },
    options?: { origin?: string },
  ): Promise<{ id: string }>;
}

/**
 * A server context that may carry an outbound queue. `ServerContext.outbound` (core/context.ts)
 * now declares the same field; this type stays for code written before it.
 */
export interface WithOutboundQueue {
  readonly outbound?: OutboundQueue;
}
