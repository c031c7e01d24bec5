/**
 * A tiny raw TCP client for byte-exact wire tests: send lines, read replies line by line.
 *
 * @module
 */
import { ByteReader } from "../../core/net/reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw line-oriented client connection. */
export class LineClient {
  #conn: Deno.Conn;
  #reader: ByteReader;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    const r = conn.readable.getReader();
    this.#reader = new ByteReader({
      read: async () => {
        try {
          const { value, done } = await r.read();
          return done ? null : value;
        } catch {
          return null;
        }
      },
    });
  }

  /** Connects to host:port, optionally from a given local (loopback) address. */
  static async connect(
    port: number,
    opts: { hostname?: string; localAddress?: string } = {},
  ): Promise<LineClient> {
    const conn = await Deno.connect({ hostname: opts.hostname ?? "127.0.0.1", port });
    return new LineClient(conn);
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

  /** Reads one line (without CRLF); null at EOF. */
  async read(): Promise<string | null> {
    const l = await this.#reader.readLine(1 << 20);
    return l ? dec.decode(l.line) : null;
  }

  /** Reads lines until one equals `end` (inclusive). */
  async readUntil(end: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.read();
      if (l === null) throw new Error(`EOF before ${JSON.stringify(end)}; got ${JSON.stringify(out)}`);
      out.push(l);
      if (l === end) return out;
    }
  }

  /** Reads until EOF and returns the remaining lines. */
  async readAll(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.read();
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

/** Runs a python3 script with arguments (and optional standard input); returns code and output. */
export async function runPython(script: string, args: string[] = [], stdin?: string): Promise<PythonResult> {
  const child = new Deno.Command("python3", {
    args: ["-c", script, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(enc.encode(stdin));
    await w.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

/** Runs a python3 script with arguments; returns stdout, throws with stderr on failure. */
export async function python(script: string, args: string[] = [], stdin?: string): Promise<string> {
  const r = await runPython(script, args, stdin);
  if (r.code !== 0) throw new Error(`python3 exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
