/**
 * Bridges `node:http` requests and responses to the Fetch API (`Request` in, `Response` out), so
 * the Hono app is served through `node:http` and `node:https` (which, unlike `Deno.serve`, give
 * per-connection control, can ask for TLS client certificates and swap certificates without
 * re-binding).
 *
 * Request bodies stream with backpressure; a body the app stops reading (a size limit) pauses the
 * socket and the connection is closed after the response. Response bodies stream chunk by chunk
 * (EventSource), and a client that goes away cancels the body, which ends the app's stream.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** What `requestFromNode` produced besides the request. */
export interface NodeRequest {
  /** The Fetch request. */
  request: Request;
  /** True when the app cancelled the body before its end (the connection must close). */
  bodyAbandoned(): boolean;
  /**
   * True when the Host field is not a valid `uri-host [":" port]` (or appears twice): RFC 9112
   * §3.2 requires a 400, and `request` then carries the listener's own authority.
   */
  badHost: boolean;
  /** True when no URL can be made of the request target (RFC 9112 §3.2): a 400. */
  badTarget: boolean;
}

/** RFC 9110 §7.2 Host: uri-host [":" port], uri-host an IP-literal or a reg-name (RFC 3986 §3.2.2). */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/;

const BODYLESS = new Set(["GET", "HEAD"]);
/** Request body bytes buffered ahead of the app before the socket is paused. */
const BODY_HIGH_WATER = 64 * 1024;

/** RFC 9110 §5.1 field-name: a token. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Fetch refuses in a header value (NUL, CR, LF) or cannot hold (beyond a byte). */
const BAD_FIELD_VALUE = /[\0\r\n]|[^\0-\xff]/;

/**
 * The request headers as name/value pairs, repeated fields in the order received. A field Fetch
 * would refuse (e.g. a NUL in the value) is dropped, as Deno.serve's parser would refuse it. Pairs,
 * not a `Headers` object: `new Request` copies a `Headers` init through the generic iterable
 * conversion, about 15 µs a request, a third of building it (issue 24).
 */
function headerPairs(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (FIELD_NAME.test(name) && !BAD_FIELD_VALUE.test(value)) pairs.push([name, value]);
  }
  return pairs;
}

/** Copies the request headers one by one, dropping any Fetch refuses (`headerPairs`' fallback). */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header value Fetch refuses (e.g. NUL): dropped, as Deno.serve's parser would refuse it.
    }
  }
  return headers;
}

/**
 * A pull-based stream over the request body: the socket pauses while the app is not reading. Events
 * after the app cancelled the body (or after its end) are ignored: the controller refuses them, and
 * a throw from an event handler would end the process.
 */
function bodyStream(req: IncomingMessage, onCancel: () => void): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = (how: () => void) => {
        if (done) return;
        done = true;
        try {
          how();
        } catch {
          // already closed or cancelled
        }
      };
      req.on("data", (chunk: Uint8Array) => {
        if (done) return;
        try {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch {
          done = true;
          return;
        }
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => finish(() => controller.close()));
      req.once("error", (err) => finish(() => controller.error(err)));
      // A connection that ends mid-body (a framing error, the client gone) ends the body with an error.
      req.once("close", () => finish(() => controller.error(new Error("the request body was cut short"))));
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      done = true;
      req.pause();
      onCancel();
    },
  }, { highWaterMark: BODY_HIGH_WATER, size: (chunk) => chunk.byteLength });
}

/**
 * The Fetch `Request` of a `node:http` request. `origin` is `http(s)://host:port` of the listener:
 * its scheme is the request's, and it is the authority when the client sent no usable Host header.
 */
export function requestFromNode(req: IncomingMessage, origin: string, signal: AbortSignal): NodeRequest {
  let abandoned = false;
  const method = req.method ?? "GET";
  const host = req.headers.host;
  let badHost = host !== undefined && (!HOST.test(host) || countHost(req) > 1);
  const target = req.url ?? "/";
  const scheme = origin.startsWith("https:") ? "https" : "http";
  let url = host && !badHost ? targetUrl(target, `${scheme}://${host}`) : null;
  if (!url) {
    badHost ||= host !== undefined && host !== "";
    url = targetUrl(target, origin);
  }
  // A target no URL can be made of: the request goes on as "/" and is refused with a 400.
  const badTarget = url === null;
  url ??= new URL("/", origin);
  const init: RequestInit & { duplex?: "half" } = { method, headers: headerPairs(req), signal };
  if (!BODYLESS.has(method)) {
    init.body = bodyStream(req, () => (abandoned = true));
    init.duplex = "half";
  }
  let request: Request;
  try {
    request = new Request(url, init);
  } catch {
    // A field the filter let through and Fetch still refuses: copied one by one instead (the
    // headers are read before the body, so the body stream is still unread).
    init.headers = headersOf(req);
    request = new Request(url, init);
  }
  return { request, bodyAbandoned: () => abandoned, badHost, badTarget };
}

/**
 * The URL of a request target against `base` (`scheme://authority`), or null when none can be made.
 * RFC 9112 §3.2.1: origin-form is an absolute path, and `//x` is one (an empty first segment), so it
 * is appended to the authority; resolving it as a URL reference would read `x` as a host.
 */
function targetUrl(target: string, base: string): URL | null {
  try {
    return target.startsWith("/") ? new URL(base.replace(/\/+$/, "") + target) : new URL(target, base);
  } catch {
    return null;
  }
}

/** How many Host field lines the request has. */
function countHost(req: IncomingMessage): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "host") n++;
  return n;
}

/** Writes a Fetch `Response` to a `node:http` response, streaming its body; resolves when done. */
export async function writeNodeResponse(
  res: ServerResponse,
  response: Response,
  options: { head: boolean; close: boolean },
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (options.close) headers["connection"] = "close";
  const type = headers["content-type"];
  if (!options.head && typeof type === "string" && JSON_TYPE.test(type) && mayHaveBody(response.status)) {
    // A JSON document (every JMAP API answer) is complete when the app returns it: sent with its
    // length in one write, not through a stream reader chunk by chunk after a separate head.
    // `response.body` is not touched first: that turns a body given as a string into a stream,
    // which `arrayBuffer()` then reads through a reader (16 µs instead of 5, issue 24).
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch {
      res.destroy();
      return;
    }
    headers["content-length"] = String(bytes.length);
    delete headers["transfer-encoding"];
    res.writeHead(response.status, response.statusText || undefined, headers);
    await endResponse(res, bytes);
    return;
  }
  res.writeHead(response.status, response.statusText || undefined, headers);
  const body = response.body;
  if (!body || options.head) {
    await body?.cancel().catch(() => {});
    await endResponse(res);
    return;
  }
  // Headers go out at once: an event stream may not write its first event for a while.
  res.flushHeaders();
  const reader = body.getReader();
  let gone = false;
  const onClose = () => {
    // The client went away before the end: cancel the body so the app's stream cleans up.
    if (res.writableFinished) return;
    gone = true;
    reader.cancel().catch(() => {});
  };
  res.once("close", onClose);
  // Gone before the listener was added: "close" has fired already.
  if (res.destroyed) onClose();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone) break;
      // The connection is gone (its "close" may have fired already: no drain will come).
      if (res.destroyed) {
        gone = true;
        await reader.cancel().catch(() => {});
        break;
      }
      if (!res.write(value) && !res.destroyed) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.once("drain", go);
          res.once("close", go);
        });
      }
    }
  } catch {
    // The body failed mid-stream: the response is cut short (the client sees the connection end).
    gone = true;
    res.destroy();
  } finally {
    reader.releaseLock();
  }
  if (!gone) await endResponse(res);
}

/** Ends a response; resolves when it is written, or when the connection is gone (no "finish" then). */
function endResponse(res: ServerResponse, last?: Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.destroyed) return resolve();
    res.once("close", () => resolve());
    if (last) res.end(last, () => resolve());
    else res.end(() => resolve());
  });
}

/** RFC 9110 §6.4.1: 1xx, 204 and 304 responses carry no content (nor a Content-Length for it). */
function mayHaveBody(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/** JSON media types (RFC 8259 §11, and RFC 6839 §3.1 `+json` suffixes such as problem+json). */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * Writes a Fetch `Response` as raw HTTP/1.1 on a socket and ends it: the answer to an upgrade
 * request (WebSocket) that the app refused.
 */
export async function writeRawResponse(socket: Duplex, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const reason = response.statusText || STATUS_TEXT[response.status] || "Error";
  let head = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  for (const [name, value] of response.headers) {
    if (name === "content-length" || name === "transfer-encoding" || name === "connection") continue;
    head += `${name}: ${value.replace(/[\r\n]/g, " ")}\r\n`;
  }
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  await new Promise<void>((resolve) => {
    socket.write(head);
    socket.end(body, () => resolve());
  });
}
