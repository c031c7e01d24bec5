/**
 * The JMAP methods a read worker may answer (read_pool.ts): each only reads the store, through
 * the `Store` interface, and never writes, publishes a push or an event, nor touches uploads or
 * the audit log. Checked one by one (issue 24):
 *
 * - Email/get reads messages and, for body properties, their blobs; it never sets `$seen`.
 * - Email/query and Email/queryChanges read the store and the per-services query cache, whose
 *   entries are keyed by the state they were computed at (read in the same request). A text
 *   search that would first index pending blobs writes: the read-only store refuses it and the
 *   request goes back to the main thread (read_worker.ts).
 * - Email/changes, Mailbox/changes, Thread/changes read the change log.
 * - Mailbox/get, Mailbox/query, Mailbox/queryChanges, Thread/get read mailboxes, counts, ACLs and
 *   subscriptions (RFC 9670 shared accounts included).
 * - Core/echo reads nothing.
 *
 * Anything else (every /set, /copy, /import, Blob/*, Email/parse of uploads, SearchSnippet/get,
 * Identity, EmailSubmission, VacationResponse, Quota, Principal, PushSubscription, Sieve, MDN)
 * runs on the main thread, as does any request mixing one of them with a read.
 *
 * @module
 */
import type { JmapRequest } from "./request.ts";

/** Method names a read worker answers. */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  "Core/echo",
  "Email/get",
  "Email/query",
  "Email/changes",
  "Email/queryChanges",
  "Mailbox/get",
  "Mailbox/query",
  "Mailbox/changes",
  "Mailbox/queryChanges",
  "Thread/get",
  "Thread/changes",
]);

/** Whether every method call of a request is one a read worker answers. */
export function isReadOnlyRequest(request: JmapRequest): boolean {
  if (request.methodCalls.length === 0) return false;
  for (const call of request.methodCalls) {
    if (!READ_ONLY_METHODS.has(call[0])) return false;
  }
  return true;
}
