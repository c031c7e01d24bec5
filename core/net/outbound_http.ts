/**
 * The SSRF-guarded outbound HTTP client: the only way Tern makes HTTP requests to addresses that users
 * or tenants chose (webhooks, Web Push endpoints).
 *
 * - The host is resolved through the `DnsResolver` (core/dns/resolver.ts), every address is
 *   classified, and the connection is made to a checked IP literal (no second lookup that DNS
 *   rebinding could answer differently). The socket's actual remote address is checked again once
 *   connected.
 * - Refused by default: loopback, private (RFC 1918, RFC 4193), link-local, multicast, unspecified,
 *   broadcast, carrier-grade NAT, reserved and other special-purpose ranges; only global unicast is
 *   allowed, plus the operator's `allowPrivate` CIDR blocks (`[outbound_http] allow_private`).
 * - HTTP/1.1 (RFC 9112) over TCP or TLS (the certificate is verified for the URL's host name), a
 *   deadline for the whole exchange, a cap on the response head and body, and redirects followed
 *   only when asked, each hop through the same guard. One request per connection
 *   (`Connection: close`) unless `keepAliveMs` is set: then a connection whose response was read to
 *   its end is kept idle that long for the next request to the same checked address and host
 *   (RFC 9112 §9.3), and a request that finds it closed by the server is sent on a new one.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type { DnsResolver } from "../dns/resolver.ts";

/** What the operator allows and how long and how much an exchange may take. */
export interface OutboundHttpPolicy {
  /** CIDR blocks allowed although not global unicast (e.g. `["127.0.0.0/8"]` for tests). */
  allowPrivate: string[];
  /** Milliseconds to establish the connection (TCP and TLS). */
  connectTimeoutMs: number;
  /** Milliseconds for the whole exchange, connection included. */
  timeoutMs: number;
  /** Most response body bytes read; the rest is dropped and the response marked truncated. */
  maxResponseBytes: number;
  /** Extra trusted CA certificates (PEM) for HTTPS targets (tests with a private CA). */
  caCerts?: string[];
  /** Milliseconds an idle connection is kept for reuse (0: one request per connection). */
  keepAliveMs?: number;
}

/** Defaults: no private targets, 5 s to connect, 15 s in all, 64 KiB of response body. */
export const DEFAULT_OUTBOUND_HTTP_POLICY: OutboundHttpPolicy = {
  allowPrivate: [],
  connectTimeoutMs: 5_000,
  timeoutMs: 15_000,
  maxResponseBytes: 64 * 1024,
};

/** Why a request was refused before or while connecting (never sent). */
export type RefusalReason = "scheme" | "url" | "address" | "no-address" | "redirect";

/** The target is not allowed (SSRF guard) or the URL is unusable: nothing was sent. */
export class OutboundHttpRefused extends Error {
  override name = "OutboundHttpRefused";
  /** @param reason machine-readable cause; @param message human-readable detail */
  constructor(readonly reason: RefusalReason, message: string) {
    super(message);
  }
}

/** The exchange failed (connection, TLS, timeout, malformed response): the request may have been sent. */
export class OutboundHttpError extends Error {
  override name = "OutboundHttpError";
}

/** One request. */
export interface OutboundRequest {
  url: string;
  /** Default "POST" when there is a body, else "GET". */
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Redirects (301, 302, 303, 307, 308) to follow, each through the guard; default 0 (return the 3xx). */
  maxRedirects?: number;
}

/** A response (status, headers, body up to the cap). */
export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** True when the body was longer than `maxResponseBytes` and was cut. */
  truncated: boolean;
  /** The IP address actually connected to. */
  remoteAddress: string;
  /** The URL that answered (after redirects). */
  url: string;
}

/** A parsed CIDR allow-list entry. */
type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseAllowList(list: string[]): Cidr[] {
  return list.map((
    c,
  ) => (c.includes("/") ? ipaddr.parseCIDR(c) : ipaddr.parseCIDR(`${c}/${c.includes(":") ? 128 : 32}`)));
}

/**
 * Classifies an address: `null` when a request may go there, else the name of the special range
 * that refuses it (e.g. "loopback", "private", "linkLocal"). IPv4-mapped IPv6 addresses are judged
 * as the IPv4 address they carry.
 */
export function refusedRange(address: string, allowPrivate: string[] = []): string | null {
  return refusedBy(address, parseAllowList(allowPrivate));
}

/** `refusedRange` over an allow-list parsed once. */
function refusedBy(address: string, allow: Cidr[]): string | null {
  if (!ipaddr.isValid(address)) return "invalid";
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  }
  for (const [net, bits] of allow) {
    if (net.kind() === ip.kind() && ip.match([net, bits] as never)) return null;
  }
  const range = ip.range();
  return range === "unicast" ? null : range;
}

/** A target after URL checks. */
interface Target {
  url: URL;
  tls: boolean;
  host: string;
  port: number;
}

function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundHttpRefused("url", `not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundHttpRefused("scheme", `scheme ${url.protocol} is not http: or https:`);
  }
  if (url.username || url.password) {
    throw new OutboundHttpRefused("url", "URLs with credentials are not allowed");
  }
  const tls = url.protocol === "https:";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  return { url, tls, host, port };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_HEAD = 16 * 1024;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** An idle kept-alive connection. */
interface IdleConn {
  conn: Deno.Conn;
  timer: ReturnType<typeof setTimeout>;
}

/** A kept-alive connection the server had closed: the request is sent again on a new one. */
class StaleConnection extends Error {}

/** Idle connections kept per address and host at most. */
const MAX_IDLE_PER_TARGET = 8;

/**
 * The guarded client. One instance per server; with `keepAliveMs` it keeps idle connections, which
 * `close()` releases.
 */
export class OutboundHttpClient {
  readonly #resolver: DnsResolver;
  readonly #policy: OutboundHttpPolicy;
  readonly #allow: Cidr[];
  readonly #idle = new Map<string, IdleConn[]>();
  #closed = false;

  /** @param resolver resolves target host names; @param policy allow-list, timeouts and caps */
  constructor(resolver: DnsResolver, policy: Partial<OutboundHttpPolicy> = {}) {
    this.#resolver = resolver;
    this.#policy = { ...DEFAULT_OUTBOUND_HTTP_POLICY, ...policy };
    this.#allow = parseAllowList(this.#policy.allowPrivate); // fails early on a bad entry
  }

  /** The policy in force. */
  get policy(): Readonly<OutboundHttpPolicy> {
    return this.#policy;
  }

  /** Closes the idle connections; later responses are not kept. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) {
      for (const idle of list) {
        clearTimeout(idle.timer);
        tryClose(idle.conn);
      }
    }
    this.#idle.clear();
  }

  #take(key: string): Deno.Conn | null {
    const idle = this.#idle.get(key)?.pop();
    if (!idle) return null;
    clearTimeout(idle.timer);
    return idle.conn;
  }

  #keep(key: string, conn: Deno.Conn): void {
    const list = this.#idle.get(key) ?? [];
    if (this.#closed || list.length >= MAX_IDLE_PER_TARGET) return tryClose(conn);
    const idle: IdleConn = {
      conn,
      timer: setTimeout(() => {
        const l = this.#idle.get(key);
        if (l) {
          const i = l.indexOf(idle);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) this.#idle.delete(key);
        }
        tryClose(conn);
      }, this.#policy.keepAliveMs ?? 0),
    };
    // An idle connection does not keep the process alive.
    Deno.unrefTimer(idle.timer as unknown as number);
    list.push(idle);
    this.#idle.set(key, list);
  }

  /**
   * The addresses a URL's host may be connected to (checked; refused ones left out). Throws
   * OutboundHttpRefused when the URL is unusable or no address is allowed.
   */
  async checkTarget(rawUrl: string): Promise<string[]> {
    return (await this.#addresses(parseTarget(rawUrl))).map((a) => a.ip);
  }

  async #addresses(t: Target): Promise<{ ip: string; port: number }[]> {
    let candidates: { ip: string; port: number }[];
    if (ipaddr.isValid(t.host)) {
      candidates = [{ ip: t.host, port: t.port }];
    } else {
      let answers: string[];
      try {
        answers = await this.#resolver.addresses(t.host);
      } catch (e) {
        throw new OutboundHttpError(`cannot resolve ${t.host}: ${(e as Error).message}`);
      }
      candidates = answers.map((a) => {
        // A static test resolver may answer "ip:port" (IPv4 only; IPv6 answers carry no port).
        const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(a);
        return m ? { ip: m[1]!, port: Number(m[2]) } : { ip: a, port: t.port };
      });
    }
    if (candidates.length === 0) throw new OutboundHttpRefused("no-address", `${t.host} has no address`);
    const allowed = candidates.filter((c) => refusedBy(c.ip, this.#allow) === null);
    if (allowed.length === 0) {
      const why = refusedBy(candidates[0]!.ip, this.#allow);
      throw new OutboundHttpRefused(
        "address",
        `${t.host} resolves to ${candidates[0]!.ip} (${why}), which outbound HTTP may not reach`,
      );
    }
    return allowed;
  }

  /** Sends one request and reads the response (following redirects only when asked). */
  async request(req: OutboundRequest): Promise<OutboundResponse> {
    const deadline = Date.now() + this.#policy.timeoutMs;
    let url = req.url;
    let method = req.method ?? (req.body !== undefined ? "POST" : "GET");
    let body = req.body;
    for (let hop = 0;; hop++) {
      const res = await this.#once(parseTarget(url), method, req.headers ?? {}, body, deadline);
      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || location === null || hop >= (req.maxRedirects ?? 0)) return res;
      let next: string;
      try {
        next = new URL(location, url).href;
      } catch {
        return res;
      }
      try {
        parseTarget(next);
      } catch (e) {
        throw new OutboundHttpRefused("redirect", `redirect refused: ${(e as Error).message}`);
      }
      url = next;
      // RFC 9110 §15.4.4: 303 turns into GET; 301/302 after POST do so in practice too.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
    }
  }

  async #once(
    t: Target,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | string | undefined,
    deadline: number,
  ): Promise<OutboundResponse> {
    const addresses = await this.#addresses(t);
    let lastError: unknown;
    for (const addr of addresses) {
      // A kept connection to this checked address for this host (and TLS name).
      const key = `${t.tls ? "https" : "http"}|${addr.ip}|${addr.port}|${t.host}`;
      const kept = this.#take(key);
      if (kept) {
        try {
          return await this.#exchange(kept, key, true, t, addr.ip, method, headers, body, deadline);
        } catch (e) {
          if (!(e instanceof StaleConnection)) throw e;
        }
      }
      let conn: Deno.Conn;
      try {
        conn = await this.#connect(t, addr, deadline);
      } catch (e) {
        if (e instanceof OutboundHttpRefused) throw e;
        lastError = e;
        continue;
      }
      return await this.#exchange(conn, key, false, t, addr.ip, method, headers, body, deadline);
    }
    throw new OutboundHttpError(`cannot connect to ${t.host}: ${(lastError as Error)?.message ?? lastError}`);
  }

  async #connect(t: Target, addr: { ip: string; port: number }, deadline: number): Promise<Deno.Conn> {
    const limit = Math.min(this.#policy.connectTimeoutMs, deadline - Date.now());
    const work = (async () => {
      const tcp = await Deno.connect({ hostname: addr.ip, port: addr.port });
      // Check the address actually connected to, not only the name's answer.
      const remote = (tcp.remoteAddr as Deno.NetAddr).hostname;
      const why = refusedBy(remote, this.#allow);
      if (why !== null) {
        tcp.close();
        throw new OutboundHttpRefused("address", `connected to ${remote} (${why}), which is not allowed`);
      }
      if (!t.tls) return tcp as Deno.Conn;
      return await Deno.startTls(tcp, { hostname: t.host, caCerts: this.#policy.caCerts });
    })();
    return await withTimeout(work, limit, `connecting to ${t.host} timed out`, (c) => c.close());
  }

  async #exchange(
    conn: Deno.Conn,
    key: string,
    reused: boolean,
    t: Target,
    remoteAddress: string,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | string | undefined,
    deadline: number,
  ): Promise<OutboundResponse> {
    const timer = setTimeout(() => tryClose(conn), Math.max(0, deadline - Date.now()));
    const keepAlive = (this.#policy.keepAliveMs ?? 0) > 0;
    const reader = new ConnReader(conn);
    let reusable = false;
    try {
      const payload = typeof body === "string" ? ENCODER.encode(body) : body;
      await writeAll(conn, ENCODER.encode(requestHead(t, method, headers, payload, keepAlive)));
      if (payload && payload.length > 0) await writeAll(conn, payload);
      for (;;) {
        const { status, headers: resHeaders, http11 } = await readHead(reader);
        // RFC 9110 §15.2: interim 1xx responses precede the final one.
        if (status >= 100 && status < 200) continue;
        const { bytes, truncated, complete } = await readBody(
          reader,
          method,
          status,
          resHeaders,
          this.#policy.maxResponseBytes,
        );
        // RFC 9112 §9.3: persistent unless either side said close (or HTTP/1.0); only a response
        // read exactly to its end leaves the connection usable.
        reusable = keepAlive && http11 && complete && !truncated && reader.buffered.length === 0 &&
          !/(?:^|,)\s*close\s*(?:,|$)/i.test(resHeaders.get("connection") ?? "");
        return { status, headers: resHeaders, body: bytes, truncated, remoteAddress, url: t.url.href };
      }
    } catch (e) {
      // A kept connection the server closed meanwhile: nothing came back, send it again anew.
      if (reused && reader.received === 0 && Date.now() < deadline) throw new StaleConnection();
      if (Date.now() >= deadline) throw new OutboundHttpError(`request to ${t.host} timed out`);
      if (e instanceof OutboundHttpError) throw e;
      throw new OutboundHttpError(`request to ${t.host} failed: ${(e as Error).message ?? e}`);
    } finally {
      clearTimeout(timer);
      if (reusable) this.#keep(key, conn);
      else tryClose(conn);
    }
  }
}

function tryClose(c: Deno.Conn): void {
  try {
    c.close();
  } catch { /* already closed */ }
}

async function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  message: string,
  dispose: (v: T) => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new OutboundHttpError(message));
    }, Math.max(0, ms));
  });
  // A connection that completes after the timeout is closed, not leaked.
  p.then((v) => timedOut && dispose(v), () => {});
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function requestHead(
  t: Target,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
  keepAlive: boolean,
): string {
  if (!TOKEN.test(method)) throw new OutboundHttpRefused("url", `invalid method ${JSON.stringify(method)}`);
  const defaultPort = t.tls ? 443 : 80;
  const hostHeader = (t.host.includes(":") ? `[${t.host}]` : t.host) +
    (t.port === defaultPort ? "" : `:${t.port}`);
  // RFC 9112 §3.2: origin-form request target and a Host header.
  const lines = [`${method} ${t.url.pathname}${t.url.search} HTTP/1.1`, `Host: ${hostHeader}`];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) {
      throw new OutboundHttpRefused("url", `invalid header ${JSON.stringify(name)}`);
    }
    if (
      lower === "host" || lower === "content-length" || lower === "connection" ||
      lower === "transfer-encoding"
    ) {
      continue;
    }
    seen.add(lower);
    lines.push(`${name}: ${value}`);
  }
  if (!seen.has("user-agent")) lines.push("User-Agent: Tern");
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  if (!keepAlive) lines.push("Connection: close");
  return lines.join("\r\n") + "\r\n\r\n";
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Buffered reads from a connection. */
class ConnReader {
  #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #eof = false;
  /** Bytes read from the connection so far. */
  received = 0;
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  get buffered(): Uint8Array {
    return this.#buf;
  }
  get eof(): boolean {
    return this.#eof;
  }
  /** Reads more bytes into the buffer; false at end of stream. */
  async fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.#conn.read(chunk);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.received += n;
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }
  /** Removes and returns the first `n` buffered bytes. */
  take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
  /** A line ending in CRLF (or LF), without it; null at end of stream. Bounded by `max`. */
  async line(max: number): Promise<string | null> {
    for (;;) {
      const i = this.#buf.indexOf(0x0a);
      if (i >= 0) {
        const raw = this.take(i + 1);
        const end = raw.length >= 2 && raw[raw.length - 2] === 0x0d ? raw.length - 2 : raw.length - 1;
        return DECODER.decode(raw.subarray(0, end));
      }
      if (this.#buf.length > max) throw new OutboundHttpError("response line too long");
      if (!(await this.fill())) return null;
    }
  }
}

async function readHead(r: ConnReader): Promise<{ status: number; headers: Headers; http11: boolean }> {
  const statusLine = await r.line(MAX_HEAD);
  if (statusLine === null) throw new OutboundHttpError("connection closed before a response");
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(statusLine);
  if (!m) throw new OutboundHttpError(`malformed status line ${JSON.stringify(statusLine.slice(0, 100))}`);
  const headers = new Headers();
  let total = statusLine.length;
  for (;;) {
    const line = await r.line(MAX_HEAD);
    if (line === null) throw new OutboundHttpError("connection closed in the response head");
    if (line === "") break;
    total += line.length;
    if (total > MAX_HEAD) throw new OutboundHttpError("response head too large");
    const colon = line.indexOf(":");
    if (colon <= 0) throw new OutboundHttpError("malformed response header");
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      throw new OutboundHttpError("malformed response header");
    }
  }
  return { status: Number(m[2]), headers, http11: m[1] === "1" };
}

async function readBody(
  r: ConnReader,
  method: string,
  status: number,
  headers: Headers,
  max: number,
): Promise<{ bytes: Uint8Array; truncated: boolean; complete: boolean }> {
  // RFC 9112 §6.3: no body for HEAD, 204 and 304.
  if (method === "HEAD" || status === 204 || status === 304) {
    return { bytes: new Uint8Array(0), truncated: false, complete: true };
  }
  let complete = false;
  const parts: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const keep = (b: Uint8Array) => {
    const room = max - size;
    if (b.length > room) truncated = true;
    const kept = b.subarray(0, Math.max(0, room));
    if (kept.length > 0) parts.push(kept);
    size += kept.length;
  };
  const te = headers.get("transfer-encoding");
  if (te !== null && /(?:^|,)\s*chunked\s*$/i.test(te)) {
    // RFC 9112 §7.1: chunk-size [ext] CRLF data CRLF … last-chunk trailers CRLF
    for (;;) {
      const sizeLine = await r.line(1024);
      if (sizeLine === null) throw new OutboundHttpError("connection closed in a chunked body");
      const n = parseInt(sizeLine.split(";")[0]!.trim(), 16);
      if (!Number.isFinite(n) || n < 0) throw new OutboundHttpError("malformed chunk size");
      if (n === 0) {
        // RFC 9112 §7.1.2: trailer fields, then the empty line that ends the message.
        for (let i = 0; i < 100; i++) {
          const trailer = await r.line(MAX_HEAD);
          if (trailer === null) break;
          if (trailer === "") {
            complete = true;
            break;
          }
        }
        break;
      }
      let left = n;
      while (left > 0 && !truncated) {
        if (r.buffered.length === 0 && !(await r.fill())) {
          throw new OutboundHttpError("connection closed in a chunk");
        }
        const b = r.take(Math.min(left, r.buffered.length));
        left -= b.length;
        keep(b);
      }
      await r.line(1024);
      if (truncated) break; // stop reading; the connection is closed anyway
    }
  } else {
    const cl = headers.get("content-length");
    const length = cl !== null && /^\d+$/.test(cl) ? Number(cl) : Infinity;
    let left = length;
    complete = length === 0;
    while (left > 0 && !truncated) {
      if (r.buffered.length === 0 && !(await r.fill())) {
        if (length === Infinity) break;
        throw new OutboundHttpError("connection closed in the response body");
      }
      const b = r.take(Math.min(left, r.buffered.length));
      left -= b.length;
      keep(b);
      if (left === 0) complete = true;
    }
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { bytes, truncated, complete };
}
