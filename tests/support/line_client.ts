/**
 * A tiny raw TCP client for byte-exact wire tests: send lines, read replies line by line.
 *
 * @module
 */
import { ByteReader } from "../../core/net/reader.ts";
import { DEFAULT_READ_TIMEOUT_MS, TimedSource } from "./timed_source.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const latin1 = new TextDecoder("latin1");
const ENDINGS = { crlf: "\r\n", lf: "\n", cr: "\r", none: "" } as const;

/**
 * A raw line-oriented client connection. Every read waits at most `readTimeoutMs` (default 10 s,
 * per client or per call), then throws with the last bytes received: a hung server fails the test
 * instead of hanging the suite.
 */
export class LineClient {
  #conn: Deno.Conn;
  #source: TimedSource;
  #reader: ByteReader;

  private constructor(conn: Deno.Conn, readTimeoutMs: number) {
    this.#conn = conn;
    this.#source = new TimedSource(conn.readable, readTimeoutMs);
    this.#reader = new ByteReader(this.#source);
  }

  /**
   * Connects to host:port, optionally from a given local (loopback) address; `readTimeoutMs`
   * bounds every read (default 10 s).
   */
  static async connect(
    port: number,
    opts: { hostname?: string; localAddress?: string; readTimeoutMs?: number } = {},
  ): Promise<LineClient> {
    const conn = await Deno.connect({ hostname: opts.hostname ?? "127.0.0.1", port });
    return new LineClient(conn, opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS);
  }

  /** The default read timeout of this client, in milliseconds (settable). */
  get readTimeoutMs(): number {
    return this.#source.timeoutMs;
  }
  set readTimeoutMs(ms: number) {
    this.#source.timeoutMs = ms;
  }

  /** Sends raw text (no CRLF added). */
  async send(text: string): Promise<void> {
    const bytes = enc.encode(text);
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /** Sends one line with CRLF. */
  line(text: string): Promise<void> {
    return this.send(text + "\r\n");
  }

  /** Reads one line (without CRLF); null at EOF. `timeoutMs` overrides the read timeout. */
  async read(timeoutMs?: number): Promise<string | null> {
    const saved = this.#source.timeoutMs;
    if (timeoutMs !== undefined) this.#source.timeoutMs = timeoutMs;
    try {
      const l = await this.#reader.readLine(1 << 20);
      return l ? dec.decode(l.line) : null;
    } finally {
      this.#source.timeoutMs = saved;
    }
  }

  /**
   * Reads one line as sent, as latin1 text (a character per octet) with its line end (CRLF, LF, CR,
   * or none at EOF) kept: for byte-exact comparisons. Null at EOF.
   */
  async rawLine(): Promise<string | null> {
    const l = await this.#reader.readLine(1 << 20);
    return l ? latin1.decode(l.line) + ENDINGS[l.ending] : null;
  }

  /** Reads lines until one equals `end` (inclusive), each read bounded by `timeoutMs` if given. */
  async readUntil(end: string, timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.read(timeoutMs);
      if (l === null) throw new Error(`EOF before ${JSON.stringify(end)}; got ${JSON.stringify(out)}`);
      out.push(l);
      if (l === end) return out;
    }
  }

  /** Reads until EOF and returns the remaining lines, each read bounded by `timeoutMs` if given. */
  async readAll(timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.read(timeoutMs);
      if (l === null) return out;
      out.push(l);
    }
  }

  /** Closes the connection (idempotent). */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** Result of a python3 run. */
export interface PythonResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long a python3 client may run before it is killed (a hung server must not hang the suite). */
export const PYTHON_TIMEOUT_MS = 120_000;

/**
 * Runs a python3 script with arguments (and optional standard input); returns code and output.
 * A script still running after `timeoutMs` is killed and the call throws with its last output.
 */
export async function runPython(
  script: string,
  args: string[] = [],
  stdin?: string,
  timeoutMs = PYTHON_TIMEOUT_MS,
): Promise<PythonResult> {
  const child = new Deno.Command("python3", {
    args: ["-c", script, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }, timeoutMs);
  try {
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(enc.encode(stdin));
      await w.close();
    }
    const { code, stdout, stderr } = await child.output();
    const result = { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
    if (timedOut) {
      throw new Error(
        `python3 killed after ${timeoutMs} ms; last stdout ${JSON.stringify(result.stdout.slice(-300))}, ` +
          `last stderr ${JSON.stringify(result.stderr.slice(-300))}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a python3 script with arguments; returns stdout, throws with stderr on failure. */
export async function python(
  script: string,
  args: string[] = [],
  stdin?: string,
  timeoutMs?: number,
): Promise<string> {
  const r = await runPython(script, args, stdin, timeoutMs);
  if (r.code !== 0) throw new Error(`python3 exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
