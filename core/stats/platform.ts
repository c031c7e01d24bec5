/**
 * Platform statistics (`GET /api/v1/admin/stats`): accounts, organizations and domains, messages
 * and bytes stored, and deliveries and bounces per UTC day from `Store.dailyCounters` (plus what
 * core/stats/daily.ts has counted but not written yet).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { DailyCount } from "../store/records/daily_counters.ts";
import { DAILY_NAMES, utcDay } from "./daily.ts";

/** One day's counts. */
export interface DayStats {
  day: string;
  deliveredLocal: number;
  deliveredRemote: number;
  deferred: number;
  bounced: number;
}

/** The platform's statistics. */
export interface PlatformStats {
  accounts: number;
  /** Disabled accounts among them. */
  disabledAccounts: number;
  organizations: number;
  domains: number;
  /** Messages stored (each counted once, whatever the number of its mailboxes). */
  messages: number;
  /** Bytes used by the accounts' messages (what quotas count). */
  bytes: number;
  /** The last `days` UTC days, oldest first, today included. */
  days: DayStats[];
}

const DAY_MS = 86_400_000;

/** Computes the statistics for the `days` days ending with `now`'s day. */
export async function platformStats(
  store: Store,
  now: Date,
  days: number,
  pending: DailyCount[] = [],
): Promise<PlatformStats> {
  const accounts = await store.listAccounts();
  let messages = 0;
  let bytes = 0;
  for (const a of accounts) {
    bytes += a.usedBytes;
    messages += (await store.queryMessages(a.id, {})).length;
  }
  const organizations = (await store.organizations.list()).length;
  const domains = (await store.listDomains()).length;
  const to = utcDay(now);
  const from = utcDay(new Date(now.getTime() - (days - 1) * DAY_MS));
  const byDay = new Map<string, DayStats>();
  for (let i = days - 1; i >= 0; i--) {
    const day = utcDay(new Date(now.getTime() - i * DAY_MS));
    byDay.set(day, { day, deliveredLocal: 0, deliveredRemote: 0, deferred: 0, bounced: 0 });
  }
  const field: Record<string, keyof Omit<DayStats, "day">> = {
    [DAILY_NAMES.localDelivered]: "deliveredLocal",
    [DAILY_NAMES.remoteDelivered]: "deliveredRemote",
    [DAILY_NAMES.remoteDeferred]: "deferred",
    [DAILY_NAMES.remoteFailed]: "bounced",
  };
  for (const c of [...await store.dailyCounters.list(from, to), ...pending]) {
    const d = byDay.get(c.day);
    const f = field[c.name];
    if (d && f) d[f] += c.value;
  }
  return {
    accounts: accounts.length,
    disabledAccounts: accounts.filter((a) => a.disabled).length,
    organizations,
    domains,
    messages,
    bytes,
    days: [...byDay.values()],
  };
}
