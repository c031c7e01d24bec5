/**
 * The Sieve lexer and parser (RFC 5228 §2 and §8): script text in, a syntax tree out, or a
 * `SieveSyntaxError` with line and column. Pure and bounded: the script's size, the nesting of
 * blocks and tests, and the number of nodes are limited, so no input exhausts memory or the stack.
 * Which commands, tests and tags exist is the validator's business (validate.ts), not the parser's.
 *
 * @module
 */

/** A position in the script (1-based line and column, counted in UTF-16 code units). */
export interface SievePos {
  line: number;
  column: number;
}

/** A syntax or validation error, with where it was found. */
export class SieveSyntaxError extends Error {
  /** Where the error is. */
  readonly pos: SievePos;
  /**
   * @param message what is wrong
   * @param pos where
   */
  constructor(message: string, pos: SievePos) {
    super(`line ${pos.line}, column ${pos.column}: ${message}`);
    this.name = "SieveSyntaxError";
    this.pos = pos;
  }
}

/** An argument of a command or test (RFC 5228 §2.6). */
export type SieveArg =
  | { kind: "tag"; name: string; pos: SievePos }
  | { kind: "number"; value: number; pos: SievePos }
  | { kind: "strings"; values: string[]; list: boolean; pos: SievePos };

/** A test (RFC 5228 §2.6.3 `test = identifier arguments`). */
export interface SieveTestNode {
  /** Lowercased identifier. */
  name: string;
  args: SieveArg[];
  /** The test or test list that ends the arguments. */
  tests: SieveTestNode[];
  pos: SievePos;
}

/** A command (RFC 5228 §8.2 `command = identifier arguments (";" / block)`). */
export interface SieveCommandNode extends SieveTestNode {
  /** The block, or null for a command ended by ";". */
  block: SieveCommandNode[] | null;
}

/** Parser limits. */
export interface ParseLimits {
  /** Largest script in UTF-16 code units (default 1 MiB). */
  maxSize: number;
  /** Deepest nesting of blocks and test lists (default 32). */
  maxNesting: number;
  /** Most syntax nodes (commands, tests, arguments and strings; default 100,000). */
  maxNodes: number;
}

/** The default parser limits. */
export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxSize: 1 << 20, maxNesting: 32, maxNodes: 100_000 };

type Token =
  | { t: "id"; v: string; pos: SievePos }
  | { t: "tag"; v: string; pos: SievePos }
  | { t: "num"; v: number; pos: SievePos }
  | { t: "str"; v: string; pos: SievePos }
  | { t: "sym"; v: string; pos: SievePos }
  | { t: "eof"; pos: SievePos };

/** RFC 5228 §8.1: quantifiers of numbers. */
const QUANTIFIER: Record<string, number> = { k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 };
/** Numbers beyond 2^53 are refused rather than rounded. */
const MAX_NUMBER = Number.MAX_SAFE_INTEGER;

/** The lexer (RFC 5228 §8.1): a cursor over the script text. */
class Lexer {
  readonly #s: string;
  #i = 0;
  #line = 1;
  #lineStart = 0;

  constructor(s: string) {
    this.#s = s;
  }

  #pos(at = this.#i): SievePos {
    return { line: this.#line, column: at - this.#lineStart + 1 };
  }

  #newline(at: number): void {
    this.#line++;
    this.#lineStart = at + 1;
  }

  /** Skips white space and both kinds of comment. */
  #skip(): void {
    const s = this.#s;
    while (this.#i < s.length) {
      const c = s[this.#i]!;
      if (c === "\n") {
        this.#newline(this.#i);
        this.#i++;
      } else if (c === " " || c === "\t" || c === "\r") {
        this.#i++;
      } else if (c === "#") {
        // RFC 5228 §2.3: a hash comment runs to the end of the line.
        while (this.#i < s.length && s[this.#i] !== "\n") this.#i++;
      } else if (c === "/" && s[this.#i + 1] === "*") {
        // RFC 5228 §2.3: bracketed comments do not nest.
        const start = this.#pos();
        const end = s.indexOf("*/", this.#i + 2);
        if (end < 0) throw new SieveSyntaxError("unterminated comment", start);
        for (let k = this.#i; k < end; k++) if (s[k] === "\n") this.#newline(k);
        this.#i = end + 2;
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.#skip();
    const s = this.#s;
    const pos = this.#pos();
    if (this.#i >= s.length) return { t: "eof", pos };
    const c = s[this.#i]!;
    if ("[](){},;".includes(c)) {
      this.#i++;
      return { t: "sym", v: c, pos };
    }
    if (c === '"') return { t: "str", v: this.#quoted(pos), pos };
    if (c === ":") {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.#i + 1, this.#i + 257));
      if (!m) throw new SieveSyntaxError("expected a tag name after ':'", pos);
      this.#i += 1 + m[0].length;
      return { t: "tag", v: m[0].toLowerCase(), pos };
    }
    if (c >= "0" && c <= "9") {
      const m = /^([0-9]+)([KMGkmg]?)/.exec(s.slice(this.#i, this.#i + 32))!;
      this.#i += m[0].length;
      const n = Number(m[1]) * (m[2] ? QUANTIFIER[m[2].toLowerCase()]! : 1);
      if (!Number.isSafeInteger(n) || n > MAX_NUMBER || m[1]!.length > 16) {
        throw new SieveSyntaxError("number too large", pos);
      }
      return { t: "num", v: n, pos };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.#i, this.#i + 256));
    if (m) {
      this.#i += m[0].length;
      // RFC 5228 §8.1: `text:` starts a multi-line string.
      if (m[0].toLowerCase() === "text" && s[this.#i] === ":") {
        this.#i++;
        return { t: "str", v: this.#multiline(pos), pos };
      }
      return { t: "id", v: m[0].toLowerCase(), pos };
    }
    throw new SieveSyntaxError(`unexpected character ${JSON.stringify(c)}`, pos);
  }

  /** RFC 5228 §2.4.2: a quoted string; `\\` and `\"` escape, any other backslash is dropped. */
  #quoted(pos: SievePos): string {
    const s = this.#s;
    let out = "";
    let k = this.#i + 1;
    for (;;) {
      if (k >= s.length) throw new SieveSyntaxError("unterminated string", pos);
      const c = s[k]!;
      if (c === '"') break;
      if (c === "\\") {
        k++;
        if (k >= s.length) throw new SieveSyntaxError("unterminated string", pos);
        if (s[k] === "\n") this.#newline(k);
        out += s[k]!;
      } else {
        if (c === "\n") this.#newline(k);
        out += c;
      }
      k++;
    }
    this.#i = k + 1;
    return out;
  }

  /** RFC 5228 §8.1 multi-line string: after `text:`, lines up to a lone "."; ".." unstuffs to ".". */
  #multiline(pos: SievePos): string {
    const s = this.#s;
    // Only white space and a hash comment may follow `text:` on its line.
    let k = this.#i;
    while (k < s.length && (s[k] === " " || s[k] === "\t")) k++;
    if (s[k] === "#") { while (k < s.length && s[k] !== "\n") k++; }
    if (s[k] === "\r") k++;
    if (s[k] !== "\n") throw new SieveSyntaxError("expected end of line after 'text:'", pos);
    this.#newline(k);
    k++;
    const lines: string[] = [];
    for (;;) {
      if (k >= s.length) throw new SieveSyntaxError("unterminated multi-line string", pos);
      let end = s.indexOf("\n", k);
      if (end < 0) end = s.length;
      let line = s.slice(k, end);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      const at = end;
      k = end + 1;
      if (at < s.length) this.#newline(at);
      if (line === ".") break;
      lines.push(line.startsWith("..") ? line.slice(1) : line);
    }
    this.#i = k;
    return lines.map((l) => l + "\r\n").join("");
  }
}

/** The parser (RFC 5228 §8.2) over a token stream. */
class Parser {
  readonly #lex: Lexer;
  #tok: Token;
  #nodes = 0;
  readonly #limits: ParseLimits;

  constructor(src: string, limits: ParseLimits) {
    this.#lex = new Lexer(src);
    this.#limits = limits;
    this.#tok = this.#lex.next();
  }

  #advance(): Token {
    const t = this.#tok;
    this.#tok = this.#lex.next();
    return t;
  }

  /** The current token (a method, so narrowing does not survive `#advance`). */
  #peek(): Token {
    return this.#tok;
  }

  #count(pos: SievePos): void {
    if (++this.#nodes > this.#limits.maxNodes) throw new SieveSyntaxError("script too complex", pos);
  }

  #isSym(v: string): boolean {
    return this.#tok.t === "sym" && this.#tok.v === v;
  }

  #expectSym(v: string, what: string): void {
    if (!this.#isSym(v)) {
      throw new SieveSyntaxError(`expected ${what}, found ${describe(this.#tok)}`, this.#tok.pos);
    }
    this.#advance();
  }

  script(): SieveCommandNode[] {
    const cmds = this.#commands(0);
    if (this.#tok.t !== "eof") {
      throw new SieveSyntaxError(`unexpected ${describe(this.#tok)}`, this.#tok.pos);
    }
    return cmds;
  }

  #commands(depth: number): SieveCommandNode[] {
    const out: SieveCommandNode[] = [];
    while (this.#tok.t === "id") out.push(this.#command(depth));
    return out;
  }

  #command(depth: number): SieveCommandNode {
    const id = this.#advance() as Extract<Token, { t: "id" }>;
    this.#count(id.pos);
    const { args, tests } = this.#arguments(depth);
    if (this.#isSym(";")) {
      this.#advance();
      return { name: id.v, args, tests, block: null, pos: id.pos };
    }
    if (this.#isSym("{")) {
      const open = this.#advance();
      if (depth + 1 > this.#limits.maxNesting) {
        throw new SieveSyntaxError("blocks nested too deeply", open.pos);
      }
      const block = this.#commands(depth + 1);
      this.#expectSym("}", "'}' or a command");
      return { name: id.v, args, tests, block, pos: id.pos };
    }
    throw new SieveSyntaxError(`expected ';' or '{', found ${describe(this.#tok)}`, this.#tok.pos);
  }

  /** `arguments = *argument [ test / test-list ]`. */
  #arguments(depth: number): { args: SieveArg[]; tests: SieveTestNode[] } {
    const args: SieveArg[] = [];
    for (;;) {
      const t = this.#tok;
      if (t.t === "tag") {
        this.#advance();
        this.#count(t.pos);
        args.push({ kind: "tag", name: t.v, pos: t.pos });
      } else if (t.t === "num") {
        this.#advance();
        this.#count(t.pos);
        args.push({ kind: "number", value: t.v, pos: t.pos });
      } else if (t.t === "str") {
        this.#advance();
        this.#count(t.pos);
        args.push({ kind: "strings", values: [t.v], list: false, pos: t.pos });
      } else if (t.t === "sym" && t.v === "[") {
        this.#advance();
        const values: string[] = [];
        for (;;) {
          const s = this.#tok;
          if (s.t !== "str") throw new SieveSyntaxError(`expected a string, found ${describe(s)}`, s.pos);
          this.#advance();
          this.#count(s.pos);
          values.push(s.v);
          if (this.#isSym(",")) {
            this.#advance();
            continue;
          }
          this.#expectSym("]", "',' or ']'");
          break;
        }
        args.push({ kind: "strings", values, list: true, pos: t.pos });
      } else {
        break;
      }
    }
    const tests: SieveTestNode[] = [];
    if (this.#tok.t === "id") {
      tests.push(this.#test(depth + 1));
    } else if (this.#isSym("(")) {
      const open = this.#advance();
      if (depth + 1 > this.#limits.maxNesting) {
        throw new SieveSyntaxError("tests nested too deeply", open.pos);
      }
      for (;;) {
        const next = this.#peek();
        if (next.t !== "id") throw new SieveSyntaxError(`expected a test, found ${describe(next)}`, next.pos);
        tests.push(this.#test(depth + 1));
        if (this.#isSym(",")) {
          this.#advance();
          continue;
        }
        this.#expectSym(")", "',' or ')'");
        break;
      }
    }
    return { args, tests };
  }

  #test(depth: number): SieveTestNode {
    const id = this.#advance() as Extract<Token, { t: "id" }>;
    if (depth > this.#limits.maxNesting) throw new SieveSyntaxError("tests nested too deeply", id.pos);
    this.#count(id.pos);
    const { args, tests } = this.#arguments(depth);
    return { name: id.v, args, tests, pos: id.pos };
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case "eof":
      return "end of script";
    case "id":
      return `identifier '${t.v}'`;
    case "tag":
      return `tag ':${t.v}'`;
    case "num":
      return "a number";
    case "str":
      return "a string";
    case "sym":
      return `'${t.v}'`;
  }
}

/**
 * Parses a Sieve script into its command list.
 *
 * @param src the script text
 * @param limits size, nesting and node limits
 * @returns the top-level commands
 * @throws SieveSyntaxError with line and column
 */
export function parseSieve(src: string, limits: Partial<ParseLimits> = {}): SieveCommandNode[] {
  const l = { ...DEFAULT_PARSE_LIMITS, ...limits };
  if (src.length > l.maxSize) throw new SieveSyntaxError("script too large", { line: 1, column: 1 });
  return new Parser(src, l).script();
}
