/**
 * The HTTP app (Hono): JMAP session resource, API, upload, download and EventSource push
 * (RFC 8620), with authentication, CORS and `X-Session-Id` on every response. The runtime serves
 * it (core/net/http_listener.ts: `node:http`, or `node:https` for TLS), passing `HttpBindings`
 * and the TLS client certificate facts as `c.env`; tests call `app.request(...)` directly.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { ServerContext } from "../../core/context.ts";
import type { Account } from "../../core/store/types.ts";
import type { Logger } from "../../core/log/logger.ts";
import type { HttpBindings } from "../../core/net/http_bindings.ts";
import { SESSION_ID_HEADER } from "../../core/net/http_bindings.ts";
import type { WebSocketUpgrader } from "../../core/net/https_server.ts";
import { ProblemError, ProblemType } from "./errors.ts";
import { parseRequest } from "./request.ts";
import { checkRequest, processRequest } from "./api.ts";
import { createJmapServices, type JmapServices } from "./services.ts";
import { HttpAuthenticator, WWW_AUTHENTICATE } from "./http_auth.ts";
import { JmapPath, sessionObject, sessionState } from "./session_resource.ts";
import { accessTo, blobReader, sharedAccounts } from "./mailbox_sharing.ts";
import { readBlob } from "./blobs.ts";
import { isMediaType } from "./media_type.ts";
import { uploadBlobId } from "./blob_ids.ts";
import { eventSourceStream, parseEventSourceParams } from "./push.ts";
import { serveJmapWebSocket } from "./websocket.ts";
import { StreamLimits } from "./stream_limits.ts";
import { httpMetrics, mountMetrics } from "../api/routes/metrics.ts";
import { mountHealth } from "../api/routes/health.ts";
import { autoconfigApp } from "../autoconfig/app.ts";
import { readAtMost } from "../../core/net/bounded_body.ts";
import { ATTACHMENT_PATH } from "../../core/webhooks/attachment_urls.ts";
import type { JmapReadPool } from "./read_pool.ts";
import { isReadOnlyRequest } from "./read_methods.ts";

/** Encodes API answers (see the API route). */
const UTF8 = new TextEncoder();

/** Hono environment: runtime bindings (absent under `app.request` in tests) and per-request values. */
export interface JmapEnv {
  Bindings: Partial<HttpBindings> & {
    /** RFC 4514 subject of a client certificate verified against `jmap.client_ca` (mTLS front ends). */
    clientCertSubject?: string;
    /** Why a presented client certificate did not verify (a failed login). */
    clientCertError?: string;
    /** WebSocket upgrade where `Deno.upgradeWebSocket` does not apply (the HTTPS listener). */
    upgradeWebSocket?: WebSocketUpgrader;
  };
  Variables: { account: Account; sessionId: string; log: Logger };
}

function problem(c: Context<JmapEnv>, e: ProblemError): Response {
  return c.newResponse(JSON.stringify(e.toJSON()), e.status as 400, {
    "content-type": "application/problem+json",
  });
}

/** Reads a request body up to `max` bytes; throws ProblemError(limit) beyond. */
async function readBounded(
  req: Request,
  max: number,
  limitName: string,
  status: number,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const tooBig = () =>
    new ProblemError(status, ProblemType.limit, `The body exceeds ${limitName} (${max} octets).`, limitName);
  if (Number.isFinite(declared) && declared > max) throw tooBig();
  // A body the client aborted or framed wrongly (bad chunked encoding) is the client's error.
  const unreadable = () => {
    throw new ProblemError(400, "about:blank", "The request body could not be read.");
  };
  if (Number.isFinite(declared)) {
    // RFC 9112 §6.3: the HTTP engine ends the body at its Content-Length (at most `max`), so it is
    // read in one go rather than chunk by chunk through a reader (a third cheaper, issue 24); the
    // length is checked again for a Request made in process.
    const body = new Uint8Array(await req.arrayBuffer().catch(unreadable));
    if (body.byteLength > max) throw tooBig();
    return body;
  }
  const body = await readAtMost(req.body, max).catch(unreadable);
  if (body === null) throw tooBig();
  return body;
}

/** Per-account counters for the concurrency limits. */
class ConcurrencyLimiter {
  readonly #counts = new Map<string, number>();
  /** @param max concurrent slots per key */
  constructor(readonly max: number) {}

  /** Runs `fn` in a slot, or returns null when the key is at its limit. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T | null> {
    const n = this.#counts.get(key) ?? 0;
    if (n >= this.max) return null;
    this.#counts.set(key, n + 1);
    try {
      return await fn();
    } finally {
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left <= 0) this.#counts.delete(key);
      else this.#counts.set(key, left);
    }
  }
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Options of `createHttpApp`. */
export interface HttpAppOptions {
  /** Worker threads for read-only API requests (read_pool.ts); none: every request on this thread. */
  readPool?: JmapReadPool | null;
}

/** Creates the HTTP app for a server (JMAP; the admin API mounts on it too). */
export function createHttpApp(server: ServerContext, options: HttpAppOptions = {}): Hono<JmapEnv> {
  const readPool = options.readPool ?? null;
  let services: JmapServices | null = null;
  let authenticator: HttpAuthenticator | null = null;
  // The store may open its database lazily; build the services on first use.
  const svc = () => services ??= createJmapServices(server);
  const auth = () => authenticator ??= new HttpAuthenticator(svc());
  const apiLimiter = new ConcurrencyLimiter(server.config.jmap.max_concurrent_requests);
  const uploadLimiter = new ConcurrencyLimiter(server.config.jmap.max_concurrent_upload);
  // Push streams (EventSource, WebSocket) hold a connection each for as long as the client likes.
  const streams = new StreamLimits(() => ({
    perAccount: server.config.jmap.max_streams_per_account,
    perAddress: server.config.jmap.max_streams_per_ip,
  }));
  /** A stream slot for the request's account and address, or a 429 `limit` problem. */
  const streamSlot = (c: Context<JmapEnv>): () => void => {
    const slot = streams.acquire(c.get("account").id, c.env?.session?.remoteAddress ?? "127.0.0.1");
    if ("refused" in slot) {
      const max = slot.refused === "maxStreamsPerAccount"
        ? server.config.jmap.max_streams_per_account
        : server.config.jmap.max_streams_per_ip;
      throw new ProblemError(
        429,
        ProblemType.limit,
        `Too many push streams (${slot.refused} ${max}).`,
        slot.refused,
      );
    }
    return slot.release;
  };

  const app = new Hono<JmapEnv>();

  // tern_http_request_duration_seconds (core/metrics): first, so it times every route.
  app.use(httpMetrics(server));

  // Every response carries the request's session id (also set by the runtime listener).
  app.use(async function sessionId(c, next) {
    const id = c.env?.session?.id ?? crypto.randomUUID();
    c.set("sessionId", id);
    c.set("log", c.env?.log ?? server.log.with({ session_id: id, protocol: "http" }));
    await next();
    c.res.headers.set(SESSION_ID_HEADER, id);
  });

  const origins = server.config.jmap.cors_origins;
  if (origins.length > 0) {
    app.use(cors({
      origin: origins.includes("*") ? "*" : origins,
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Accept"],
      exposeHeaders: [SESSION_ID_HEADER],
      maxAge: 3600,
    }));
  }

  app.onError((err, c) => {
    if (err instanceof ProblemError) return problem(c, err);
    c.get("log")?.error("HTTP request failed", { error: String(err) });
    return problem(c, new ProblemError(500, "about:blank", "Internal server error."));
  });

  app.notFound((c) => problem(c, new ProblemError(404, "about:blank", "Not found.")));

  // Client autoconfiguration (Thunderbird, Outlook, Apple) and the MTA-STS policy, unauthenticated.
  app.route("/", autoconfigApp(server));

  app.get("/health", (c) => c.json({ status: "ok" }));
  // Operations endpoints beside it: Prometheus metrics and the detailed health report.
  mountMetrics(app, server);
  mountHealth(app, server);

  // Webhook payloads' attachment links: the signature in the URL is the authorization (core/webhooks).
  app.get(`${ATTACHMENT_PATH}/*`, (c) => {
    const webhooks = server.webhooks;
    if (!webhooks) return problem(c, new ProblemError(404, "about:blank", "Not found."));
    return webhooks.urls.serve(server.store, new URL(c.req.url), server.clock.now());
  });

  // RFC 8620 §2.2: the well-known URI redirects to the session resource.
  app.get(JmapPath.wellKnown, (c) => c.redirect(JmapPath.session, 307));

  const requireAuth: MiddlewareHandler<JmapEnv> = async function requireAuth(c, next) {
    const session = c.env?.session;
    let headers = c.req.raw.headers;
    const accessToken = c.req.method === "GET" ? c.req.query("access_token") : undefined;
    if (accessToken !== undefined && !headers.has("authorization")) {
      // RFC 6750 §2.3: browsers' EventSource and <a download> cannot send headers.
      headers = new Headers(headers);
      headers.set("authorization", `Bearer ${accessToken}`);
    }
    const outcome = await auth().authenticate({
      headers,
      remoteAddress: session?.remoteAddress ?? "127.0.0.1",
      secure: session?.secure ?? false,
      allowPlaintext: server.config.listeners.http.allow_plaintext_auth,
      ...(c.env?.clientCertSubject !== undefined ? { clientCertSubject: c.env.clientCertSubject } : {}),
      ...(c.env?.clientCertError !== undefined ? { clientCertError: c.env.clientCertError } : {}),
    });
    if (!outcome.ok) {
      c.get("log").info("authentication failed", { detail: outcome.detail });
      const res = problem(c, new ProblemError(outcome.status, "about:blank", outcome.detail));
      // RFC 9110 §11.6.1: a 401 carries the challenge; a 403 (no TLS) is not fixed by credentials.
      if (outcome.status === 401) res.headers.set("WWW-Authenticate", WWW_AUTHENTICATE);
      if (outcome.retryAfterMs !== undefined) {
        res.headers.set("Retry-After", String(Math.ceil(outcome.retryAfterMs / 1000)));
      }
      return res;
    }
    c.env?.setUser?.(outcome.account.address);
    c.set("account", outcome.account);
    c.set("log", c.get("log").with({ username: outcome.account.address }));
    await next();
  };

  const origin = (c: Context<JmapEnv>) => new URL(c.req.url).origin;

  app.get(JmapPath.session, requireAuth, async (c) => {
    c.header("Cache-Control", "no-cache, no-store, must-revalidate");
    const account = c.get("account");
    // RFC 9670: accounts shared with the user are listed beside their own.
    const shared = await sharedAccounts(server.store, account.id);
    return c.json(sessionObject(account, server.config, origin(c), shared));
  });

  app.post(JmapPath.api, requireAuth, async (c) => {
    const account = c.get("account");
    const s = svc();
    const type = c.req.header("content-type") ?? "";
    if (type !== "" && !/^application\/json\b/i.test(type)) {
      throw new ProblemError(400, ProblemType.notJSON, "The request Content-Type must be application/json.");
    }
    const response = await apiLimiter.run(account.id, async () => {
      const body = await readBounded(c.req.raw, s.limits.maxSizeRequest, "maxSizeRequest", 400);
      const request = parseRequest(body, server.config.jmap.max_json_depth);
      checkRequest(request, s);
      const client = { sessionId: c.get("sessionId"), remoteAddress: c.env?.session?.remoteAddress ?? "" };
      // Read-only requests go to a read worker when one is free (issue 24), which works out the
      // session state too; null: run here.
      const pooled = readPool !== null && isReadOnlyRequest(request)
        ? await readPool.run(request, account, client, c.get("log"))
        : null;
      if (pooled !== null) {
        server.metrics?.jmapCalls(request.methodCalls, pooled.responses);
        return { json: pooled.body };
      }
      const state = sessionState(account, server.config, await sharedAccounts(server.store, account.id));
      const result = await processRequest(request, s, account, c.get("log"), state, client);
      // core/metrics: each method call is a command of protocol "jmap".
      server.metrics?.jmapCalls(request.methodCalls, result.methodResponses);
      return { result };
    });
    if (response === null) {
      throw new ProblemError(
        429,
        ProblemType.limit,
        `Too many concurrent requests (maxConcurrentRequests ${s.limits.maxConcurrentRequests}).`,
        "maxConcurrentRequests",
      );
    }
    // A worker's answer is already the Response object's JSON (as c.json would write it).
    if (response.json !== undefined) {
      return c.body(response.json, 200, { "content-type": "application/json" });
    }
    // The same bytes as c.json, made into UTF-8 at once (issue 24): a JSON string held by the
    // Response until the socket write completes outlived young-generation collections under load
    // and was promoted (a third of all promoted bytes), which fed the old-space collections that
    // stalled every request in flight. The bytes live outside the JS heap.
    return c.body(UTF8.encode(JSON.stringify(response.result)), 200, { "content-type": "application/json" });
  });

  const upload = async (c: Context<JmapEnv>) => {
    const account = c.get("account");
    const s = svc();
    // RFC 9670: a user may upload to an account shared with them where they may add ("i"); the
    // upload stays theirs (readBlob), so the owner never sees it.
    const access = await accessTo(server.store, account.id, c.req.param("accountId") ?? "");
    if (!access || (access.rights && ![...access.rights.values()].some((r) => r.includes("i")))) {
      throw new ProblemError(404, "about:blank", "Unknown account.");
    }
    const result = await uploadLimiter.run(account.id, async () => {
      const bytes = await readBounded(c.req.raw, s.limits.maxSizeUpload, "maxSizeUpload", 413);
      const type = (c.req.header("content-type") ?? "application/octet-stream").split(";")[0]!.trim() ||
        "application/octet-stream";
      const { blobId, size } = await server.store.blobs.put(bytes);
      await s.uploads.record(account.id, blobId, type, size, server.clock.now());
      return { accountId: access.accountId, blobId: uploadBlobId(blobId), type, size };
    });
    if (result === null) {
      throw new ProblemError(
        429,
        ProblemType.limit,
        `Too many concurrent uploads (maxConcurrentUpload ${s.limits.maxConcurrentUpload}).`,
        "maxConcurrentUpload",
      );
    }
    return c.json(result, 201);
  };
  // The advertised template ends in "/"; accept the URL without it too.
  app.post(`${JmapPath.upload}/:accountId/`, requireAuth, upload);
  app.post(`${JmapPath.upload}/:accountId`, requireAuth, upload);

  app.get(`${JmapPath.download}/:accountId/:blobId/:name`, requireAuth, async (c) => {
    const account = c.get("account");
    // RFC 9670: an account shared with the user serves the blobs of messages they may read.
    const access = await accessTo(server.store, account.id, c.req.param("accountId"));
    if (!access) throw new ProblemError(404, "about:blank", "Unknown account.");
    const blob = await readBlob(
      svc(),
      access.accountId,
      c.req.param("blobId"),
      blobReader(access, account.id),
    );
    if (!blob) throw new ProblemError(404, "about:blank", "Blob not found.");
    // RFC 8620 §6.2: the client names the Content-Type to send; it must be a media type (a value
    // with CR, LF or NUL would otherwise reach the response header).
    const accept = c.req.query("accept");
    if (accept !== undefined && accept !== "" && !isMediaType(accept)) {
      throw new ProblemError(400, "about:blank", "The type parameter is not a media type (RFC 8620 §6.2).");
    }
    const type = accept || (blob.type ?? "application/octet-stream");
    return c.body(blob.bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": type,
      // Hono has already percent-decoded the name (leaving a malformed escape as it is); decoding
      // again would throw on "%ml" (a 500) and double-decode "%2541".
      "content-disposition": contentDisposition(c.req.param("name")),
      // RFC 8620 §6.2: blobs are immutable.
      "cache-control": "private, immutable, max-age=31536000",
    });
  });

  app.get(JmapPath.eventSource, requireAuth, (c) => {
    const params = parseEventSourceParams(new URL(c.req.url));
    if (!params) throw new ProblemError(400, "about:blank", "Bad types, closeafter or ping.");
    // The stream ends through cancel() when the client goes away (request.signal is not used:
    // Deno.serve's legacy behaviour aborts it once the response starts).
    const signals = c.env?.shutdown ? [c.env.shutdown] : [];
    const release = streamSlot(c);
    const body = eventSourceStream(svc(), c.get("account").id, params, signals, release);
    return c.body(body, 200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    });
  });

  // RFC 8887: JMAP over WebSocket (subprotocol "jmap"): the listener's upgrade (its node:http(s)
  // engine), or Deno's own when an embedding program serves the app with `Deno.serve`.
  app.get(JmapPath.webSocket, requireAuth, async (c) => {
    const shared = await sharedAccounts(server.store, c.get("account").id);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ProblemError(426, "about:blank", "This endpoint speaks WebSocket only.");
    }
    const protocols = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    if (!protocols.includes("jmap")) {
      throw new ProblemError(400, "about:blank", 'The "jmap" subprotocol is required.');
    }
    const upgrade = c.env?.upgradeWebSocket ?? Deno.upgradeWebSocket;
    const release = streamSlot(c);
    let upgraded: ReturnType<typeof upgrade>;
    try {
      upgraded = upgrade(c.req.raw, { protocol: "jmap" });
    } catch (err) {
      release();
      throw err;
    }
    const { socket, response } = upgraded;
    const account = c.get("account");
    serveJmapWebSocket(
      socket,
      svc(),
      account,
      c.get("log"),
      sessionState(account, server.config, shared),
      { sessionId: c.get("sessionId"), remoteAddress: c.env?.session?.remoteAddress ?? "" },
      c.env?.shutdown,
      release,
    );
    return response;
  });

  return app;
}
