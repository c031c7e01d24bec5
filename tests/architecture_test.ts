/**
 * The dependency rule, checked on every `deno task test`:
 *
 * - nothing under `core/` imports from `protocols/` (protocols sit on top of core, never below it);
 * - no import cycle between source files of `core/` and `protocols/`;
 * - no cycle between the modules (top-level folders) of `core/`, e.g. `core/auth` →
 *   `core/policy` → `core/auth` (TANGLED_MODULES, now empty, may list an exception: it may only shrink);
 * - the SQLite backend is chosen only by the composition roots, and nothing else reaches its
 *   database (`.database`, `instanceof SqliteStore`, `as SqliteStore`).
 *
 * The graph is read from the source text: every `import … from "…"`, `export … from "…"`,
 * `import "…"` and `import("…")` with a relative specifier, resolved against the importing file.
 * Test files (`*_test.ts`, `_test_*.ts`) are left out: they may reach anywhere.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

/** One import edge: `from` imports `to`, both paths relative to the repository root. */
export interface ImportEdge {
  from: string;
  to: string;
}

const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

function isTestFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.endsWith("_test.ts") || name.startsWith("_test_") || name.endsWith("_bench.ts");
}

function walk(dir: string, out: string[]): void {
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) walk(path, out);
    else if (entry.isFile && path.endsWith(".ts") && !isTestFile(path)) out.push(path);
  }
}

/** Strips comments so an example in a JSDoc block is not read as an import. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** The relative imports of every non-test source file under `roots`. */
export function importGraph(roots: string[]): ImportEdge[] {
  const files: string[] = [];
  for (const r of roots) walk(r, files);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const source = stripComments(Deno.readTextFileSync(join(ROOT, from)));
    const specs = new Set<string>();
    for (const m of source.matchAll(SPECIFIER)) specs.add(m[1]!);
    for (const m of source.matchAll(DYNAMIC)) specs.add(m[1]!);
    for (const spec of specs) {
      if (!spec.startsWith(".")) continue;
      const to = relative(ROOT, join(ROOT, dirname(from), spec)).replaceAll("\\", "/");
      edges.push({ from, to });
    }
  }
  return edges;
}

/** Strongly connected components with more than one node (or a self-loop): the cycles. */
export function cycles(edges: { from: string; to: string }[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, []);
    if (!next.has(e.to)) next.set(e.to, []);
    next.get(e.from)!.push(e.to);
  }
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const start of [...next.keys()].sort()) {
    if (idx.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = next.get(top.node)!;
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.node, Math.min(low.get(top.node)!, idx.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) === idx.get(top.node)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.node);
        const selfLoop = comp.length === 1 && succ.includes(top.node);
        if (comp.length > 1 || selfLoop) out.push(comp.sort());
      }
    }
  }
  return out;
}

/** `core/auth/service.ts` → `core/auth`; a file directly in `core/` is its own module. */
function coreModule(path: string): string {
  const parts = path.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : path;
}

const graph = importGraph(["core", "protocols"]);

Deno.test("architecture: the graph reader sees the imports it should", () => {
  // Guard against a regex that silently matches nothing: known edges must be found.
  assert.ok(graph.length > 500, `only ${graph.length} import edges found`);
  assert.ok(graph.some((e) => e.from === "core/queue/queue.ts" && e.to === "core/smtp_client/client.ts"));
  assert.deepEqual(
    cycles([{ from: "a", to: "b" }, { from: "b", to: "c" }, { from: "c", to: "a" }, { from: "c", to: "d" }]),
    [["a", "b", "c"]],
  );
});

Deno.test("architecture: nothing under core/ imports from protocols/", () => {
  const bad = graph.filter((e) => e.from.startsWith("core/") && e.to.startsWith("protocols/"));
  assert.deepEqual(bad.map((e) => `${e.from} -> ${e.to}`), []);
});

Deno.test("architecture: no import cycle between source files", () => {
  assert.deepEqual(cycles(graph).map((c) => c.join(" <-> ")), []);
});

/**
 * Modules of core/ allowed in an import cycle: none since issue 13 (the CLI's ban and queue
 * commands live in core/cli; the value rules config and the runtime share, DNs, time windows and
 * address keys, in core/syntax; the listeners in core/net hand out `Connection<S>` and never name
 * core/context.ts, which builds on them). A module may leave this list (the test then asks for its
 * removal); none may join it.
 */
const TANGLED_MODULES: string[] = [];

/** Paths under core/store/sqlite/ that code outside the backend may import: only the entry point. */
const SQLITE_ENTRY = "core/store/sqlite/sqlite_store.ts";
/** The composition roots: the only places that pick a store implementation. */
const COMPOSITION_ROOTS = ["protocols/server.ts", "core/cli/services.ts", "core/store/open.ts"];

Deno.test("architecture: only the composition roots import the SQLite backend, and only its entry", () => {
  const bad = graph.filter((e) =>
    e.to.startsWith("core/store/sqlite/") && !e.from.startsWith("core/store/sqlite/") &&
    !(e.to === SQLITE_ENTRY && COMPOSITION_ROOTS.includes(e.from))
  );
  assert.deepEqual(bad.map((e) => `${e.from} -> ${e.to}`), []);
});

Deno.test("architecture: nothing outside the SQLite backend reaches past the Store interface", () => {
  const files: string[] = [];
  for (const r of ["core", "protocols"]) walk(r, files);
  const bad: string[] = [];
  for (const f of files) {
    if (f.startsWith("core/store/sqlite/")) continue;
    const source = stripComments(Deno.readTextFileSync(join(ROOT, f)));
    source.split("\n").forEach((line, i) => {
      if (/\bas SqliteStore\b|\binstanceof SqliteStore\b|\.database\b/.test(line)) bad.push(`${f}:${i + 1}`);
    });
  }
  assert.deepEqual(bad, []);
});

Deno.test("architecture: no import cycle between the modules of core/", () => {
  const moduleEdges = graph
    .filter((e) => e.from.startsWith("core/") && e.to.startsWith("core/"))
    .map((e) => ({ from: coreModule(e.from), to: coreModule(e.to) }))
    .filter((e) => e.from !== e.to);
  const found = cycles(moduleEdges).map((c) => {
    const members = new Set(c);
    const inner = graph.filter((e) =>
      members.has(coreModule(e.from)) && members.has(coreModule(e.to)) &&
      coreModule(e.from) !== coreModule(e.to)
    );
    return `${c.join(" <-> ")}: ${inner.map((e) => `${e.from} -> ${e.to}`).join(", ")}`;
  });
  const tangled = new Set(TANGLED_MODULES);
  const cyclic = new Set(cycles(moduleEdges).flat());
  assert.deepEqual(found.filter((c) => c.split(":")[0]!.split(" <-> ").some((m) => !tangled.has(m))), []);
  assert.deepEqual(
    TANGLED_MODULES.filter((m) => !cyclic.has(m)),
    [],
    "no longer in a cycle: drop from the list",
  );
});
