/**
 * Compiled scripts, cached per script version: a script is parsed and validated once per change,
 * not once per delivery. Bounded (least recently used entries go first).
 *
 * @module
 */
import { type CompiledScript, compileSieve } from "./validate.ts";

/** Entries kept at most. */
const MAX_ENTRIES = 2_000;

/** A bounded cache of compiled scripts keyed by (script id, version). */
export class CompiledScriptCache {
  readonly #map = new Map<string, CompiledScript>();
  readonly #max: number;

  /** @param max entries kept at most */
  constructor(max = MAX_ENTRIES) {
    this.#max = max;
  }

  /**
   * The compiled form of a script version, compiling it on a miss.
   *
   * @throws SieveSyntaxError when the stored script does not compile
   */
  get(id: string, version: number, content: string): CompiledScript {
    const key = `${id}\u0000${version}`;
    const hit = this.#map.get(key);
    if (hit) {
      // Most recently used last.
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit;
    }
    const compiled = compileSieve(content);
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(key, compiled);
    return compiled;
  }

  /** How many entries are cached (tests). */
  get size(): number {
    return this.#map.size;
  }
}
