/**
 * Compiled scripts, cached per script version: a script is parsed and validated once per change,
 * not once per delivery. Versions with the same text share one compiled script (a compiled script
 * depends on its text alone and no run changes it): accounts given the same script (a provisioned
 * default, a filter a client writes from the same template) then run the same closures, which
 * stay in the CPU caches between deliveries instead of one cold copy per account. Bounded (least
 * recently used entries go first).
 *
 * @module
 */
import { type CompiledScript, compileSieve } from "./validate.ts";

/** Entries kept at most. */
const MAX_ENTRIES = 2_000;

/** A bounded cache of compiled scripts keyed by (script id, version), shared by identical texts. */
export class CompiledScriptCache {
  readonly #map = new Map<string, CompiledScript>();
  /** The same compiled scripts by text (looked up on a version miss only). */
  readonly #byText = new Map<string, CompiledScript>();
  readonly #max: number;

  /** @param max entries kept at most (in each of the two maps) */
  constructor(max = MAX_ENTRIES) {
    this.#max = max;
  }

  /**
   * The compiled form of a script version: the cached one, else the one of a version with the same
   * text, else compiled now.
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
    let compiled = this.#byText.get(content);
    if (compiled) this.#byText.delete(content);
    else compiled = compileSieve(content);
    remember(this.#byText, content, compiled, this.#max);
    remember(this.#map, key, compiled, this.#max);
    return compiled;
  }

  /** How many script versions are cached (tests). */
  get size(): number {
    return this.#map.size;
  }
}

/** Sets `key` as the most recently used entry, dropping the least recently used one when full. */
function remember(map: Map<string, CompiledScript>, key: string, value: CompiledScript, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
