/**
 * Connection hook points shared by every listener (SMTP, IMAP, POP3, HTTP): `onConnect` decides
 * whether a new session may proceed, `onClose` learns that it ended. The built-in policies
 * (core/policy/) and embedding programs plug in here.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Session } from "../session.ts";
import type { Transport } from "./transport.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";

/** The answer of an `onConnect` hook. `reason` is sent to the client in the protocol's refusal. */
export type ConnectDecision = { allow: true } | { allow: false; reason: string };

/** Hooks run by the listeners around every session. */
export interface ServerHooks {
  /**
   * Runs once per session before the greeting (per request for HTTP). A hook that throws or does
   * not answer within `timeoutMs` counts as a rejection with a generic reason (and is logged).
   */
  onConnect?(session: Session): Promise<ConnectDecision> | ConnectDecision;
  /**
   * Runs exactly once for every session that `onConnect` was run for (allowed, rejected, timed out
   * or failed), after its connection is closed. Errors are logged and ignored.
   */
  onClose?(session: Session): Promise<void> | void;
  /** Runs after a reload (SIGHUP) with the live configuration, so policies re-read their settings. */
  onReload?(config: Config): Promise<void> | void;
  /** Milliseconds each hook may take (default `DEFAULT_HOOK_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/**
 * Writes a protocol's refusal before the listener closes a rejected connection: SMTP
 * `554 5.7.1 <reason>`, IMAP `* BYE <reason>`, POP3 `-ERR <reason>`. A protocol handler module may
 * export one as `reject`; otherwise the server uses its built-in one for the protocol.
 */
export type RejectFn = (transport: Transport, reason: string) => Promise<void>;

/** Default time a hook may take. */
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** What the client is told when a hook failed or timed out (details go to the log only). */
export const GENERIC_REJECT_REASON = "Service temporarily unavailable";

/** Reason sent when a listener is at its `max_connections`. */
export const TOO_MANY_CONNECTIONS_REASON = "Too many connections, try again later";

/** Thrown internally when a hook does not settle in time. */
export class HookTimeoutError extends Error {
  /** Error name. */
  override name = "HookTimeoutError";
}

/** The deadlines of `withTimeout` calls, on one timer (HTTP runs two hooks per request). */
const HOOK_DEADLINES = new Deadlines();

/** Runs `fn`, failing with `HookTimeoutError` after `ms` milliseconds. The deadline never outlives the call. */
export async function withTimeout<T>(fn: () => Promise<T> | T, ms: number, what: string): Promise<T> {
  let deadline: Deadline | null = null;
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        deadline = HOOK_DEADLINES.add(
          ms,
          () => reject(new HookTimeoutError(`${what} did not answer within ${ms} ms`)),
        );
      }),
    ]);
  } finally {
    HOOK_DEADLINES.cancel(deadline);
  }
}

/**
 * Combines hook sets into one: `onConnect` hooks run in order and the first rejection wins (later
 * ones are not asked); every `onClose` runs, each isolated from the others' errors. The combined
 * timeout is the largest of the parts'.
 *
 * @example
 * ```ts
 * import { composeHooks } from "./hooks.ts";
 * const hooks = composeHooks(
 *   { onConnect: () => ({ allow: true }) },
 *   { onConnect: (s) => s.remoteAddress === "192.0.2.66" ? { allow: false, reason: "Go away" } : { allow: true } },
 * );
 * console.log(typeof hooks.onConnect); // "function"
 * ```
 */
export function composeHooks(...parts: (ServerHooks | undefined)[]): ServerHooks {
  const list = parts.filter((h): h is ServerHooks => h !== undefined);
  const timeouts = list.map((h) => h.timeoutMs).filter((t): t is number => t !== undefined);
  // Synchronous while every part answers synchronously (the built-in policies do, but for a ban
  // or a rate), so an HTTP request, which runs both hooks, makes no promise and no deadline for them.
  const connect = (session: Session, from: number): Promise<ConnectDecision> | ConnectDecision => {
    for (let i = from; i < list.length; i++) {
      const answer = list[i]!.onConnect?.(session);
      if (answer === undefined) continue;
      if (isThenable(answer)) {
        return answer.then((decision) => decision.allow ? connect(session, i + 1) : decision);
      }
      if (!answer.allow) return answer;
    }
    return ALLOW;
  };
  return {
    ...(timeouts.length > 0 ? { timeoutMs: Math.max(...timeouts) } : {}),
    onConnect: (session: Session) => connect(session, 0),
    onClose(session: Session): Promise<void> | void {
      const errors: unknown[] = [];
      const pending: Promise<void>[] = [];
      for (const h of list) {
        try {
          const done = h.onClose?.(session);
          if (isThenable(done)) pending.push(Promise.resolve(done).catch((err) => void errors.push(err)));
        } catch (err) {
          errors.push(err);
        }
      }
      const settle = () => {
        if (errors.length === 1) throw errors[0];
        if (errors.length > 1) throw new AggregateError(errors, "onClose hooks failed");
      };
      if (pending.length === 0) return settle();
      return Promise.all(pending).then(settle);
    },
    async onReload(config: Config): Promise<void> {
      for (const h of list) await h.onReload?.(config);
    },
  };
}

/** The decision that lets a session go on. */
const ALLOW: ConnectDecision = Object.freeze({ allow: true });

/** Whether a hook answered with a promise (or any thenable) rather than a value. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
