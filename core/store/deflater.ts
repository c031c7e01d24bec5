/**
 * Deflates chunks of large blobs in a worker (`deflate_worker.ts`), started on first use and
 * stopped after `IDLE_MS` without work (a running worker would keep a CLI process alive) or by
 * `stop`. A chunk that does not compress, or any failure of the worker, gives `null`: the caller
 * then stores the chunk as it is, so compression never fails a put.
 *
 * @module
 */
import type { DeflateReply, DeflateRequest } from "./deflate_worker.ts";

/** Idle time after which the worker is stopped (milliseconds). */
const IDLE_MS = 5_000;

/** A worker that deflates chunks. */
export class Deflater {
  #worker: Worker | null = null;
  #next = 1;
  readonly #waiting = new Map<number, (data: Uint8Array | null) => void>();
  #idle: ReturnType<typeof setTimeout> | null = null;

  /** Chunks waiting for the worker. */
  get pending(): number {
    return this.#waiting.size;
  }

  /**
   * The raw DEFLATE of `chunk` when it saves at least a tenth, else null (also when the worker
   * fails or is stopped meanwhile). `chunk` is copied; the caller keeps it.
   */
  deflate(chunk: Uint8Array): Promise<Uint8Array | null> {
    const worker = this.#start();
    if (!worker) return Promise.resolve(null);
    if (this.#idle !== null) {
      clearTimeout(this.#idle);
      this.#idle = null;
    }
    const id = this.#next++;
    const data = chunk.slice();
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      const m: DeflateRequest = { id, data };
      worker.postMessage(m, [data.buffer]);
    });
  }

  #start(): Worker | null {
    if (this.#worker) return this.#worker;
    try {
      const w = new Worker(new URL("./deflate_worker.ts", import.meta.url).href, { type: "module" });
      w.onmessage = (e: MessageEvent<DeflateReply>) => this.#reply(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.stop();
      };
      this.#worker = w;
      return w;
    } catch {
      return null;
    }
  }

  #reply(r: DeflateReply): void {
    const resolve = this.#waiting.get(r.id);
    if (!resolve) return;
    this.#waiting.delete(r.id);
    resolve("error" in r ? null : r.data);
    if (this.#waiting.size === 0 && this.#worker) {
      const timer = setTimeout(() => {
        this.#idle = null;
        if (this.#waiting.size === 0) this.stop();
      }, IDLE_MS);
      Deno.unrefTimer(timer);
      this.#idle = timer;
    }
  }

  /** Stops the worker now (chunks still waiting get null); the next chunk starts it again. */
  stop(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
    this.#worker?.terminate();
    this.#worker = null;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const resolve of waiting) resolve(null);
  }
}
