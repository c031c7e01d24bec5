/**
 * Finds the line of every key in a TOML source, so validation errors can point at it. smol-toml
 * returns plain values without positions; this scanner follows the TOML structure that matters for
 * that (table headers, dotted keys, multi-line strings and arrays) and nothing more.
 *
 * @module
 */

/** A key path segment: a table key or an array index. */
export type PathSegment = string | number;

/** Line lookup over one source text. */
export interface KeyLocator {
  /**
   * The 1-based line where `path` is defined, or the nearest enclosing key or table that is; for an
   * array element given as a string, the line holding that string. Undefined when nothing matches.
   */
  lineOf(path: readonly PathSegment[], value?: unknown): number | undefined;
  /** The line where exactly this key or table is defined, without falling back to a parent. */
  definitionLine(path: readonly string[]): number | undefined;
}

interface Span {
  start: number;
  end: number;
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;

/** Parses a (possibly dotted, possibly quoted) key at the start of `s`; returns parts and rest. */
function parseKey(s: string): { parts: string[]; rest: string } | null {
  const parts: string[] = [];
  let rest = s.trimStart();
  for (;;) {
    let m: RegExpMatchArray | null;
    if (rest.startsWith('"')) {
      m = rest.match(/^"((?:[^"\\]|\\.)*)"/);
      if (!m) return null;
      try {
        parts.push(JSON.parse(m[0]) as string);
      } catch {
        parts.push(m[1] ?? "");
      }
    } else if (rest.startsWith("'")) {
      m = rest.match(/^'([^']*)'/);
      if (!m) return null;
      parts.push(m[1] ?? "");
    } else {
      m = rest.match(BARE_KEY);
      if (!m) return null;
      parts.push(m[0]);
    }
    rest = rest.slice(m[0].length).trimStart();
    if (!rest.startsWith(".")) return { parts, rest };
    rest = rest.slice(1).trimStart();
  }
}

/** Bracket depth change and multi-line-string state after scanning `line` outside strings. */
function scanValue(
  line: string,
  open: string | null,
): { depth: number; open: string | null } {
  let depth = 0;
  let i = 0;
  while (i < line.length) {
    if (open) {
      const close = line.indexOf(open, i);
      if (close < 0) return { depth, open };
      i = close + 3;
      open = null;
      continue;
    }
    const c = line[i];
    if (c === "#") break;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      open = line.slice(i, i + 3);
      i += 3;
      continue;
    }
    if (c === '"') {
      const m = line.slice(i).match(/^"(?:[^"\\]|\\.)*"/);
      i += m ? m[0].length : line.length;
      continue;
    }
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      i = close < 0 ? line.length : close + 1;
      continue;
    }
    if (c === "[" || c === "{") depth++;
    if (c === "]" || c === "}") depth--;
    i++;
  }
  return { depth, open };
}

/** Dotted form of a path, indices as `[n]`: `smtp.relay_networks[1]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const part = /^[A-Za-z0-9_-]+$/.test(seg) ? seg : JSON.stringify(seg);
      out += out ? `.${part}` : part;
    }
  }
  return out;
}

/** Scans `source` and returns a locator for its keys. */
export function locateKeys(source: string): KeyLocator {
  const lines = source.split(/\r?\n/);
  const spans = new Map<string, Span>();
  let table: PathSegment[] = [];
  const aotCounts = new Map<string, number>();
  let open: string | null = null;
  let depth = 0;
  let current: Span | null = null;

  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? "";
    const lineNo = n + 1;
    if (open !== null || depth > 0) {
      const r = scanValue(line, open);
      open = r.open;
      depth += r.depth;
      if (current) current.end = lineNo;
      continue;
    }
    const trimmed = line.trimStart();
    if (trimmed.startsWith("[")) {
      const arrayOfTables = trimmed.startsWith("[[");
      const key = parseKey(trimmed.slice(arrayOfTables ? 2 : 1));
      if (key) {
        table = key.parts;
        const id = table.join("\u0000");
        if (!spans.has(id)) spans.set(id, { start: lineNo, end: lineNo });
        if (arrayOfTables) {
          // `[[a.b]]` opens element n of the array a.b: its keys live under a.b[n].
          const index = aotCounts.get(id) ?? 0;
          aotCounts.set(id, index + 1);
          table = [...table, index];
          spans.set(table.join("\u0000"), { start: lineNo, end: lineNo });
        }
      }
      current = null;
      continue;
    }
    const key = parseKey(trimmed);
    if (!key || !key.rest.startsWith("=")) continue;
    const full = [...table, ...key.parts];
    const span = { start: lineNo, end: lineNo };
    const id = full.join("\u0000");
    if (!spans.has(id)) spans.set(id, span);
    // Intermediate tables of a dotted key (`a.b.c = 1` defines a and a.b).
    for (let k = table.length + 1; k < full.length; k++) {
      const pid = full.slice(0, k).join("\u0000");
      if (!spans.has(pid)) spans.set(pid, { start: lineNo, end: lineNo });
    }
    current = span;
    const r = scanValue(key.rest.slice(1), null);
    open = r.open;
    depth = r.depth;
  }

  return {
    definitionLine(path) {
      return spans.get(path.join("\u0000"))?.start;
    },
    lineOf(path, value) {
      for (let k = path.length; k > 0; k--) {
        const span = spans.get(path.slice(0, k).join("\u0000"));
        if (!span) continue;
        // An element of an inline array: look for its text within the array's lines.
        if (k === path.length - 1 && typeof path[k] === "number" && typeof value === "string") {
          const needles = [JSON.stringify(value), `'${value}'`];
          for (let l = span.start; l <= span.end; l++) {
            const text = lines[l - 1] ?? "";
            if (needles.some((s) => text.includes(s))) return l;
          }
        }
        return span.start;
      }
      return undefined;
    },
  };
}
