/**
 * Counting semaphores: one for the whole queue, one per destination host, so that outbound
 * connections stay bounded overall and per host.
 *
 * @module
 */

/** A counting semaphore with FIFO waiters. */
export class Semaphore {
  #free: number;
  #waiters: (() => void)[] = [];

  /** @param size how many holders at once */
  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves when a slot is held; call the returned function once to release it. */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiters.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }

  /** Slots free now. */
  get free(): number {
    return this.#free;
  }
}

/** Semaphores per key (destination host), created on demand and dropped when idle. */
export class KeyedLimiter {
  #size: number;
  #sems = new Map<string, { sem: Semaphore; users: number }>();
  /** Highest number of simultaneous holders seen per key (tests assert the bound). */
  readonly peak = new Map<string, number>();

  /** @param size holders per key */
  constructor(size: number) {
    this.#size = size;
  }

  /** Holds a slot for `key`; call the returned function once to release it. */
  async acquire(key: string): Promise<() => void> {
    let e = this.#sems.get(key);
    if (!e) {
      e = { sem: new Semaphore(this.#size), users: 0 };
      this.#sems.set(key, e);
    }
    e.users++;
    const release = await e.sem.acquire();
    const holding = this.#size - e.sem.free;
    this.peak.set(key, Math.max(this.peak.get(key) ?? 0, holding));
    const entry = e;
    return () => {
      release();
      entry.users--;
      if (entry.users === 0) this.#sems.delete(key);
    };
  }
}
