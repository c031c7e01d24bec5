/**
 * The shared real-world corpus (`../shared/corpus/` beside the repository) for the differential
 * tests: read at test time, never copied into the project.
 *
 * @module
 */

/** The corpus folder (`../shared/corpus/` relative to the repository root). */
export const CORPUS_DIR = new URL("../../../shared/corpus/", import.meta.url);

/** Names of the corpus `.eml` files, sorted; empty when the corpus is absent. */
export async function corpusFiles(): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(CORPUS_DIR)) {
      if (e.isFile && e.name.endsWith(".eml")) names.push(e.name);
    }
    return names.sort();
  } catch {
    return [];
  }
}
