/**
 * `GET /metrics` (Prometheus text exposition format 0.0.4) on the HTTP listener, outside `/api/v1`
 * where Prometheus looks for it, protected by `[metrics] token` when one is set; and the middleware
 * that times every HTTP request (JMAP and the admin API) for `tern_http_request_duration_seconds`.
 *
 * @module
 */
import type { Env, Hono, MiddlewareHandler } from "hono";
import type { ServerContext } from "../../../core/context.ts";
import { METRICS_CONTENT_TYPE } from "../../../core/metrics/registry.ts";
import { METRICS_CHALLENGE, metricsAuthorized } from "../../../core/metrics/token.ts";

/** Path of the metrics endpoint. */
export const METRICS_PATH = "/metrics";

/**
 * Times each request and records it under its matched route pattern (never the raw path, so the
 * label set stays bounded). Register it before every route.
 */
export function httpMetrics(server: ServerContext): MiddlewareHandler {
  return async function httpMetrics(c, next) {
    const metrics = server.metrics;
    if (!metrics) return await next();
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.observeHttp(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
    }
  };
}

/** A plain-text refusal (Prometheus shows the body of a failed scrape). */
function refusal(status: 401 | 404, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/**
 * Answers a request for an operations endpoint guarded by `[metrics] token`: null when it may go on,
 * else the 401 (RFC 6750 §3 challenge).
 */
export function metricsGuard(server: ServerContext, authorization: string | null): Response | null {
  if (metricsAuthorized(server.config.metrics?.token, authorization)) return null;
  return refusal(401, "A valid bearer token is required.", { "WWW-Authenticate": METRICS_CHALLENGE });
}

/** Mounts `GET /metrics` on the HTTP app. */
export function mountMetrics<E extends Env>(http: Hono<E>, server: ServerContext): void {
  http.get(METRICS_PATH, async (c) => {
    const denied = metricsGuard(server, c.req.header("authorization") ?? null);
    if (denied) return denied;
    if (!server.metrics) return refusal(404, "Metrics are not collected by this server.");
    return new Response(await server.metrics.render(), {
      status: 200,
      headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" },
    });
  });
}
