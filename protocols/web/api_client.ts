/**
 * How the web UI reaches data: through the admin API itself, in process (`app.request` on the HTTP
 * app the API is mounted on), with the browser's access token. The API's authentication,
 * throttling, authorization matrix, plan limits, audit log and validation apply to every page
 * exactly as to any API client; the web UI has no other path to the data.
 *
 * An expired access token is refreshed once with the refresh token (concurrent requests of one
 * session share one refresh, so a rotated refresh token is never presented twice); when the
 * refresh fails too, the session has ended (`SessionEnded`).
 *
 * @module
 */
import type { WebTokens } from "./session.ts";

/** Where the admin API is mounted. */
export const API_PREFIX = "/api/v1";

/** Calls the HTTP app in process (Hono's `app.request`). */
export type InProcessFetch = (path: string, init: RequestInit, env: unknown) => Response | Promise<Response>;

/** An RFC 9457 problem as the API answers it. */
export interface ApiProblemBody {
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
}

/** An API answer: status and parsed JSON body (null for none). */
export interface ApiResult<T = unknown> {
  status: number;
  ok: boolean;
  body: T;
  problem: ApiProblemBody | null;
}

/** The login session has ended (revoked, expired, password changed): log in again. */
export class SessionEnded extends Error {
  constructor() {
    super("The session has ended.");
    this.name = "SessionEnded";
  }
}

/** The API answered an error the page does not handle. */
export class ApiFailure extends Error {
  /** The problem details. */
  readonly problem: ApiProblemBody;
  constructor(problem: ApiProblemBody) {
    super(problem.detail ?? problem.title);
    this.name = "ApiFailure";
    this.problem = problem;
  }
}

/** A problem's message for a person: detail plus the offending fields. */
export function problemText(p: ApiProblemBody): string {
  const fields = (p.errors ?? []).map((e) => `${e.pointer.replace(/^json\./, "")}: ${e.detail}`);
  return [p.detail ?? p.title, ...fields].join(" — ");
}

const MAX_SHARED_REFRESHES = 1000;

/** Calls the admin API in process for web requests. */
export class ApiClient {
  readonly #fetch: InProcessFetch;
  /** refresh token → the refresh under way (or just done) with it. */
  readonly #refreshing = new Map<string, { at: number; result: Promise<WebTokens | null> }>();

  /** @param fetch the HTTP app's `request` */
  constructor(fetch: InProcessFetch) {
    this.#fetch = fetch;
  }

  /** One raw call; `token` as Bearer when given; `body` sent as JSON. */
  async raw<T>(
    env: unknown,
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; userAgent?: string } = {},
  ): Promise<ApiResult<T>> {
    const headers = new Headers({ accept: "application/json" });
    if (opts.token !== undefined) headers.set("authorization", `Bearer ${opts.token}`);
    if (opts.userAgent !== undefined) headers.set("user-agent", opts.userAgent.slice(0, 512));
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(opts.body);
    }
    // Marked as the web UI's own call: the plan's API access and allowance are for programs (env.ts).
    const marked = { ...(env as Record<string, unknown> | undefined ?? {}), webUi: true as const };
    const res = await this.#fetch(`${API_PREFIX}${path}`, { method, headers, body }, marked);
    const text = await res.text();
    let parsed: unknown = null;
    if (text.length > 0 && /json/.test(res.headers.get("content-type") ?? "")) parsed = JSON.parse(text);
    const problem = res.ok
      ? null
      : (parsed as ApiProblemBody | null) ?? { title: res.statusText, status: res.status };
    return { status: res.status, ok: res.ok, body: parsed as T, problem };
  }

  /**
   * A call as the logged-in browser. Refreshes the tokens once on 401 (`onRefresh` receives the new
   * ones, to be written to the cookie); throws `SessionEnded` when the session is over.
   */
  async call<T>(
    env: unknown,
    tokens: WebTokens,
    method: string,
    path: string,
    opts: { body?: unknown; userAgent?: string; onRefresh?: (t: WebTokens) => void } = {},
  ): Promise<ApiResult<T>> {
    const first = await this.raw<T>(env, method, path, { ...opts, token: tokens.accessToken });
    if (first.status !== 401) return first;
    const fresh = await this.refresh(env, tokens.refreshToken, opts.userAgent);
    if (!fresh) throw new SessionEnded();
    Object.assign(tokens, fresh);
    opts.onRefresh?.(fresh);
    const second = await this.raw<T>(env, method, path, { ...opts, token: fresh.accessToken });
    if (second.status === 401) throw new SessionEnded();
    return second;
  }

  /** Exchanges a refresh token (once per token, shared by concurrent callers); null when refused. */
  refresh(env: unknown, refreshToken: string, userAgent?: string): Promise<WebTokens | null> {
    const now = Date.now();
    // Kept for a minute: a request that still carries the old cookie gets the same new tokens.
    for (const [k, v] of this.#refreshing) {
      if (now - v.at < 60_000 && this.#refreshing.size < MAX_SHARED_REFRESHES) break;
      this.#refreshing.delete(k);
    }
    const running = this.#refreshing.get(refreshToken);
    if (running) return running.result;
    const p = (async () => {
      const r = await this.raw<{ accessToken: string; refreshToken: string; sessionId: string }>(
        env,
        "POST",
        "/auth/refresh",
        { body: { refreshToken }, ...(userAgent !== undefined ? { userAgent } : {}) },
      );
      if (!r.ok) return null;
      return {
        accessToken: r.body.accessToken,
        refreshToken: r.body.refreshToken,
        sessionId: r.body.sessionId,
      };
    })();
    this.#refreshing.set(refreshToken, { at: now, result: p });
    return p;
  }
}
