/**
 * The outbound queue: durable entries, scheduler, SMTP delivery, retries, DSNs, metrics and the
 * operations shared by the CLI and the admin API.
 *
 * @example
 * ```ts ignore
 * import { createQueue } from "./mod.ts";
 * const queue = createQueue({ config, store, log, clock }); // null without a SQLite store
 * queue?.start();            // background delivery
 * await queue?.enqueue(envelope, { blobId, size }); // resolves after the commit
 * await queue?.stop();
 * ```
 *
 * @module
 */
export { Queue, type QueueOptions } from "./queue.ts";
export { createQueue, resolverFor, startQueue } from "./start.ts";
export { QueueOperations } from "./operations.ts";
export { QueueMetrics, type QueueMetricsSnapshot } from "./metrics.ts";
export { type QueueSettings, queueSettings } from "./settings.ts";
export { buildDsn, type DsnInput, type DsnRecipient } from "./dsn.ts";
export { retryDelayMs, type RetrySchedule } from "./retry.ts";
export type {
  AttemptRecord,
  EnqueueOptions,
  QueuedMessage,
  QueuedRecipient,
  QueueEntry,
  RecipientOutcome,
  RecipientOutcomeListener,
  RecipientStatus,
} from "./types.ts";
