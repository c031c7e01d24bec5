/**
 * Deflates chunks of large blobs in a worker (`deflate_worker.ts`), started on first use and
 * stopped when idle or by `stop` (`OnDemandWorker`). A chunk that does not compress, or any failure
 * of the worker, gives `null`: the caller then stores the chunk as it is, so compression never
 * fails a put.
 *
 * @module
 */
import type { DeflateReply, DeflateRequest } from "./deflate_worker.ts";
import { OnDemandWorker } from "./on_demand_worker.ts";

/** A worker that deflates chunks. */
export class Deflater {
  readonly #worker = new OnDemandWorker<DeflateRequest, DeflateReply>(
    new URL("./deflate_worker.ts", import.meta.url),
    { reply: (r) => this.#reply(r), stopped: () => this.#stopped() },
  );
  #next = 1;
  readonly #waiting = new Map<number, (data: Uint8Array | null) => void>();

  /** Chunks waiting for the worker. */
  get pending(): number {
    return this.#waiting.size;
  }

  /**
   * The raw DEFLATE of `chunk` when it saves at least a tenth, else null (also when the worker
   * fails or is stopped meanwhile). `chunk` is copied; the caller keeps it.
   */
  deflate(chunk: Uint8Array): Promise<Uint8Array | null> {
    if (!this.#worker.start()) return Promise.resolve(null);
    const id = this.#next++;
    const data = chunk.slice();
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#worker.post({ id, data }, [data.buffer]);
    });
  }

  #reply(r: DeflateReply): void {
    const resolve = this.#waiting.get(r.id);
    if (!resolve) return;
    this.#waiting.delete(r.id);
    resolve("error" in r ? null : r.data);
    if (this.#waiting.size === 0) this.#worker.idle();
  }

  /** Stops the worker now (chunks still waiting get null); the next chunk starts it again. */
  stop(): void {
    this.#worker.stop();
  }

  /** The worker stopped: what waited for it gets null. */
  #stopped(): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const resolve of waiting) resolve(null);
  }
}
