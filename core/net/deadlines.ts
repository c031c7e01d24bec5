/**
 * Many deadlines on one timer: the per-request and per-connection timeouts of the HTTP listener
 * (hook timeouts, header and keep-alive timers) are set and cancelled on every request, almost
 * never fire, and a runtime timer costs about 9 µs to set and clear (issue 24). A `Deadlines`
 * keeps its deadlines in a set and arms one timer, for the earliest; cancelling is a set delete.
 * The timer is cleared whenever no deadline is left, so nothing outlives the work it guards.
 *
 * A deadline fires no earlier than asked, and late only as much as the event loop is.
 *
 * @module
 */

/** A deadline waiting to fire (cancel it with `Deadlines.cancel`). */
export interface Deadline {
  /** When it fires (`performance.now()` time). */
  readonly at: number;
}

interface Entry extends Deadline {
  readonly fire: () => void;
}

/** A set of deadlines sharing one timer. */
export class Deadlines {
  readonly #entries = new Set<Entry>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed timer fires (Infinity: none armed). */
  #armedAt = Infinity;

  /** Deadlines waiting. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether the runtime timer is armed (never without a deadline waiting). */
  get armed(): boolean {
    return this.#timer !== null;
  }

  /** Calls `fire` in `ms` milliseconds unless cancelled before. */
  add(ms: number, fire: () => void): Deadline {
    const entry: Entry = { at: performance.now() + ms, fire };
    this.#entries.add(entry);
    if (entry.at < this.#armedAt) this.#arm(entry.at);
    return entry;
  }

  /** Cancels a deadline (no-op when it fired or was cancelled already). */
  cancel(deadline: Deadline | null): void {
    if (deadline === null || !this.#entries.delete(deadline as Entry)) return;
    if (this.#entries.size === 0) this.#disarm();
  }

  #arm(at: number): void {
    this.#disarm();
    this.#armedAt = at;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, at - performance.now()));
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Infinity;
  }

  /** Fires every deadline due and arms the timer for the next. */
  #expire(): void {
    this.#timer = null;
    this.#armedAt = Infinity;
    const now = performance.now();
    const due: Entry[] = [];
    let next = Infinity;
    for (const entry of this.#entries) {
      if (entry.at <= now) due.push(entry);
      else if (entry.at < next) next = entry.at;
    }
    for (const entry of due) this.#entries.delete(entry);
    if (next < Infinity) this.#arm(next);
    // A late timer finds several due: they fire in deadline order, as timers of their own would.
    due.sort((x, y) => x.at - y.at);
    for (const entry of due) {
      try {
        entry.fire();
      } catch (err) {
        // As from a timer of its own: an uncaught error (the others still fire).
        reportError(err);
      }
    }
  }
}
