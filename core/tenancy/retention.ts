/**
 * The retention job (issue 16): messages older than their plan's retention are expunged in batches
 * through the store's own `expunge`, so IMAP sessions see EXPUNGE (or VANISHED) and JMAP clients
 * see destroyed Emails like any other expunge. A mailbox's retention is the plan's
 * `mailboxRetention` for its role (`trash`, `junk`…) or its top-level name, else
 * `limits.retentionDays`; none means kept. Age is the message's received time against the clock
 * of record. Each pass logs what it removed, per mailbox and in total.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Plan } from "../store/records/plans.ts";
import type { Store } from "../store/store.ts";
import type { Mailbox } from "../store/types.ts";
import { tenancyOf } from "./policy.ts";

/** Default interval between passes: one hour. */
export const RETENTION_INTERVAL_MS = 3_600_000;

/** Expunged per store call (one commit each), so a big backlog never holds the writer long. */
export const RETENTION_BATCH = 500;

const DAY_MS = 86_400_000;

/** What the job needs (a `ServerContext` fits). */
export interface RetentionServer {
  store: Store;
  clock: Clock;
  log: Logger;
}

/** The retention of a mailbox under a plan, in days, or null to keep everything. */
export function retentionDays(
  plan: Plan,
  mailbox: Pick<Mailbox, "role" | "name" | "parentId">,
): number | null {
  const boxes = plan.mailboxRetention;
  if (mailbox.role && boxes[mailbox.role] !== undefined) return boxes[mailbox.role]!;
  const name = mailbox.name.toLowerCase();
  if (mailbox.parentId === null && boxes[name] !== undefined) return boxes[name]!;
  return plan.limits.retentionDays;
}

/** One pass over every organization whose plan has a retention. Returns how many messages went. */
export async function runRetention(
  server: RetentionServer,
  opts: { batchSize?: number } = {},
): Promise<{ expunged: number; mailboxes: number }> {
  const { store, clock, log } = server;
  const policy = tenancyOf(server);
  const batch = Math.max(1, opts.batchSize ?? RETENTION_BATCH);
  const now = clock.now().getTime();
  let expunged = 0;
  let mailboxes = 0;
  const plans = new Map<string, Plan>();
  for (const org of await store.organizations.list()) {
    const plan = await policy.planOfOrg(org.id);
    if (plan && (plan.limits.retentionDays !== null || Object.keys(plan.mailboxRetention).length > 0)) {
      plans.set(org.id, plan);
    }
  }
  if (plans.size === 0) return { expunged, mailboxes };
  for (const account of await store.listAccounts()) {
    const { orgId } = await policy.planOf(account);
    const plan = plans.get(orgId);
    if (!plan) continue;
    for (const mailbox of await store.listMailboxes(account.id)) {
      const days = retentionDays(plan, mailbox);
      if (days === null) continue;
      const cutoff = now - days * DAY_MS;
      const old = (await store.listPlacements(account.id, mailbox.id))
        .filter((p) => p.receivedAt.getTime() < cutoff)
        .map((p) => p.uid);
      if (old.length === 0) continue;
      let removed = 0;
      for (let i = 0; i < old.length; i += batch) {
        removed += (await store.expunge(account.id, mailbox.id, old.slice(i, i + batch))).uids.length;
      }
      log.info("retention expunged", {
        org: orgId,
        account_id: account.id,
        mailbox_id: mailbox.id,
        retention_days: days,
        expunged: removed,
      });
      expunged += removed;
      mailboxes++;
    }
  }
  log.info("retention pass", { expunged, mailboxes });
  return { expunged, mailboxes };
}

/** Handle of the running job. */
export interface RetentionJob {
  /** Runs one pass now (also what the timer runs); a pass already running is shared. */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/** Starts the job every `intervalMs`; the first pass runs after one interval. */
export function startRetention(server: RetentionServer, intervalMs = RETENTION_INTERVAL_MS): RetentionJob {
  let running: Promise<void> | null = null;
  const runOnce = (): Promise<void> => {
    running ??= (async () => {
      try {
        await runRetention(server);
      } catch (err) {
        server.log.error("retention pass failed", {
          error: err instanceof Error ? err.message : String(err),
        });
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  Deno.unrefTimer(timer);
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
