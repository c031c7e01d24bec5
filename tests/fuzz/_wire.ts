/**
 * The wire fuzzer's connection runner (not a test file). A connection does a valid interactive
 * preamble (greeting, login), then pipelines a script in which some commands are replaced by or
 * followed with mutated inputs, half-closes its side and reads until the server closes. The
 * server must answer or close within `BOUND_MS` of the half-close (a protocol error reply or a
 * clean close both count); a connection that stays open longer is a failure ("no answer").
 *
 * @module
 */
import { concat, mutate, type Mutated, Rng, show } from "./_mutate.ts";
import type { Script } from "./_sessions.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Time the server gets to answer everything and close after the client's half-close. */
export const BOUND_MS = 30_000;
/** Largest single input (duplication of a huge token is cut here). */
const MAX_INPUT = 2 * 1024 * 1024;

/** A raw TCP connection read in the background (so big writes never deadlock against replies). */
export class WireConn {
  #buf = "";
  #raw: Uint8Array[] = [];
  #rawLength = 0;
  #keep = true;
  #wake: (() => void) | null = null;
  #eof = false;
  /** Resolves when the server closed (or reset) the connection. */
  readonly closed: Promise<void>;
  /** Bytes received. */
  received = 0;

  private constructor(readonly conn: Deno.TcpConn) {
    this.closed = this.#pump();
  }

  /** Connects to 127.0.0.1:port. */
  static async open(port: number): Promise<WireConn> {
    return new WireConn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async #pump(): Promise<void> {
    const reader = this.conn.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.received += value.length;
        if (this.#keep) {
          this.#buf += dec.decode(value, { stream: true });
          this.#raw.push(value);
          this.#rawLength += value.length;
        }
        this.#wake?.();
      }
    } catch {
      // A reset is a close.
    } finally {
      this.#eof = true;
      this.#wake?.();
    }
  }

  /** The next CRLF line (preamble only); null once the server closed. */
  async line(): Promise<string | null> {
    for (;;) {
      const i = this.#buf.indexOf("\r\n");
      if (i >= 0) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        return l;
      }
      if (this.#eof) return null;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
  }

  /** Lines until one matches `done` (inclusive); throws at EOF. */
  async until(done: RegExp): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === null) throw new Error(`EOF in preamble after ${JSON.stringify(out)}`);
      out.push(l);
      if (done.test(l)) return out;
    }
  }

  /** Writes a line (preamble). */
  async send(text: string): Promise<void> {
    await this.write(enc.encode(text));
  }

  /** Writes all bytes; false when the server closed the connection meanwhile. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Writes all bytes within `BOUND_MS`; false when the server stopped reading for that long (a hang:
   * the connection is then closed). A server that closed the connection counts as done.
   */
  async writeWithin(bytes: Uint8Array): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      this.write(bytes).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), BOUND_MS))),
    ]);
    clearTimeout(timer);
    if (!ok) this.close();
    return ok;
  }

  /** Stops keeping what is read (the batch phase only counts bytes), unless `keep` (a replay). */
  discard(keep = false): void {
    this.#keep = keep;
    this.#buf = "";
    this.#raw = [];
    this.#rawLength = 0;
  }

  /** The bytes kept since `discard(true)`. */
  bytes(): Uint8Array {
    if (this.#raw.length > 1) this.#raw = [concat(this.#raw)];
    return this.#raw[0] ?? new Uint8Array();
  }

  /**
   * Waits (up to `BOUND_MS`) until `complete(bytes)` holds for the kept bytes or the server
   * closed; false on timeout. For HTTP, where a half-close would abort the request.
   */
  async waitFor(complete: (bytes: Uint8Array) => boolean): Promise<boolean> {
    const deadline = Date.now() + BOUND_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (!this.#eof && !complete(this.bytes())) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((r) => {
          this.#wake = r;
          timer = setTimeout(r, left);
        });
        clearTimeout(timer);
        this.#wake = null;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** What was read and kept since `discard(true)`. */
  transcript(): string {
    return this.#buf;
  }

  /** Half-closes our side, then waits for the server to close within `BOUND_MS`; false on timeout. */
  async finish(): Promise<boolean> {
    try {
      await this.conn.closeWrite();
    } catch {
      // already closed by the server
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), BOUND_MS))),
    ]);
    clearTimeout(timer);
    this.close();
    return ok;
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

/** One fuzzed connection's plan: the bytes to pipeline and the mutated inputs among them. */
export interface Plan {
  index: number;
  seed: number;
  inputs: Mutated[];
  bytes: Uint8Array;
}

/** The seed of connection `index` of a run seeded `seed`. */
export function connectionSeed(seed: number, index: number): number {
  return (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

/** Builds connection `index`'s pipeline: the script, with `perConn` inputs mutated or inserted. */
export function plan(script: Script, seed: number, index: number, perConn: number): Plan {
  const s = connectionSeed(seed, index);
  const rng = new Rng(s);
  const parts: Uint8Array[] = [];
  const inputs: Mutated[] = [];
  let i = rng.int(script.commands.length);
  while (inputs.length < perConn) {
    const command = script.commands[i % script.commands.length]!;
    i++;
    if (rng.chance(0.5)) {
      parts.push(command);
      continue;
    }
    const m = mutate(
      rng,
      rng.chance(0.8) ? command : rng.pick(script.commands),
      script.commands,
      script.tokens,
    );
    if (m.bytes.length > MAX_INPUT) m.bytes = m.bytes.subarray(0, MAX_INPUT);
    inputs.push(m);
    parts.push(m.bytes);
    if (rng.chance(0.3)) parts.push(command);
  }
  return { index, seed: s, inputs, bytes: concat(parts) };
}

/** A failed connection, with what it sent. */
export interface Failure {
  index: number;
  seed: number;
  reason: string;
  inputs: string[];
}

/** Formats failures for an assertion message. */
export function describe(protocol: string, runSeed: number, failures: Failure[]): string {
  const head = `${protocol}: ${failures.length} failing connection(s); run seed ${runSeed} ` +
    `(replay: TERN_FUZZ_SEED=${runSeed} TERN_FUZZ_ONLY=<index>)`;
  const body = failures.slice(0, 5).map((f) =>
    `#${f.index} (connection seed ${f.seed}): ${f.reason}\n  ` + f.inputs.join("\n  ")
  );
  return [head, ...body].join("\n");
}

/** Printable inputs of a plan. */
export function shownInputs(p: Plan): string[] {
  return p.inputs.map((m) => `[${m.how.join(",")}] ${show(m.bytes)}`);
}

/** Time span of each connection, to match error log lines to the connections then running. */
export interface Span {
  index: number;
  start: number;
  end: number;
}

/**
 * Runs `total` connection plans over `workers` concurrent workers (worker k uses account k);
 * `run` does one connection and returns a failure reason or null.
 */
export async function runPool(
  total: number,
  workers: number,
  only: number | null,
  run: (index: number, worker: number) => Promise<string | null>,
  onFailure: (index: number, reason: string) => void,
  spans: Span[],
): Promise<void> {
  let next = only ?? 0;
  const last = only === null ? total : only + 1;
  await Promise.all(Array.from({ length: workers }, async (_, worker) => {
    while (next < last) {
      const index = next++;
      const start = Date.now();
      let reason: string | null;
      try {
        reason = await run(index, worker);
      } catch (e) {
        reason = `client error: ${(e as Error).message}`;
      }
      spans.push({ index, start, end: Date.now() });
      if (reason) onFailure(index, reason);
    }
  }));
}
