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
 * - HTTP/1.1 (RFC 9112) over TCP or TLS (the certificate is verified for the URL's host name), one
 *   request per connection (`Connection: close`), a deadline for the whole exchange, a cap on the
 *   response head and body, and redirects followed only when asked, each hop through the same guard.
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

/** The guarded client. One instance per server; stateless between requests. */
export class OutboundHttpClient {
  readonly #resolver: DnsResolver;
  readonly #policy: OutboundHttpPolicy;
  readonly #allow: Cidr[];

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
      let conn: Deno.Conn;
      try {
        conn = await this.#connect(t, addr, deadline);
      } catch (e) {
        if (e instanceof OutboundHttpRefused) throw e;
        lastError = e;
        continue;
      }
      return await this.#exchange(conn, t, addr.ip, method, headers, body, deadline);
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
    t: Target,
    remoteAddress: string,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | string | undefined,
    deadline: number,
  ): Promise<OutboundResponse> {
    const timer = setTimeout(() => tryClose(conn), Math.max(0, deadline - Date.now()));
    try {
      const payload = typeof body === "string" ? ENCODER.encode(body) : body;
      await writeAll(conn, ENCODER.encode(requestHead(t, method, headers, payload)));
      if (payload && payload.length > 0) await writeAll(conn, payload);
      const reader = new ConnReader(conn);
      for (;;) {
        const { status, headers: resHeaders } = await readHead(reader);
        // RFC 9110 §15.2: interim 1xx responses precede the final one.
        if (status >= 100 && status < 200) continue;
        const { bytes, truncated } = await readBody(
          reader,
          method,
          status,
          resHeaders,
          this.#policy.maxResponseBytes,
        );
        return { status, headers: resHeaders, body: bytes, truncated, remoteAddress, url: t.url.href };
      }
    } catch (e) {
      if (Date.now() >= deadline) throw new OutboundHttpError(`request to ${t.host} timed out`);
      if (e instanceof OutboundHttpError) throw e;
      throw new OutboundHttpError(`request to ${t.host} failed: ${(e as Error).message ?? e}`);
    } finally {
      clearTimeout(timer);
      tryClose(conn);
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

function requestHead(t: Target, method: string, headers: Record<string, string>, body?: Uint8Array): string {
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
  lines.push("Connection: close");
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

async function readHead(r: ConnReader): Promise<{ status: number; headers: Headers }> {
  const statusLine = await r.line(MAX_HEAD);
  if (statusLine === null) throw new OutboundHttpError("connection closed before a response");
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
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
  return { status: Number(m[1]), headers };
}

async function readBody(
  r: ConnReader,
  method: string,
  status: number,
  headers: Headers,
  max: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  // RFC 9112 §6.3: no body for HEAD, 204 and 304.
  if (method === "HEAD" || status === 204 || status === 304) {
    return { bytes: new Uint8Array(0), truncated: false };
  }
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
      if (n === 0) break;
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
    while (left > 0 && !truncated) {
      if (r.buffered.length === 0 && !(await r.fill())) {
        if (length === Infinity) break;
        throw new OutboundHttpError("connection closed in the response body");
      }
      const b = r.take(Math.min(left, r.buffered.length));
      left -= b.length;
      keep(b);
    }
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { bytes, truncated };
}
