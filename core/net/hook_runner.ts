/**
 * Runs the connection hooks with their time limit, turning failures into logged rejections, so
 * no hook can crash or stall a listener.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Session } from "../session.ts";
import {
  type ConnectDecision,
  DEFAULT_HOOK_TIMEOUT_MS,
  GENERIC_REJECT_REASON,
  isThenable,
  type ServerHooks,
  withTimeout,
} from "./hooks.ts";

/** Calls `onConnect`; a throw, a malformed answer or a timeout is a rejection with a generic reason. */
export async function runOnConnect(
  hooks: ServerHooks,
  session: Session,
  log: Logger,
): Promise<ConnectDecision> {
  const hook = hooks.onConnect;
  if (!hook) return { allow: true };
  try {
    const decision = await timed(hook.call(hooks, session), hooks, "onConnect hook");
    if (decision?.allow === true) return decision;
    if (decision?.allow === false && typeof decision.reason === "string") return decision;
    log.error("onConnect hook returned an invalid decision");
  } catch (err) {
    log.error("onConnect hook failed", { error: (err as Error)?.message ?? String(err) });
  }
  return { allow: false, reason: GENERIC_REJECT_REASON };
}

/** Calls `onClose`; failures and timeouts are logged. */
export async function runOnClose(hooks: ServerHooks, session: Session, log: Logger): Promise<void> {
  const hook = hooks.onClose;
  if (!hook) return;
  try {
    await timed(hook.call(hooks, session), hooks, "onClose hook");
  } catch (err) {
    log.error("onClose hook failed", { error: (err as Error)?.message ?? String(err) });
  }
}

/**
 * A hook's answer as it is, or, when it is a promise, raced against the hooks' time limit: a hook
 * that answers at once needs no deadline (none could stop synchronous code anyway).
 */
function timed<T>(answer: T | PromiseLike<T>, hooks: ServerHooks, what: string): T | Promise<T> {
  if (!isThenable(answer)) return answer;
  return withTimeout(() => Promise.resolve(answer), hooks.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS, what);
}
