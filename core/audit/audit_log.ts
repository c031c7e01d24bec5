/**
 * Recording the audit log (`Store.audit`): changes made through the admin API, the CLI and JMAP
 * settings, and security events. Summaries passed as `before`/`after` must never hold secrets
 * (password hashes, tokens, private keys): `summarize` keeps only the listed fields.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { AuditEntry, AuditKind, AuditQuery, AuditStore } from "../store/records/audit.ts";

export type { AuditEntry, AuditKind, AuditQuery } from "../store/records/audit.ts";

/** Who did something and from where (the request it came with). */
export interface AuditActor {
  /** An account address, `cli`, `system` or a trusted service name. */
  actor: string;
  /** The actor's organization, if any. */
  actorOrgId?: string | null;
  ip?: string | null;
  requestId?: string | null;
}

/** An event to record (id and time are filled in). */
export interface AuditEvent {
  action: string;
  /** The organization the target belongs to. */
  orgId?: string | null;
  target?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** The CLI as an actor. */
export const CLI_ACTOR: AuditActor = { actor: "cli", actorOrgId: null };
/** The server itself (bans, expiry) as an actor. */
export const SYSTEM_ACTOR: AuditActor = { actor: "system", actorOrgId: null };

/** An id that sorts as its time: 13 digits of milliseconds, then 12 random hex digits. */
export function auditId(at: Date): string {
  return `${String(at.getTime()).padStart(13, "0")}-${randomBytes(6).toString("hex")}`;
}

/** Keeps only `fields` of `value` (for before/after summaries without secrets). */
export function summarize<T extends object>(value: T | null | undefined, fields: (keyof T)[]):
  | Record<string, unknown>
  | null {
  if (value === null || value === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = value[f];
    out[String(f)] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/** Records audit entries; a failure to record is logged, never thrown at the caller's change. */
export class AuditLog {
  readonly #store: AuditStore;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;

  /**
   * @param store the store's audit records (`Store.audit`)
   * @param clock the clock of record
   * @param log where a failure to record is reported
   */
  constructor(store: AuditStore, clock: Clock, log?: Logger) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
  }

  /** Records a change to data. */
  change(actor: AuditActor, event: AuditEvent): Promise<AuditEntry | null> {
    return this.#append("change", actor, event);
  }

  /** Records a security event (login, failure, ban, token use, refresh reuse, revocation). */
  security(actor: AuditActor, event: AuditEvent): Promise<AuditEntry | null> {
    return this.#append("security", actor, event);
  }

  /** Entries matching a query, newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]> {
    return this.#store.list(query);
  }

  async #append(kind: AuditKind, actor: AuditActor, e: AuditEvent): Promise<AuditEntry | null> {
    const at = this.#clock.now();
    const entry: AuditEntry = {
      id: auditId(at),
      at,
      kind,
      action: e.action,
      actor: actor.actor,
      actorOrgId: actor.actorOrgId ?? null,
      orgId: e.orgId ?? null,
      target: e.target ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
      ip: actor.ip ?? null,
      requestId: actor.requestId ?? null,
    };
    try {
      await this.#store.append(entry);
      return entry;
    } catch (err) {
      this.#log?.error("recording an audit entry failed", {
        action: e.action,
        error: (err as Error)?.message ?? String(err),
      });
      return null;
    }
  }
}
