/**
 * Queue metrics in core: counters of recipients queued, deferred, delivered and failed, DSNs sent,
 * attempts, and a per-attempt latency histogram, ready for a metrics endpoint (Prometheus text).
 *
 * @module
 */

/** Histogram bucket upper bounds in milliseconds. */
export const LATENCY_BUCKETS_MS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] as const;

/** A snapshot of the counters. */
export interface QueueMetricsSnapshot {
  queued: number;
  deferred: number;
  delivered: number;
  failed: number;
  dsnSent: number;
  attempts: number;
  latency: { buckets: { le: number; count: number }[]; count: number; sumMs: number };
}

/** Counters of one queue (monotonic since start). */
export class QueueMetrics {
  queued = 0;
  deferred = 0;
  delivered = 0;
  failed = 0;
  dsnSent = 0;
  attempts = 0;
  #buckets = LATENCY_BUCKETS_MS.map(() => 0);
  #latencyCount = 0;
  #latencySum = 0;

  /** Records one attempt's latency (connect to final reply). */
  observeAttempt(ms: number): void {
    this.attempts++;
    this.#latencyCount++;
    this.#latencySum += ms;
    LATENCY_BUCKETS_MS.forEach((le, i) => {
      if (ms <= le) this.#buckets[i]!++;
    });
  }

  /** Current values. */
  snapshot(): QueueMetricsSnapshot {
    return {
      queued: this.queued,
      deferred: this.deferred,
      delivered: this.delivered,
      failed: this.failed,
      dsnSent: this.dsnSent,
      attempts: this.attempts,
      latency: {
        buckets: LATENCY_BUCKETS_MS.map((le, i) => ({ le, count: this.#buckets[i]! })),
        count: this.#latencyCount,
        sumMs: this.#latencySum,
      },
    };
  }

  /** Prometheus text exposition format. */
  toPrometheus(): string {
    const s = this.snapshot();
    const lines = [
      "# TYPE tern_queue_recipients_total counter",
      `tern_queue_recipients_total{event="queued"} ${s.queued}`,
      `tern_queue_recipients_total{event="deferred"} ${s.deferred}`,
      `tern_queue_recipients_total{event="delivered"} ${s.delivered}`,
      `tern_queue_recipients_total{event="failed"} ${s.failed}`,
      "# TYPE tern_queue_dsn_total counter",
      `tern_queue_dsn_total ${s.dsnSent}`,
      "# TYPE tern_queue_attempt_seconds histogram",
      ...s.latency.buckets.map((b) => `tern_queue_attempt_seconds_bucket{le="${b.le / 1000}"} ${b.count}`),
      `tern_queue_attempt_seconds_bucket{le="+Inf"} ${s.latency.count}`,
      `tern_queue_attempt_seconds_sum ${s.latency.sumMs / 1000}`,
      `tern_queue_attempt_seconds_count ${s.latency.count}`,
    ];
    return lines.join("\n") + "\n";
  }
}
