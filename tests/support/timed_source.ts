/**
 * A bounded read for raw test clients: a hung server fails the test after a timeout (with the
 * last bytes it did send) instead of hanging the suite, since `deno test` has no per-test timeout.
 *
 * @module
 */
import type { ByteSource } from "../../core/net/reader.ts";

/** How long a test client waits for the next bytes by default. Generous: slow CI, slow servers. */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;

/** How many of the last received bytes a timeout error shows. */
const TAIL_BYTES = 300;

/** Thrown when no bytes arrived within the read timeout. */
export class ReadTimeoutError extends Error {
  override name = "ReadTimeoutError";
}

/**
 * A `ByteSource` over a stream whose every `read()` waits at most `timeoutMs()` milliseconds.
 * A stream error reads as end of stream (as the clients always did); a timeout throws a
 * `ReadTimeoutError` naming the last bytes received, and cancels the stream.
 */
export class TimedSource implements ByteSource {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #tail = new Uint8Array(0);
  /** The timeout of the next read, in milliseconds. */
  timeoutMs: number;

  /**
   * @param stream what the server sends
   * @param timeoutMs how long one read may wait
   */
  constructor(stream: ReadableStream<Uint8Array>, timeoutMs = DEFAULT_READ_TIMEOUT_MS) {
    this.#reader = stream.getReader();
    this.timeoutMs = timeoutMs;
  }

  /** The last bytes received (up to a few hundred), as text with escapes, for failure messages. */
  get tail(): string {
    return JSON.stringify(new TextDecoder().decode(this.#tail));
  }

  /** The next chunk, or null at end of stream; throws `ReadTimeoutError` after the timeout. */
  async read(): Promise<Uint8Array | null> {
    const ms = this.timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), ms);
    });
    const next = this.#reader.read().then(
      (r) => (r.done ? null : r.value),
      () => null,
    );
    try {
      const got = await Promise.race([next, timeout]);
      if (got === "timeout") {
        this.#reader.cancel().catch(() => {});
        throw new ReadTimeoutError(`no bytes from the server within ${ms} ms; last received: ${this.tail}`);
      }
      if (got !== null) this.#remember(got);
      return got;
    } finally {
      clearTimeout(timer);
    }
  }

  #remember(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.#tail.length + chunk.length);
    joined.set(this.#tail, 0);
    joined.set(chunk, this.#tail.length);
    this.#tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES)).slice();
  }
}

/**
 * `conn.read(buf)` bounded by `timeoutMs`: throws a `ReadTimeoutError` naming `received` (what the
 * caller got so far) when nothing arrives in time. For clients that read a `Deno.Conn` directly.
 */
export async function readWithTimeout(
  conn: Deno.Conn,
  buf: Uint8Array,
  received: () => string,
  timeoutMs = DEFAULT_READ_TIMEOUT_MS,
): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const got = await Promise.race([conn.read(buf), timeout]);
    if (got === "timeout") {
      throw new ReadTimeoutError(
        `no bytes from the server within ${timeoutMs} ms; last received: ${
          JSON.stringify(received().slice(-TAIL_BYTES))
        }`,
      );
    }
    return got;
  } finally {
    clearTimeout(timer);
  }
}
