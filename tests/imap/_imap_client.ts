/**
 * Raw IMAP test client: sends tagged commands over a real socket and returns the exact response
 * lines up to and including the tagged reply.
 *
 * @module
 */
import { ByteReader } from "../../core/net/reader.ts";
import { DEFAULT_READ_TIMEOUT_MS, TimedSource } from "../support/timed_source.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import type { Account } from "../../core/store/types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A raw socket with line reads and byte writes. Every read waits at most `readTimeoutMs`
 * (default 10 s, or per call), then throws with the last bytes received: a hung server fails
 * the test instead of hanging the suite.
 */
export class Conn {
  #source: TimedSource;
  #reader: ByteReader;
  /**
   * @param conn the connected socket
   * @param readTimeoutMs how long one read may wait for the server
   */
  constructor(readonly conn: Deno.Conn, readTimeoutMs = DEFAULT_READ_TIMEOUT_MS) {
    this.#source = new TimedSource(conn.readable, readTimeoutMs);
    this.#reader = new ByteReader(this.#source);
  }
  /** The default read timeout of this connection, in milliseconds (settable). */
  get readTimeoutMs(): number {
    return this.#source.timeoutMs;
  }
  set readTimeoutMs(ms: number) {
    this.#source.timeoutMs = ms;
  }
  /** Writes bytes fully. */
  async sendBytes(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }
  /** Writes text. */
  send(text: string): Promise<void> {
    return this.sendBytes(enc.encode(text));
  }
  /** Writes a line with CRLF. */
  line(text: string): Promise<void> {
    return this.send(text + "\r\n");
  }
  /** Reads one line without its ending; null at EOF. `timeoutMs` overrides the read timeout. */
  async read(timeoutMs?: number): Promise<string | null> {
    const saved = this.#source.timeoutMs;
    if (timeoutMs !== undefined) this.#source.timeoutMs = timeoutMs;
    try {
      const l = await this.#reader.readLine(1 << 24);
      return l ? dec.decode(l.line) : null;
    } finally {
      this.#source.timeoutMs = saved;
    }
  }
  /** Reads exactly `n` bytes (a literal's data); null at EOF. `timeoutMs` overrides the read timeout. */
  async readBytes(n: number, timeoutMs?: number): Promise<Uint8Array | null> {
    const saved = this.#source.timeoutMs;
    if (timeoutMs !== undefined) this.#source.timeoutMs = timeoutMs;
    try {
      return await this.#reader.readExact(n);
    } finally {
      this.#source.timeoutMs = saved;
    }
  }
  /** Closes (idempotent). */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** A raw IMAP connection. */
export class RawImap {
  #n = 0;
  greeting = "";
  private constructor(readonly c: Conn) {}

  /** Connects and reads the greeting; `opts.readTimeoutMs` bounds every read (default 10 s). */
  static async connect(port: number, opts: { readTimeoutMs?: number } = {}): Promise<RawImap> {
    const c = new RawImap(new Conn(await Deno.connect({ hostname: "127.0.0.1", port }), opts.readTimeoutMs));
    c.greeting = (await c.c.read()) ?? "";
    return c;
  }

  /**
   * Sends `text` with a fresh tag; returns lines through the tagged reply (tag replaced by "TAG").
   * `timeoutMs` overrides the connection's read timeout for this reply.
   */
  async cmd(text: string, timeoutMs?: number): Promise<string[]> {
    const tag = `a${++this.#n}`;
    await this.c.line(`${tag} ${text}`);
    return await this.until(tag, timeoutMs);
  }

  /** Reads lines until the tagged reply for `tag`, each read bounded by `timeoutMs` if given. */
  async until(tag: string, timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.c.read(timeoutMs);
      if (l === null) throw new Error(`EOF; got ${JSON.stringify(out)}`);
      if (l.startsWith(tag + " ")) {
        out.push("TAG" + l.slice(tag.length));
        return out;
      }
      out.push(l);
    }
  }

  /** Logs in with LOGIN. */
  async login(user = "u@example.org", pass = "s3cret pass"): Promise<void> {
    const r = await this.cmd(`LOGIN "${user}" "${pass}"`);
    if (!r.at(-1)!.startsWith("TAG OK")) throw new Error(`login failed: ${r.join("\n")}`);
  }

  /** Closes the connection. */
  close(): void {
    this.c.close();
  }
}

/** A test server with one user `u@example.org`. */
export async function setupImap(
  overrides?: Parameters<typeof startTestServer>[0],
): Promise<{ t: TestServer; user: Account; port: number }> {
  const t = await startTestServer(overrides);
  const user = await t.addUser("u@example.org", "s3cret pass");
  return { t, user, port: t.port("imap") };
}

/**
 * Runs `fn` with one session per name, each logged in as the default user with `mailbox`
 * selected (in the order of `names`: the first selects first), and closes them afterwards.
 */
export async function withSelected<K extends string>(
  port: number,
  names: readonly K[],
  fn: (sessions: Record<K, RawImap>) => Promise<void>,
  mailbox = "INBOX",
): Promise<void> {
  const opened: RawImap[] = [];
  const sessions = {} as Record<K, RawImap>;
  try {
    for (const name of names) {
      const s = await RawImap.connect(port);
      opened.push(s);
      await s.login();
      const r = await s.cmd(`SELECT ${mailbox}`);
      if (!r.at(-1)!.startsWith("TAG OK")) throw new Error(`SELECT failed: ${r.join("\n")}`);
      sessions[name] = s;
    }
    await fn(sessions);
  } finally {
    for (const s of opened) s.close();
  }
}
