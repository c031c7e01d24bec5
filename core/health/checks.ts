/**
 * The component checks behind `GET /health/detailed` and the periodic history (core/health/monitor.ts):
 * the store (PostgreSQL when that is the backend), blob storage, the outbound queue's backlog and
 * oldest entry, free disk in `data_dir`, certificate expiry and the DNS resolver. Each answers
 * healthy, degraded (still serving, needs attention) or down, with how long it took; a check that
 * throws or takes longer than its time limit is down. The report's status is the worst of them.
 *
 * @module
 */
import { statfs } from "node:fs/promises";
import { X509Certificate } from "node:crypto";
import type { Config, ListenerName } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Store } from "../store/store.ts";
import type { DnsResolver } from "../dns/resolver.ts";
import type { ComponentResult, HealthCheckRecord, HealthStatus } from "../store/records/health_checks.ts";
import { readQueue } from "../metrics/registry.ts";
import { healthSettings } from "./settings.ts";

export type { ComponentResult, HealthCheckRecord, HealthStatus };

/** What the checks look at. */
export interface HealthDeps {
  config: Config;
  store: Store;
  clock: Clock;
  /** The resolver the queue uses (static records in tests). */
  dns: DnsResolver;
  /** The PEM certificate (leaf first) of each listener that has TLS. */
  certificates: () => { listener: string; pem: string }[];
}

/** One component check: its verdict and a short explanation (the runner times it). */
export interface ComponentCheck {
  name: string;
  run(): Promise<{ status: HealthStatus; detail: string }>;
}

/** Milliseconds a check may take before it counts as down. */
export const CHECK_TIMEOUT_MS = 5_000;
/** A check slower than this is degraded. */
export const SLOW_MS = 1_000;

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, down: 2 };

/** The worse of two states. */
export function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").slice(0, 200);
}

/** The store answers a read (on PostgreSQL this is the database round trip). */
export function storeCheck(deps: HealthDeps): ComponentCheck {
  return {
    name: deps.config.store?.backend === "postgres" ? "postgresql" : "store",
    async run() {
      const domains = await deps.store.listDomains();
      return { status: "healthy", detail: `${domains.length} domain(s)` };
    },
  };
}

/** Blob storage takes a write, gives it back and lets it be removed (a probe file in `<data_dir>/blobs`). */
export function blobCheck(deps: HealthDeps): ComponentCheck {
  return {
    name: "blobs",
    async run() {
      const dir = `${deps.config.data_dir}/blobs`;
      await Deno.mkdir(dir, { recursive: true });
      const probe = `${dir}/.health-${crypto.randomUUID()}`;
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      try {
        await Deno.writeFile(probe, bytes);
        const back = await Deno.readFile(probe);
        if (back.length !== bytes.length || back.some((b, i) => b !== bytes[i])) {
          return { status: "down", detail: "a written blob read back differently" };
        }
      } finally {
        await Deno.remove(probe).catch(() => {});
      }
      return { status: "healthy", detail: "write, read and remove succeeded" };
    },
  };
}

/** The outbound queue's backlog and the age of its oldest entry against `[health]` limits. */
export function queueCheck(deps: HealthDeps): ComponentCheck {
  return {
    name: "queue",
    async run() {
      const s = healthSettings(deps.config);
      const q = await readQueue(deps);
      const detail = `${q.messages} message(s), ${q.pending} recipient(s) pending, oldest ${
        Math.round(q.oldestAgeSeconds)
      } s`;
      const late = q.messages > s.queue_backlog_max || q.oldestAgeSeconds > s.queue_age_max;
      return { status: late ? "degraded" : "healthy", detail };
    },
  };
}

/** Free disk space where `data_dir` lives: degraded under `disk_free_min_mb`, down under a tenth of it. */
export function diskCheck(deps: HealthDeps): ComponentCheck {
  return {
    name: "disk",
    async run() {
      const min = healthSettings(deps.config).disk_free_min_mb;
      const fs = await statfs(deps.config.data_dir);
      const freeMb = Math.floor((Number(fs.bavail) * Number(fs.bsize)) / MIB);
      const status: HealthStatus = freeMb < min / 10 ? "down" : freeMb < min ? "degraded" : "healthy";
      return { status, detail: `${freeMb} MiB free` };
    },
  };
}

/** Every listener certificate: expired is down, within `cert_warn_days` of its end degraded. */
export function certificateCheck(deps: HealthDeps): ComponentCheck {
  return {
    name: "certificates",
    run() {
      const warnDays = healthSettings(deps.config).cert_warn_days;
      const now = deps.clock.now().getTime();
      const seen = new Map<string, string[]>();
      for (const { listener, pem } of deps.certificates()) {
        const names = seen.get(pem) ?? [];
        names.push(listener);
        seen.set(pem, names);
      }
      if (seen.size === 0) return Promise.resolve({ status: "healthy", detail: "no TLS listener" });
      let status: HealthStatus = "healthy";
      const parts: string[] = [];
      for (const [pem, listeners] of seen) {
        const notAfter = Date.parse(new X509Certificate(pem).validTo);
        const days = Math.floor((notAfter - now) / DAY_MS);
        const s: HealthStatus = notAfter <= now ? "down" : days < warnDays ? "degraded" : "healthy";
        status = worst(status, s);
        parts.push(
          `${listeners.join(",")}: ${notAfter <= now ? "expired" : "expires"} ${
            new Date(notAfter).toISOString()
          }`,
        );
      }
      return Promise.resolve({ status, detail: parts.join("; ") });
    },
  };
}

/** The resolver answers for the server's own host name (no records is an answer too). */
export function dnsCheck(deps: HealthDeps): ComponentCheck {
  return {
    name: "dns",
    async run() {
      const addresses = await deps.dns.addresses(deps.config.hostname);
      return { status: "healthy", detail: `${deps.config.hostname}: ${addresses.length} address(es)` };
    },
  };
}

/** The default checks, in report order. */
export function defaultChecks(deps: HealthDeps): ComponentCheck[] {
  return [
    storeCheck(deps),
    blobCheck(deps),
    queueCheck(deps),
    diskCheck(deps),
    certificateCheck(deps),
    dnsCheck(deps),
  ];
}

/** Runs one check with its time limit; a throw or timeout is down, a slow answer at best degraded. */
export async function runCheck(
  check: ComponentCheck,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<ComponentResult> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let verdict: { status: HealthStatus; detail: string };
  try {
    verdict = await Promise.race([
      check.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    verdict = { status: "down", detail: message(err) };
  } finally {
    clearTimeout(timer);
  }
  const responseMs = Math.round((performance.now() - started) * 100) / 100;
  const status = responseMs > SLOW_MS ? worst(verdict.status, "degraded") : verdict.status;
  return { name: check.name, status, responseMs, detail: verdict.detail };
}

/** Runs every check concurrently; the report's status is the worst component's. */
export async function runChecks(checks: ComponentCheck[], clock: Clock): Promise<HealthCheckRecord> {
  const checkedAt = clock.now();
  const components = await Promise.all(checks.map((c) => runCheck(c)));
  const status = components.reduce<HealthStatus>((s, c) => worst(s, c.status), "healthy");
  return { checkedAt, status, components };
}

/** The PEM certificate of every enabled TLS listener (for `certificateCheck`). */
export function listenerCertificates(
  config: Config,
  tls: { forListener(name: ListenerName): { material(): { cert: string } } | null },
): { listener: string; pem: string }[] {
  const out: { listener: string; pem: string }[] = [];
  for (const [name, l] of Object.entries(config.listeners) as [ListenerName, { enabled: boolean }][]) {
    if (!l.enabled) continue;
    const source = tls.forListener(name);
    if (source) out.push({ listener: name, pem: source.material().cert });
  }
  return out;
}
