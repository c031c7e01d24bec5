/**
 * The Sieve validator: checks a parsed script against the commands, tests and tags Tern knows
 * (RFC 5228 and the extensions in `SIEVE_EXTENSIONS`) and turns it into the compiled form the
 * interpreter runs. Every error (unknown command, extension not required, wrong argument, tag
 * conflict, misplaced `require`/`elsif`/`else`, bad comparator or relational operator, bad date
 * part) is a `SieveSyntaxError` with the position of the offending node, so ManageSieve, JMAP and
 * the CLI report it the same way.
 *
 * @module
 */
import {
  type ParseLimits,
  parseSieve,
  type SieveArg,
  type SieveCommandNode,
  type SievePos,
  SieveSyntaxError,
  type SieveTestNode,
} from "./parser.ts";
import { regexProblem } from "./match.ts";

/** The extensions Tern implements, as `require` names them and ManageSieve's SIEVE capability lists them. */
export const SIEVE_EXTENSIONS: readonly string[] = [
  "fileinto",
  "reject",
  "ereject",
  "envelope",
  "encoded-character",
  "imap4flags",
  "body",
  "variables",
  "date",
  "index",
  "relational",
  "subaddress",
  "copy",
  "vacation",
  "vacation-seconds",
  "include",
  "mailbox",
  "environment",
  "editheader",
  "duplicate",
  "spamtest",
  "spamtestplus",
  "virustest",
  "regex",
  "comparator-i;octet",
  "comparator-i;ascii-casemap",
  "comparator-i;ascii-numeric",
];

/** A tag's value: a flag (true), a number, or strings. */
export type TagValue = true | number | string[];

/** A compiled test. */
export interface CompiledTest {
  name: string;
  tags: Map<string, TagValue>;
  /** Positional arguments: strings (a list, maybe of one) or numbers. */
  args: (string[] | number)[];
  tests: CompiledTest[];
  pos: SievePos;
}

/** A compiled command. */
export interface CompiledCommand extends CompiledTest {
  block: CompiledCommand[] | null;
}

/** A compiled script: what the interpreter runs, cached per script version. */
export interface CompiledScript {
  commands: CompiledCommand[];
  /** The capabilities the script requires. */
  requires: Set<string>;
}

type ArgType = "string" | "strings" | "number";

interface TagSpec {
  /** Type of the tag's argument, if it takes one. */
  arg?: ArgType;
  /** The capability it needs. */
  ext?: string;
  /** Tags of one group exclude each other. */
  group?: string;
}

interface Spec {
  ext?: string | string[];
  tags?: Record<string, TagSpec>;
  /** Positional argument types; the first `optional` of them may be left out. */
  args: ArgType[];
  optional?: number;
  tests?: "none" | "one" | "list";
  block?: boolean;
}

const COMPARATOR: Record<string, TagSpec> = { comparator: { arg: "string", group: "comparator" } };
const MATCH: Record<string, TagSpec> = {
  is: { group: "match" },
  contains: { group: "match" },
  matches: { group: "match" },
  regex: { group: "match", ext: "regex" },
  value: { group: "match", arg: "string", ext: "relational" },
  count: { group: "match", arg: "string", ext: "relational" },
};
const ADDRPART: Record<string, TagSpec> = {
  all: { group: "addrpart" },
  localpart: { group: "addrpart" },
  domain: { group: "addrpart" },
  user: { group: "addrpart", ext: "subaddress" },
  detail: { group: "addrpart", ext: "subaddress" },
};
const INDEX: Record<string, TagSpec> = {
  index: { arg: "number", ext: "index" },
  last: { ext: "index" },
};
const ZONE: Record<string, TagSpec> = {
  zone: { arg: "string", group: "zone" },
  originalzone: { group: "zone" },
};

const COMMANDS: Record<string, Spec> = {
  require: { args: ["strings"] },
  if: { args: [], tests: "one", block: true },
  elsif: { args: [], tests: "one", block: true },
  else: { args: [], block: true },
  stop: { args: [] },
  keep: { args: [], tags: { flags: { arg: "strings", ext: "imap4flags" } } },
  discard: { args: [] },
  redirect: { args: ["string"], tags: { copy: { ext: "copy" } } },
  fileinto: {
    ext: "fileinto",
    args: ["string"],
    tags: {
      copy: { ext: "copy" },
      flags: { arg: "strings", ext: "imap4flags" },
      create: { ext: "mailbox" },
    },
  },
  reject: { ext: "reject", args: ["string"] },
  ereject: { ext: "ereject", args: ["string"] },
  vacation: {
    ext: "vacation",
    args: ["string"],
    tags: {
      days: { arg: "number", group: "period" },
      seconds: { arg: "number", group: "period", ext: "vacation-seconds" },
      subject: { arg: "string" },
      from: { arg: "string" },
      addresses: { arg: "strings" },
      mime: {},
      handle: { arg: "string" },
    },
  },
  setflag: { ext: "imap4flags", args: ["string", "strings"], optional: 1 },
  addflag: { ext: "imap4flags", args: ["string", "strings"], optional: 1 },
  removeflag: { ext: "imap4flags", args: ["string", "strings"], optional: 1 },
  set: {
    ext: "variables",
    args: ["string", "string"],
    tags: {
      lower: { group: "case" },
      upper: { group: "case" },
      lowerfirst: { group: "first" },
      upperfirst: { group: "first" },
      quotewildcard: { group: "quote" },
      quoteregex: { group: "quote", ext: "regex" },
      length: {},
    },
  },
  include: {
    ext: "include",
    args: ["string"],
    tags: { personal: { group: "location" }, global: { group: "location" }, once: {}, optional: {} },
  },
  return: { ext: "include", args: [] },
  global: { ext: ["include", "variables"], args: ["strings"] },
  addheader: { ext: "editheader", args: ["string", "string"], tags: { last: {} } },
  deleteheader: {
    ext: "editheader",
    args: ["string", "strings"],
    optional: -1,
    tags: { ...COMPARATOR, ...MATCH, index: { arg: "number" }, last: {} },
  },
};

const TESTS: Record<string, Spec> = {
  address: { args: ["strings", "strings"], tags: { ...COMPARATOR, ...MATCH, ...ADDRPART, ...INDEX } },
  envelope: { ext: "envelope", args: ["strings", "strings"], tags: { ...COMPARATOR, ...MATCH, ...ADDRPART } },
  header: { args: ["strings", "strings"], tags: { ...COMPARATOR, ...MATCH, ...INDEX } },
  exists: { args: ["strings"] },
  size: {
    args: ["number"],
    tags: { over: { group: "size" }, under: { group: "size" } },
  },
  allof: { args: [], tests: "list" },
  anyof: { args: [], tests: "list" },
  not: { args: [], tests: "one" },
  true: { args: [] },
  false: { args: [] },
  body: {
    ext: "body",
    args: ["strings"],
    tags: {
      ...COMPARATOR,
      ...MATCH,
      raw: { group: "transform" },
      content: { group: "transform", arg: "strings" },
      text: { group: "transform" },
    },
  },
  date: {
    ext: "date",
    args: ["string", "string", "strings"],
    tags: { ...ZONE, ...COMPARATOR, ...MATCH, ...INDEX },
  },
  currentdate: {
    ext: "date",
    args: ["string", "strings"],
    tags: { zone: { arg: "string" }, ...COMPARATOR, ...MATCH },
  },
  string: { ext: "variables", args: ["strings", "strings"], tags: { ...COMPARATOR, ...MATCH } },
  hasflag: {
    ext: "imap4flags",
    args: ["strings", "strings"],
    optional: 1,
    tags: { ...COMPARATOR, ...MATCH },
  },
  mailboxexists: { ext: "mailbox", args: ["strings"] },
  environment: { ext: "environment", args: ["string", "strings"], tags: { ...COMPARATOR, ...MATCH } },
  duplicate: {
    ext: "duplicate",
    args: [],
    tags: {
      handle: { arg: "string" },
      header: { arg: "string", group: "id" },
      uniqueid: { arg: "string", group: "id" },
      seconds: { arg: "number" },
      last: {},
    },
  },
  spamtest: {
    ext: ["spamtest", "spamtestplus"],
    args: ["string"],
    tags: { percent: { ext: "spamtestplus" }, ...COMPARATOR, ...MATCH },
  },
  virustest: { ext: "virustest", args: ["string"], tags: { ...COMPARATOR, ...MATCH } },
};

/** RFC 5231 §5: relational operators. */
export const RELATIONAL_OPS: readonly string[] = ["gt", "ge", "lt", "le", "eq", "ne"];
/** RFC 5260 §4: date parts. */
export const DATE_PARTS: readonly string[] = [
  "year",
  "month",
  "day",
  "date",
  "julian",
  "hour",
  "minute",
  "second",
  "time",
  "iso8601",
  "std11",
  "zone",
  "weekday",
];
const COMPARATORS = ["i;octet", "i;ascii-casemap", "i;ascii-numeric"];

/** Options of `compileSieve`. */
export interface CompileOptions {
  limits?: Partial<ParseLimits>;
}

/**
 * Parses and validates a script.
 *
 * @param src the script text
 * @returns the compiled script
 * @throws SieveSyntaxError with line and column
 */
export function compileSieve(src: string, opts: CompileOptions = {}): CompiledScript {
  const tree = parseSieve(src, opts.limits);
  const requires = new Set<string>();
  const v = new Validator(requires);
  const commands = v.block(tree, true);
  return { commands, requires };
}

class Validator {
  readonly requires: Set<string>;

  constructor(requires: Set<string>) {
    this.requires = requires;
  }

  #need(ext: string | string[] | undefined, what: string, pos: SievePos): void {
    if (ext === undefined) return;
    const list = Array.isArray(ext) ? ext : [ext];
    if (list.some((e) => this.requires.has(e))) return;
    // RFC 5228 §3.2: using an extension without requiring it is an error.
    throw new SieveSyntaxError(`${what} needs require "${list[0]}"`, pos);
  }

  block(cmds: SieveCommandNode[], top: boolean): CompiledCommand[] {
    const out: CompiledCommand[] = [];
    let requireAllowed = top;
    let prev: string | null = null;
    for (const c of cmds) {
      if (c.name === "require") {
        // RFC 5228 §3.2: require only at the start of the script.
        if (!requireAllowed) throw new SieveSyntaxError("require must come before any other command", c.pos);
      } else {
        requireAllowed = false;
      }
      if ((c.name === "elsif" || c.name === "else") && prev !== "if" && prev !== "elsif") {
        throw new SieveSyntaxError(`${c.name} without a preceding if`, c.pos);
      }
      const compiled = this.#command(c);
      if (c.name === "require") {
        for (const ext of compiled.args[0] as string[]) {
          if (!SIEVE_EXTENSIONS.includes(ext)) {
            throw new SieveSyntaxError(`unsupported extension "${ext}"`, c.pos);
          }
          this.requires.add(ext);
        }
      }
      out.push(compiled);
      prev = c.name;
    }
    return out;
  }

  #command(c: SieveCommandNode): CompiledCommand {
    const spec = COMMANDS[c.name];
    if (!spec) throw new SieveSyntaxError(`unknown command "${c.name}"`, c.pos);
    this.#need(spec.ext, `command "${c.name}"`, c.pos);
    const base = this.#node(c, spec, "command");
    if (spec.block && c.block === null) throw new SieveSyntaxError(`${c.name} needs a block`, c.pos);
    if (!spec.block && c.block !== null) throw new SieveSyntaxError(`${c.name} takes no block`, c.pos);
    return { ...base, block: c.block === null ? null : this.block(c.block, false) };
  }

  #test(t: SieveTestNode): CompiledTest {
    const spec = TESTS[t.name];
    if (!spec) throw new SieveSyntaxError(`unknown test "${t.name}"`, t.pos);
    this.#need(spec.ext, `test "${t.name}"`, t.pos);
    return this.#node(t, spec, "test");
  }

  #node(n: SieveTestNode, spec: Spec, kind: string): CompiledTest {
    const tags = new Map<string, TagValue>();
    const groups = new Map<string, string>();
    const positional: SieveArg[] = [];
    const specTags = spec.tags ?? {};
    for (let i = 0; i < n.args.length; i++) {
      const a = n.args[i]!;
      if (a.kind !== "tag") {
        positional.push(a);
        continue;
      }
      // RFC 5228 §2.6.2: tagged arguments come before positional ones.
      if (positional.length > 0) {
        throw new SieveSyntaxError(`tag :${a.name} after positional arguments`, a.pos);
      }
      const ts = specTags[a.name];
      if (!ts) throw new SieveSyntaxError(`unknown tag :${a.name} for ${kind} "${n.name}"`, a.pos);
      this.#need(ts.ext, `tag :${a.name}`, a.pos);
      if (tags.has(a.name)) throw new SieveSyntaxError(`tag :${a.name} given twice`, a.pos);
      if (ts.group) {
        const other = groups.get(ts.group);
        if (other) throw new SieveSyntaxError(`tags :${other} and :${a.name} exclude each other`, a.pos);
        groups.set(ts.group, a.name);
      }
      if (ts.arg) {
        const v = n.args[++i];
        if (!v || v.kind === "tag") throw new SieveSyntaxError(`tag :${a.name} needs an argument`, a.pos);
        tags.set(a.name, this.#value(v, ts.arg, `tag :${a.name}`));
      } else {
        tags.set(a.name, true);
      }
    }
    // The size test is `size :over n` / `size :under n`: one of the two is required (RFC 5228 §5.9).
    if (n.name === "size" && !groups.has("size")) {
      throw new SieveSyntaxError("size needs :over or :under", n.pos);
    }
    const min = spec.optional === -1 ? spec.args.length - 1 : spec.args.length - (spec.optional ?? 0);
    if (positional.length < min || positional.length > spec.args.length) {
      const want = min === spec.args.length ? `${min}` : `${min} to ${spec.args.length}`;
      throw new SieveSyntaxError(
        `${kind} "${n.name}" takes ${want} positional argument(s), got ${positional.length}`,
        n.pos,
      );
    }
    // With the optional leading argument left out (setflag "\\Seen"), the given ones are the last ones.
    const types = spec.optional === -1 || spec.optional === undefined
      ? spec.args.slice(0, positional.length)
      : spec.args.slice(spec.args.length - positional.length);
    const args = positional.map((a, i) => this.#value(a, types[i]!, `argument ${i + 1} of "${n.name}"`));
    const wantTests = spec.tests ?? "none";
    if (wantTests === "none" && n.tests.length > 0) {
      throw new SieveSyntaxError(`"${n.name}" takes no test`, n.pos);
    }
    if (wantTests === "one" && n.tests.length !== 1) {
      throw new SieveSyntaxError(`"${n.name}" needs one test`, n.pos);
    }
    if (wantTests === "list" && n.tests.length === 0) {
      throw new SieveSyntaxError(`"${n.name}" needs a test list`, n.pos);
    }
    const node: CompiledTest = {
      name: n.name,
      tags,
      args,
      tests: n.tests.map((t) => this.#test(t)),
      pos: n.pos,
    };
    this.#semantics(node, n);
    return node;
  }

  #value(a: SieveArg, type: ArgType, what: string): string[] | number {
    if (type === "number") {
      if (a.kind !== "number") throw new SieveSyntaxError(`${what} must be a number`, a.pos);
      return a.value;
    }
    if (a.kind !== "strings") throw new SieveSyntaxError(`${what} must be a string`, a.pos);
    if (type === "string" && a.list) throw new SieveSyntaxError(`${what} must be a single string`, a.pos);
    return this.requires.has("encoded-character") ? a.values.map((s) => decodeEncoded(s, a.pos)) : a.values;
  }

  /** Checks of argument values known at compile time. */
  #semantics(node: CompiledTest, n: SieveTestNode): void {
    const cmp = node.tags.get("comparator");
    if (Array.isArray(cmp)) {
      const name = cmp[0]!.toLowerCase();
      if (!COMPARATORS.includes(name)) throw new SieveSyntaxError(`unknown comparator "${cmp[0]}"`, n.pos);
      // RFC 5228 §2.7.3: i;octet and i;ascii-casemap are always there; others must be required.
      if (name === "i;ascii-numeric") {
        this.#need("comparator-i;ascii-numeric", "comparator i;ascii-numeric", n.pos);
      }
    }
    for (const rel of ["value", "count"]) {
      const op = node.tags.get(rel);
      if (Array.isArray(op) && !RELATIONAL_OPS.includes(op[0]!.toLowerCase())) {
        throw new SieveSyntaxError(`unknown relational operator "${op[0]}"`, n.pos);
      }
    }
    if (
      node.tags.has("last") && !node.tags.has("index") && n.name !== "duplicate" && n.name !== "addheader"
    ) {
      throw new SieveSyntaxError(":last needs :index", n.pos);
    }
    if (node.name === "date" || node.name === "currentdate") {
      const part = node.args[node.name === "date" ? 1 : 0] as string[];
      if (!hasVariables(part[0]!, this.requires) && !DATE_PARTS.includes(part[0]!.toLowerCase())) {
        throw new SieveSyntaxError(`unknown date part "${part[0]}"`, n.pos);
      }
    }
    if (node.name === "set") {
      const name = (node.args[0] as string[])[0]!;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new SieveSyntaxError(`bad variable name "${name}"`, n.pos);
      }
    }
    if (node.name === "vacation") {
      const from = node.tags.get("from");
      if (Array.isArray(from) && !hasVariables(from[0]!, this.requires) && !/@/.test(from[0]!)) {
        throw new SieveSyntaxError(`vacation :from is not an address`, n.pos);
      }
    }
    if (node.name === "include") {
      const name = (node.args[0] as string[])[0]!;
      if (!isScriptName(name)) throw new SieveSyntaxError(`bad script name "${name}"`, n.pos);
    }
    if (node.tags.has("regex")) {
      for (const key of node.args.at(-1) as string[]) {
        if (hasVariables(key, this.requires)) continue;
        try {
          new RegExp(key, "u");
        } catch {
          throw new SieveSyntaxError(`bad regular expression "${key}"`, n.pos);
        }
        const unsafe = regexProblem(key);
        if (unsafe) throw new SieveSyntaxError(`regular expression refused: ${unsafe}`, n.pos);
      }
    }
  }
}

/** Whether a string mentions a variable (and so is only known at run time). */
function hasVariables(s: string, requires: Set<string>): boolean {
  return requires.has("variables") && s.includes("${");
}

/** RFC 5804 §1.6 script names: 1 to 128 characters, no controls, no "/" (kept simple and safe). */
export function isScriptName(name: string): boolean {
  if (name.length === 0 || name.length > 128) return false;
  // deno-lint-ignore no-control-regex
  return !/[\u0000-\u001f\u007f\u0080-\u009f\u2028\u2029/]/.test(name);
}

/**
 * RFC 5228 §2.4.2.4 encoded-character: `${hex: 41 42}` and `${unicode: 263a}` in strings decode to
 * the characters; a malformed one is left as written; a bad Unicode scalar is an error.
 */
export function decodeEncoded(s: string, pos: SievePos): string {
  if (!s.includes("${")) return s;
  return s.replace(/\$\{(hex|unicode):([\s0-9A-Fa-f]*)\}/gi, (whole, kind: string, body: string) => {
    const items = body.trim().split(/\s+/).filter((x) => x !== "");
    if (items.length === 0) return whole;
    if (kind.toLowerCase() === "hex") {
      if (items.some((h) => h.length > 2)) return whole;
      const bytes = new Uint8Array(items.map((h) => parseInt(h, 16)));
      return new TextDecoder().decode(bytes);
    }
    let out = "";
    for (const u of items) {
      const cp = u.length > 8 ? NaN : parseInt(u, 16);
      if (!(cp >= 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) {
        throw new SieveSyntaxError(`invalid Unicode character ${u}`, pos);
      }
      out += String.fromCodePoint(cp);
    }
    return out;
  });
}
