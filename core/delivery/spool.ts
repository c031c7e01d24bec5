/**
 * The receive spool: message bytes collected while a client sends DATA or BDAT. Small messages
 * stay in memory; above a threshold everything moves to a temp file under `<data_dir>/tmp/` so a
 * 30 MB message never sits in memory. Protocols write through this class and never touch the disk.
 *
 * @module
 */

/** A finished message that can be read more than once (delivery, then the outbound queue). */
export interface MessageSource {
  /** Size in bytes. */
  readonly size: number;
  /** The first bytes (at least the header section when it is smaller than the spill threshold). */
  head(): Uint8Array;
  /** The whole message when it is held in memory, else null (read it with `stream()`). */
  bytes(): Uint8Array | null;
  /** A fresh stream of the whole message. */
  stream(): Promise<ReadableStream<Uint8Array>>;
}

/** Options of a spool. */
export interface SpoolOptions {
  /** The server's data directory; temp files go to `<dataDir>/tmp/`. */
  dataDir: string;
  /** Bytes kept in memory before spilling to disk. */
  threshold: number;
  /** Bytes accepted at most; beyond that, appends are counted and dropped (`overflowed`). */
  maxSize: number;
}

/** One message being received. Call `discard()` when done with it, whatever happened. */
export class MessageSpool implements MessageSource {
  #opts: SpoolOptions;
  #chunks: Uint8Array[] = [];
  #memSize = 0;
  #size = 0;
  #overflowed = false;
  #file: Deno.FsFile | null = null;
  #path: string | null = null;
  #head: Uint8Array | null = null;

  /** @param opts where to spill and when */
  constructor(opts: SpoolOptions) {
    this.#opts = opts;
  }

  /** Bytes received so far, counting those dropped after overflow. */
  get size(): number {
    return this.#size;
  }

  /** True once more than `maxSize` bytes were offered; the content is then incomplete. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** True once the message moved to a temp file. */
  get spilled(): boolean {
    return this.#path !== null;
  }

  /** Appends bytes (copied when kept in memory: callers may reuse their buffers). */
  async append(data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    this.#size += data.length;
    if (this.#overflowed) return;
    if (this.#size > this.#opts.maxSize) {
      // Nothing of an oversized message is kept (RFC 1870 §6: the server may discard it).
      this.#overflowed = true;
      await this.#release();
      return;
    }
    if (this.#file) {
      await writeAll(this.#file, data);
      return;
    }
    this.#chunks.push(data.slice());
    this.#memSize += data.length;
    if (this.#memSize > this.#opts.threshold) await this.#spill();
  }

  async #spill(): Promise<void> {
    const dir = `${this.#opts.dataDir}/tmp`;
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/spool-${crypto.randomUUID()}.eml`;
    this.#path = path;
    this.#file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    this.#head = concat(this.#chunks, this.#memSize);
    await writeAll(this.#file, this.#head);
    this.#chunks = [];
    this.#memSize = 0;
  }

  /** The first bytes of the message (all of it while in memory). */
  head(): Uint8Array {
    if (this.#head) return this.#head;
    return this.bytes() ?? new Uint8Array(0);
  }

  /** The whole message if still in memory. */
  bytes(): Uint8Array | null {
    if (this.#path !== null) return null;
    if (this.#chunks.length !== 1) {
      const all = concat(this.#chunks, this.#memSize);
      this.#chunks = [all];
    }
    return this.#chunks[0] ?? new Uint8Array(0);
  }

  /** A stream over the whole message (from memory or the temp file). */
  async stream(): Promise<ReadableStream<Uint8Array>> {
    if (this.#path === null) {
      const all = this.bytes()!;
      return new ReadableStream({
        start(c) {
          c.enqueue(all);
          c.close();
        },
      });
    }
    const f = await Deno.open(this.#path, { read: true });
    return f.readable;
  }

  /** Frees memory and removes the temp file. Idempotent. */
  async discard(): Promise<void> {
    await this.#release();
    this.#size = 0;
  }

  async #release(): Promise<void> {
    this.#chunks = [];
    this.#memSize = 0;
    this.#head = null;
    const file = this.#file;
    const path = this.#path;
    this.#file = null;
    this.#path = null;
    if (file) {
      try {
        file.close();
      } catch {
        // already closed
      }
    }
    if (path) {
      try {
        await Deno.remove(path);
      } catch {
        // already gone
      }
    }
  }
}

/** Concatenates chunks of known total length. */
export function concat(chunks: Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const len = total ?? chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(len);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

/** A message source over bytes already in memory (JMAP submission, bounces, tests). */
export function memorySource(data: Uint8Array): MessageSource {
  return {
    size: data.length,
    head: () => data,
    bytes: () => data,
    stream: () =>
      Promise.resolve(
        new ReadableStream({
          start(c) {
            c.enqueue(data);
            c.close();
          },
        }),
      ),
  };
}

/**
 * Removes spool files left by a crash (`<dataDir>/tmp/spool-*` older than `olderThanMs`, default
 * one day: far beyond any session's lifetime). Returns how many were removed.
 */
export async function removeStaleSpoolFiles(
  dataDir: string,
  olderThanMs = 86_400_000,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  try {
    for await (const e of Deno.readDir(`${dataDir}/tmp`)) {
      if (!e.isFile || !/^spool-[0-9a-f-]+\.eml$/.test(e.name)) continue;
      const path = `${dataDir}/tmp/${e.name}`;
      const info = await Deno.stat(path);
      if (info.mtime && now - info.mtime.getTime() > olderThanMs) {
        await Deno.remove(path);
        removed++;
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return removed;
}
