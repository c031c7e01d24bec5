/**
 * The audit log (`Store.audit`): every change made through the admin API, the CLI and JMAP
 * settings, and security events (logins, failures, bans, token use, refresh-token reuse,
 * revocations). Append-only; entries are listed newest first. Recording is core/audit/audit_log.ts.
 *
 * @module
 */

/** A change to data, or a security event. */
export type AuditKind = "change" | "security";

/** One audit entry. */
export interface AuditEntry {
  /** Time-ordered id: entries sort by id as by time (the pagination cursor). */
  id: string;
  at: Date;
  kind: AuditKind;
  /** What happened, dotted: `account.create`, `auth.login.failure`, `session.refresh_reuse`. */
  action: string;
  /** Who did it: an account address, `cli`, `system` or a trusted service name. */
  actor: string;
  /** The actor's organization (null for the CLI and the system). */
  actorOrgId: string | null;
  /** The organization the target belongs to (what org-scoped listings filter on). */
  orgId: string | null;
  /** What it was done to (an address, a domain, a token or session id). */
  target: string | null;
  /** Summary of the target before the change (never secrets). */
  before: Record<string, unknown> | null;
  /** Summary of the target after the change (never secrets). */
  after: Record<string, unknown> | null;
  /** Client IP, when known. */
  ip: string | null;
  /** The API request id (`X-Request-Id`), when made through the API. */
  requestId: string | null;
}

/** Which entries to list. */
export interface AuditQuery {
  /** Only this organization's entries. */
  orgId?: string;
  kind?: AuditKind;
  /** Only entries whose action starts with this. */
  actionPrefix?: string;
  /** Only entries older than this id (the cursor of the previous page). */
  beforeId?: string;
  /** At most this many (newest first). */
  limit: number;
}

/** The audit log records. */
export interface AuditStore {
  /** Appends an entry. */
  append(entry: AuditEntry): Promise<void>;
  /** Entries matching a query, newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}
