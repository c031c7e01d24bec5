/**
 * The Sieve interpreter (RFC 5228 §2.10 and the extensions of validate.ts): a compiled script, a
 * message and its envelope in; the list of actions out. It never touches the store: filing,
 * flagging, redirecting, rejecting and replying are the delivery stage's job (stage.ts). Bounded in
 * steps, wall-clock time, actions, redirects, includes and variable sizes; any run-time error
 * (a limit, a bad regular expression, a conflicting action) gives the implicit keep alone
 * (RFC 5228 §2.10.6) and the reason in `error`.
 *
 * @module
 */
import { encodeEncodedWords } from "../mime/encoded_words.ts";
import { parseDateWithZone } from "../mime/date.ts";
import {
  type BodyTransform,
  decodedValue,
  fieldAddresses,
  indexByKey,
  type SieveField,
  SieveMessage,
  TEXT_TYPES,
} from "./message.ts";
import {
  asciiLower,
  type Comparator,
  matchAny,
  type MatchType,
  quoteRegex,
  quoteWildcard,
  SieveRuntimeError,
} from "./match.ts";
import type { CompiledCommand, CompiledScript, CompiledTest, TagValue } from "./validate.ts";
import { datePart, parseZone } from "./date_parts.ts";

/** The envelope of the message being filtered. */
export interface SieveEnvelope {
  /** Reverse-path, or null for `<>`. */
  from: string | null;
  /** The recipient this run is for. */
  to: string;
}

/** Run-time limits. */
export interface RunLimits {
  /** Most actions (fileinto, redirect, keep, …) per run. */
  maxActions: number;
  /** Most redirects per message. */
  maxRedirects: number;
  /** Most commands and tests evaluated. */
  maxSteps: number;
  /** Longest run in milliseconds (checked between steps). */
  maxMillis: number;
  /** Deepest include nesting (RFC 6609 §3.2). */
  maxIncludeDepth: number;
  /** Longest variable value (characters). */
  maxVariableSize: number;
  /** Most variables. */
  maxVariables: number;
}

/** The default run-time limits. */
export const DEFAULT_RUN_LIMITS: RunLimits = {
  maxActions: 64,
  maxRedirects: 4,
  maxSteps: 100_000,
  maxMillis: 1000,
  maxIncludeDepth: 8,
  maxVariableSize: 64 * 1024,
  maxVariables: 512,
};

/** What the interpreter knows about the message and its surroundings. */
export interface SieveContext {
  /** The message as it will be stored (trace fields included). */
  raw: Uint8Array;
  /**
   * The same message parsed, shared by the runs of one delivery (one per recipient account):
   * used when its `raw` is this `raw`, else the run parses its own.
   */
  message?: SieveMessage;
  envelope: SieveEnvelope;
  /** The time of delivery (currentdate, vacation). */
  now: Date;
  /** The server's zone in minutes east of UTC (RFC 5260 §4.1 default zone); 0 by default. */
  localZone?: number;
  /** RFC 5183 environment items (lowercase names). */
  environment?: Readonly<Record<string, string>>;
  /** RFC 3685 spamtest value 1..10, or null when the message was not tested ("0"). */
  spamScore?: number | null;
  /** RFC 5235 spamtestplus percentage 0..100, or null when not tested. */
  spamPercent?: number | null;
  /** RFC 3685 virustest value 1..5, or null when not tested. */
  virusScore?: number | null;
  /** RFC 5490 §3.1 mailboxexists. */
  mailboxExists?(name: string): Promise<boolean>;
  /**
   * RFC 7352 §3 duplicate tracking, read only: whether `id` is in the account's list under
   * `handle` (and not expired). What to add to the list comes back in `SieveResult.duplicates`,
   * for the caller to record once the run has succeeded and its outcome is applied.
   */
  duplicate?(id: string, handle: string): Promise<boolean>;
  /** RFC 6609 include: the named script of the user (personal) or of the server (global), or null. */
  include?(name: string, location: "personal" | "global"): Promise<CompiledScript | null>;
  /** Over {@link DEFAULT_RUN_LIMITS}; read once per object (not to be changed once used). */
  limits?: Partial<RunLimits>;
}

/** An action for the delivery stage (RFC 5228 §4 and the extensions). */
export type SieveAction =
  /** File into the Inbox with these flags (keep or the implicit keep). */
  | { type: "keep"; flags: string[] }
  | { type: "fileinto"; mailbox: string; flags: string[]; create: boolean }
  | { type: "redirect"; address: string }
  | { type: "discard" }
  /** RFC 5429: refuse the message (ereject: at the protocol level if possible). */
  | { type: "reject"; reason: string; extended: boolean }
  /** RFC 5230 / RFC 6131: send an auto-reply if one is due. */
  | {
    type: "vacation";
    reason: string;
    subject: string | null;
    from: string | null;
    addresses: string[];
    mime: boolean;
    handle: string;
    /** Minimum interval between replies to one sender. */
    seconds: number;
  };

/** RFC 7352 §3: an identifier a `duplicate` test saw, to add to the tracking list after the run. */
export interface DuplicateMark {
  id: string;
  handle: string;
  /** How long the entry lasts from now (`:seconds`, or the default). */
  seconds: number;
  /** `:last`: a seen entry's period starts again. */
  last: boolean;
}

/** The outcome of a run. */
export interface SieveResult {
  /** The actions, in execution order; the implicit keep, when it applies, is the last `keep`. */
  actions: SieveAction[];
  /** Whether the implicit keep was in effect at the end. */
  implicitKeep: boolean;
  /** The message after editheader changes (RFC 5293), or null when its header was not edited. */
  message: Uint8Array | null;
  /** Why the run failed (the actions are then the implicit keep alone), or null. */
  error: string | null;
  /**
   * RFC 7352 §3: the identifiers `duplicate` tests looked up, to record only because the run
   * succeeded (empty when it failed: "the list MUST NOT be updated" then).
   */
  duplicates: DuplicateMark[];
}

/** RFC 5230 §4.1: default period 7 days; at least 1 day unless given in seconds (RFC 6131). */
const DEFAULT_VACATION_DAYS = 7;
const MAX_VACATION_DAYS = 90;
/** RFC 7352 §3.3 default tracking period. */
const DEFAULT_DUPLICATE_SECONDS = 7 * 86_400;
/** Header fields no script may add or delete (RFC 5293 §7: trace and loop protection). */
const PROTECTED_FIELDS = new Set(["received", "auto-submitted"]);

type Field = SieveField;

/** A test compiled into a closure (once per test of a compiled script, see {@link Run.compileBlock}). */
type TestFn = (run: Run, frame: Frame) => boolean;
/** A block compiled into a closure. */
type BlockFn = (run: Run, frame: Frame) => void;
/** A string list argument: the compiled list when it holds no `${…}` to expand, else null. */
type ConstStrings = readonly string[] | null;

class Stop {}
class Return {}

interface Frame {
  script: CompiledScript;
  locals: Map<string, string>;
  globals: Set<string>;
}

const encoder = new TextEncoder();
/** The tags of a test without `:index` (a plain field lookup). */
const NO_TAGS: Map<string, TagValue> = new Map();
const NO_STRINGS: readonly string[] = Object.freeze([]);

/**
 * Runs a compiled script on a message.
 *
 * @param script the compiled script
 * @param ctx the message, envelope and services
 * @returns the actions (never throws)
 */
export function runSieve(script: CompiledScript, ctx: SieveContext): Promise<SieveResult> {
  const run = new Run(ctx);
  // A script that never waits (the usual one) runs to its end here, without a promise per level.
  if (!isSyncBlock(script.commands)) return runAsync(run, script);
  try {
    run.mainSync(script);
    return Promise.resolve(run.result());
  } catch (e) {
    return Promise.resolve(failedRun(e));
  }
}

async function runAsync(run: Run, script: CompiledScript): Promise<SieveResult> {
  try {
    await run.main(script);
    return run.result();
  } catch (e) {
    return failedRun(e);
  }
}

/** RFC 5228 §2.10.6: a run that failed keeps the message, and says why. */
function failedRun(e: unknown): SieveResult {
  const error = e instanceof SieveRuntimeError
    ? e.message
    : `internal error: ${e instanceof Error ? e.message : e}`;
  return {
    actions: [{ type: "keep", flags: [] }],
    implicitKeep: true,
    message: null,
    error,
    duplicates: [],
  };
}

class Run {
  readonly ctx: SieveContext;
  readonly limits: RunLimits;
  readonly actions: SieveAction[] = [];
  implicitKeep = true;
  flags: string[] = [];
  readonly globals = new Map<string, string>();
  matchVars: string[] = [];
  steps = 0;
  readonly started = performance.now();
  redirects = 0;
  readonly includeStack: string[] = [];
  /** RFC 6609 §3.2 `:once`: the scripts included so far (made on the first include). */
  included: Set<string> | null = null;
  /** The message as received, parsed lazily (body tests read it, not an edited one). */
  readonly msg: SieveMessage;
  /** The fields after editheader changes, or null while the header is the original one. */
  #fields: readonly Field[] | null = null;
  /** {@link #fields} by lowercase name (built on first lookup, dropped when editheader changes them). */
  #byKey: Map<string, Field[]> | null = null;
  /** RFC 7352: what the run's `duplicate` tests found, by handle and id (one answer per run). */
  #seen: Map<string, boolean> | null = null;
  readonly #marks: DuplicateMark[] = [];
  /** Values already folded for i;ascii-casemap in this run (a header is often tested many times). */
  #folded: Map<string, string> | null = null;
  readonly #lower = (v: string): string => {
    // A long value (a body) is folded directly: hashing it for the memo costs as much.
    if (v.length > 1024) return asciiLower(v);
    const memo = this.#folded ??= new Map();
    let f = memo.get(v);
    if (f === undefined) {
      f = asciiLower(v);
      if (memo.size < 1024) memo.set(v, f);
    }
    return f;
  };
  #edited = false;

  constructor(ctx: SieveContext) {
    this.ctx = ctx;
    this.msg = ctx.message?.raw === ctx.raw ? ctx.message : new SieveMessage(ctx.raw);
    this.limits = ctx.limits ? limitsOf(ctx.limits) : DEFAULT_RUN_LIMITS;
  }

  /** {@link main} for a script whose top block never waits. */
  mainSync(script: CompiledScript): void {
    const frame: Frame = { script, locals: new Map(), globals: new Set() };
    try {
      this.blockSync(script.commands, frame);
    } catch (e) {
      if (!(e instanceof Stop) && !(e instanceof Return)) throw e;
    }
  }

  async main(script: CompiledScript): Promise<void> {
    const frame: Frame = { script, locals: new Map(), globals: new Set() };
    try {
      await this.block(script.commands, frame);
    } catch (e) {
      if (!(e instanceof Stop) && !(e instanceof Return)) throw e;
    }
  }

  result(): SieveResult {
    const acts = this.actions;
    const reject = acts.find((a) => a.type === "reject");
    if (reject) {
      // RFC 5429 §2.1 / RFC 5230 §4.7: reject excludes delivery actions and vacation.
      if (
        acts.some((a) =>
          a.type === "keep" || a.type === "fileinto" || a.type === "redirect" || a.type === "vacation"
        )
      ) {
        throw new SieveRuntimeError("reject cannot be combined with keep, fileinto, redirect or vacation");
      }
      if (acts.filter((a) => a.type === "reject").length > 1) {
        throw new SieveRuntimeError("more than one reject");
      }
    }
    const actions = [...acts];
    if (this.implicitKeep) actions.push({ type: "keep", flags: [...this.flags] });
    return {
      actions,
      implicitKeep: this.implicitKeep,
      message: this.#edited ? this.#rebuild() : null,
      error: null,
      duplicates: this.#marks,
    };
  }

  #step(): void {
    if (++this.steps > this.limits.maxSteps) throw new SieveRuntimeError("too many steps");
    if ((this.steps & 255) === 0 && performance.now() - this.started > this.limits.maxMillis) {
      throw new SieveRuntimeError("run time exceeded");
    }
  }

  #push(a: SieveAction): void {
    if (this.actions.length >= this.limits.maxActions) throw new SieveRuntimeError("too many actions");
    this.actions.push(a);
  }

  async block(cmds: CompiledCommand[], frame: Frame): Promise<void> {
    // A block that never waits (the usual script) runs without a promise per command and test.
    if (isSyncBlock(cmds)) return this.blockSync(cmds, frame);
    let i = 0;
    while (i < cmds.length) {
      const c = cmds[i]!;
      if (c.name === "if") {
        // RFC 5228 §3.1: an if, its elsifs and its else run the first block whose test holds.
        let done = false;
        let j = i;
        while (j < cmds.length && (j === i || cmds[j]!.name === "elsif" || cmds[j]!.name === "else")) {
          const cj = cmds[j]!;
          this.#step();
          if (!done && (cj.name === "else" || await this.test(cj.tests[0]!, frame))) {
            done = true;
            await this.block(cj.block!, frame);
          }
          j++;
        }
        i = j;
        continue;
      }
      this.#step();
      await this.command(c, frame);
      i++;
    }
  }

  /**
   * {@link block} for a block without `include`, `mailboxexists` or `duplicate`: runs the block's
   * closure, compiled on its first run and kept with the compiled script's block.
   */
  blockSync(cmds: CompiledCommand[], frame: Frame): void {
    let fn = compiledBlocks.get(cmds);
    if (fn === undefined) {
      fn = Run.compileBlock(cmds, frame.script.requires.has("variables"));
      compiledBlocks.set(cmds, fn);
    }
    fn(this, frame);
  }

  /** The closure of a sync block: the work that depends on the script alone is done here, once. */
  static compileBlock(cmds: CompiledCommand[], vars: boolean): BlockFn {
    const steps: BlockFn[] = [];
    let i = 0;
    while (i < cmds.length) {
      const c = cmds[i]!;
      if (c.name === "if") {
        // RFC 5228 §3.1, as in block(): each branch of the chain counts a step, as before.
        const chain: { test: TestFn | null; block: BlockFn }[] = [];
        let j = i;
        while (j < cmds.length && (j === i || cmds[j]!.name === "elsif" || cmds[j]!.name === "else")) {
          const cj = cmds[j]!;
          chain.push({
            test: cj.name === "else" ? null : Run.compileTest(cj.tests[0]!, vars),
            block: Run.compileBlock(cj.block!, vars),
          });
          j++;
        }
        if (chain.length === 1) {
          // A lone `if` (the usual rule): the same step, test and block, without the loop.
          const { test, block } = chain[0]!;
          steps.push((run, frame) => {
            run.#step();
            if (test!(run, frame)) block(run, frame);
          });
          i = j;
          continue;
        }
        steps.push((run, frame) => {
          let done = false;
          for (const b of chain) {
            run.#step();
            if (!done && (b.test === null || b.test(run, frame))) {
              done = true;
              b.block(run, frame);
            }
          }
        });
        i = j;
        continue;
      }
      steps.push((run, frame) => {
        run.#step();
        run.commandSync(c, frame);
      });
      i++;
    }
    return (run, frame) => {
      for (const s of steps) s(run, frame);
    };
  }

  /**
   * The closure of a sync test. The usual tests (`header`, `address`, `exists` and the logical
   * ones) get their tags, match plan, lowercased field names and folded keys resolved here; the
   * others, and any with `${…}` in a name or key list, run through {@link testSync}.
   */
  static compileTest(t: CompiledTest, vars: boolean): TestFn {
    const generic: TestFn = (run, frame) => run.testSync(t, frame);
    const constant = (v: string[] | number | TagValue | undefined): ConstStrings => {
      if (!Array.isArray(v)) return NO_STRINGS;
      return vars && v.some((s) => s.includes("${")) ? null : v;
    };
    switch (t.name) {
      case "true":
      case "false":
        return generic;
      case "not": {
        const inner = Run.compileTest(t.tests[0]!, vars);
        return (run, frame) => {
          run.#step();
          return !inner(run, frame);
        };
      }
      case "allof":
      case "anyof": {
        const subs = t.tests.map((x) => Run.compileTest(x, vars));
        const all = t.name === "allof";
        return (run, frame) => {
          run.#step();
          for (const x of subs) if (x(run, frame) !== all) return !all;
          return all;
        };
      }
      case "exists": {
        const names = constant(t.args[0]);
        if (names === null) return generic;
        const keys = names.map(lowerName);
        return (run) => {
          run.#step();
          for (const k of keys) if (run.#fieldsByKey(k).length === 0) return false;
          return true;
        };
      }
      case "header":
      case "address": {
        const names = constant(t.args[0]);
        const keys = constant(t.args[1]);
        if (names === null || keys === null || typeof t.tags.get("index") === "number") return generic;
        const fieldKeys = names.map(lowerName);
        const plan = matchPlanOf(t.tags);
        const want = vars && (plan.match.type === "matches" || plan.match.type === "regex");
        const isAddress = t.name === "address";
        const part = isAddress ? addressPartOf(t.tags) : "all";
        const mt = plan.match.type;
        if (plan.cmp === "i;ascii-casemap" && (mt === "is" || mt === "contains")) {
          // The common case: values folded once per field per run, keys once per script; the
          // same outcome as matchAny's (RFC 5228 §2.7.1, RFC 4790 §9.2).
          const folded = keys.map(asciiLower);
          const is = mt === "is";
          const hit = (v: string): boolean => {
            for (const k of folded) if (is ? v === k : v.includes(k)) return true;
            return false;
          };
          return (run) => {
            run.#step();
            for (const key of fieldKeys) {
              for (const f of run.#fieldsByKey(key)) {
                if (!isAddress) {
                  if (hit(f.folded ??= asciiLower(run.#decoded(f)))) return true;
                  continue;
                }
                // Folding keeps "@" and "+" where they are: the part of the folded address is
                // the folded part.
                for (const a of f.foldedAddresses ??= run.#addresses(f).map(asciiLower)) {
                  const p = addressPart(a, part);
                  if (p !== null && hit(p)) return true;
                }
              }
            }
            return false;
          };
        }
        return (run) => {
          run.#step();
          let values: string[] | null = null;
          for (const key of fieldKeys) {
            for (const f of run.#fieldsByKey(key)) {
              if (!isAddress) (values ??= []).push(run.#decoded(f));
              else {
                for (const a of run.#addresses(f)) {
                  const p = addressPart(a, part);
                  if (p !== null) (values ??= []).push(p);
                  else values ??= [];
                }
              }
            }
          }
          // No such field (the usual case): only :count can hold, and only for "0".
          if (values === null && mt !== "count") return false;
          return run.#matchWith(plan, want, values ?? NO_STRINGS, keys);
        };
      }
    }
    return generic;
  }

  // ---- strings and variables (RFC 5229) ----

  #expand(frame: Frame, s: string): string {
    if (!frame.script.requires.has("variables") || !s.includes("${")) return s;
    let out = "";
    for (const part of templateOf(s)) {
      if (typeof part === "string") out += part;
      else if (part.kind === "match") out += this.matchVars[part.index] ?? "";
      else if (part.kind === "global") out += this.globals.get(part.name) ?? "";
      else if (part.kind === "local") {
        const name = part.name;
        out += (frame.globals.has(name) ? this.globals.get(name) : frame.locals.get(name)) ?? "";
      }
    }
    return out;
  }

  #strs(frame: Frame, v: string[] | number | TagValue | undefined): readonly string[] {
    if (!Array.isArray(v)) return NO_STRINGS;
    // Most strings have nothing to expand: the compiled list itself, no copy.
    if (!frame.script.requires.has("variables") || !v.some((s) => s.includes("${"))) return v;
    return v.map((s) => this.#expand(frame, s));
  }

  #str(frame: Frame, v: string[] | number | TagValue | undefined): string {
    return this.#strs(frame, v)[0] ?? "";
  }

  #setVar(frame: Frame, name: string, value: string): void {
    const key = name.toLowerCase();
    const v = value.length > this.limits.maxVariableSize
      ? value.slice(0, this.limits.maxVariableSize)
      : value;
    const map = frame.globals.has(key) ? this.globals : frame.locals;
    if (!map.has(key) && frame.locals.size + this.globals.size >= this.limits.maxVariables) {
      throw new SieveRuntimeError("too many variables");
    }
    map.set(key, v);
  }

  #getVar(frame: Frame, name: string): string {
    const key = name.toLowerCase();
    return (frame.globals.has(key) ? this.globals.get(key) : frame.locals.get(key)) ?? "";
  }

  // ---- the message ----

  /** The header as tests see it now: the original fields, or the edited ones (RFC 5293 §4). */
  #headers(): readonly Field[] {
    // Header tests need the header alone: the body is parsed only when a body test runs.
    return this.#fields ?? this.msg.fields;
  }

  #setFields(fields: readonly Field[]): void {
    this.#fields = fields;
    this.#byKey = null;
    this.#edited = true;
  }

  /** The value a header test compares (RFC 2047 decoded, trimmed), decoded once per field. */
  #decoded(f: Field): string {
    return decodedValue(f);
  }

  /** The addresses of a field's value, as address tests see them (parsed once per field). */
  #addresses(f: Field): string[] {
    return fieldAddresses(f);
  }

  /** The fields named `name`, narrowed by RFC 5260 §6 `:index` / `:last`. */
  #fieldsNamed(name: string, tags: Map<string, TagValue>): readonly Field[] {
    const all = this.#fieldsByKey(lowerName(name));
    const index = tags.get("index");
    if (typeof index !== "number") return all;
    const i = tags.has("last") ? all.length - index : index - 1;
    return index >= 1 && i >= 0 && i < all.length ? [all[i]!] : [];
  }

  /** The fields whose lowercase name is `key`, in order. */
  #fieldsByKey(key: string): readonly Field[] {
    const edited = this.#fields;
    // The original header's index is the message's, shared by every run of the delivery.
    if (edited === null) return this.msg.named(key);
    this.#byKey ??= indexByKey(edited);
    return this.#byKey.get(key) ?? NO_FIELDS;
  }

  #rebuild(): Uint8Array {
    const raw = this.ctx.raw;
    const parts = this.#headers().map((f) =>
      f.start >= 0 ? raw.subarray(f.start, f.end) : encoder.encode(`${f.name}: ${f.value}\r\n`)
    );
    const lastEnd = this.msg.lastFieldEnd;
    const bodyStart = this.msg.headerEnd;
    // The blank line that ended the header (a header-only message gets one).
    const sep = bodyStart > lastEnd ? raw.subarray(lastEnd, bodyStart) : encoder.encode("\r\n");
    parts.push(sep, raw.subarray(bodyStart));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  // ---- commands ----

  async command(c: CompiledCommand, frame: Frame): Promise<void> {
    if (c.name === "include") return await this.#include(c, frame);
    return this.commandSync(c, frame);
  }

  /** Every command but `include` (the one that waits). */
  commandSync(c: CompiledCommand, frame: Frame): void {
    const t = c.tags;
    switch (c.name) {
      case "require":
        return;
      case "stop":
        throw new Stop();
      case "keep":
        this.#push({
          type: "keep",
          flags: t.has("flags") ? normalizeFlags(this.#strs(frame, t.get("flags"))) : [...this.flags],
        });
        this.implicitKeep = false;
        return;
      case "discard":
        this.#push({ type: "discard" });
        this.implicitKeep = false;
        return;
      case "fileinto": {
        const mailbox = this.#str(frame, c.args[0]);
        if (mailbox === "") throw new SieveRuntimeError("fileinto: empty mailbox name");
        const flags = t.has("flags") ? normalizeFlags(this.#strs(frame, t.get("flags"))) : [...this.flags];
        this.#push({ type: "fileinto", mailbox, flags, create: t.has("create") });
        if (!t.has("copy")) this.implicitKeep = false;
        return;
      }
      case "redirect": {
        const address = this.#str(frame, c.args[0]).trim().replace(/^<(.*)>$/, "$1");
        // RFC 5228 §4.2: the argument must be a valid address.
        if (!/^[^\s@<>()",;]+@[^\s@<>()",;]+$/.test(address)) {
          throw new SieveRuntimeError(`redirect: invalid address "${address}"`);
        }
        if (++this.redirects > this.limits.maxRedirects) throw new SieveRuntimeError("too many redirects");
        // RFC 5228 §2.10.3: the same address twice is one redirect.
        if (
          !this.actions.some((a) =>
            a.type === "redirect" && a.address.toLowerCase() === address.toLowerCase()
          )
        ) {
          this.#push({ type: "redirect", address });
        }
        if (!t.has("copy")) this.implicitKeep = false;
        return;
      }
      case "reject":
      case "ereject":
        this.#push({ type: "reject", reason: this.#str(frame, c.args[0]), extended: c.name === "ereject" });
        this.implicitKeep = false;
        return;
      case "vacation":
        return this.#vacation(c, frame);
      case "setflag":
      case "addflag":
      case "removeflag":
        return this.#flagCommand(c, frame);
      case "set":
        return this.#set(c, frame);
      case "return":
        throw new Return();
      case "global":
        for (const n of this.#strs(frame, c.args[0])) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new SieveRuntimeError(`bad variable name "${n}"`);
          frame.globals.add(n.toLowerCase());
        }
        return;
      case "addheader":
        return this.#addHeader(c, frame);
      case "deleteheader":
        return this.#deleteHeader(c, frame);
    }
    throw new SieveRuntimeError(`unknown command ${c.name}`);
  }

  #vacation(c: CompiledCommand, frame: Frame): void {
    const t = c.tags;
    if (this.actions.some((a) => a.type === "vacation")) {
      throw new SieveRuntimeError("vacation executed twice");
    }
    let seconds: number;
    if (typeof t.get("seconds") === "number") {
      // RFC 6131 §2: 0 means every time; bounded like :days.
      seconds = Math.min(t.get("seconds") as number, MAX_VACATION_DAYS * 86_400);
    } else {
      const days = typeof t.get("days") === "number" ? t.get("days") as number : DEFAULT_VACATION_DAYS;
      // RFC 5230 §4.1: at least one day.
      seconds = Math.min(Math.max(days, 1), MAX_VACATION_DAYS) * 86_400;
    }
    const reason = this.#str(frame, c.args[0]);
    const subject = t.has("subject") ? this.#str(frame, t.get("subject")) : null;
    const from = t.has("from") ? this.#str(frame, t.get("from")) : null;
    // RFC 5230 §4.2: without :handle, replies with different content are tracked apart.
    const handle = t.has("handle")
      ? this.#str(frame, t.get("handle"))
      : `auto:${hashString(`${reason}\u0000${subject ?? ""}\u0000${from ?? ""}\u0000${t.has("mime")}`)}`;
    this.#push({
      type: "vacation",
      reason,
      subject,
      from,
      addresses: [...this.#strs(frame, t.get("addresses"))],
      mime: t.has("mime"),
      handle,
      seconds,
    });
  }

  #flagCommand(c: CompiledCommand, frame: Frame): void {
    const hasVar = c.args.length === 2;
    const list = normalizeFlags(this.#strs(frame, c.args[hasVar ? 1 : 0]));
    const current = hasVar ? splitFlags(this.#getVar(frame, this.#str(frame, c.args[0]))) : this.flags;
    let next: string[];
    // RFC 5232 §3.1-3.3.
    if (c.name === "setflag") next = list;
    else if (c.name === "addflag") next = normalizeFlags([...current, ...list]);
    else {
      const drop = new Set(list.map((f) => asciiLower(f)));
      next = current.filter((f) => !drop.has(asciiLower(f)));
    }
    if (hasVar) this.#setVar(frame, this.#str(frame, c.args[0]), next.join(" "));
    else this.flags = next;
  }

  #set(c: CompiledCommand, frame: Frame): void {
    const t = c.tags;
    let v = this.#str(frame, c.args[1]);
    // RFC 5229 §4.1: modifiers apply by precedence, highest first.
    if (t.has("lower")) v = v.toLowerCase();
    if (t.has("upper")) v = v.toUpperCase();
    if (t.has("lowerfirst")) v = v.slice(0, 1).toLowerCase() + v.slice(1);
    if (t.has("upperfirst")) v = v.slice(0, 1).toUpperCase() + v.slice(1);
    if (t.has("quotewildcard")) v = quoteWildcard(v);
    if (t.has("quoteregex")) v = quoteRegex(v);
    if (t.has("length")) v = String([...v].length);
    this.#setVar(frame, (c.args[0] as string[])[0]!, v);
  }

  async #include(c: CompiledCommand, frame: Frame): Promise<void> {
    const t = c.tags;
    const name = this.#str(frame, c.args[0]);
    const location = t.has("global") ? "global" : "personal";
    const key = `${location}:${name}`;
    // RFC 6609 §3.2: :once includes a script at most once per run.
    if (t.has("once") && this.included?.has(key)) return;
    if (this.includeStack.includes(key)) throw new SieveRuntimeError(`include loop through "${name}"`);
    if (this.includeStack.length >= this.limits.maxIncludeDepth) {
      throw new SieveRuntimeError("includes nested too deeply");
    }
    const script = this.ctx.include ? await this.ctx.include(name, location) : null;
    if (!script) {
      if (t.has("optional")) return;
      throw new SieveRuntimeError(`included script "${name}" not found`);
    }
    (this.included ??= new Set()).add(key);
    this.includeStack.push(key);
    try {
      await this.block(script.commands, { script, locals: new Map(), globals: new Set() });
    } catch (e) {
      if (!(e instanceof Return)) throw e;
    } finally {
      this.includeStack.pop();
    }
  }

  #addHeader(c: CompiledCommand, frame: Frame): void {
    const name = this.#str(frame, c.args[0]);
    const value = this.#str(frame, c.args[1]);
    // RFC 5293 §4: a valid field name; a value with non-ASCII is RFC 2047 encoded.
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || name.length > 76) {
      throw new SieveRuntimeError(`addheader: invalid field name "${name}"`);
    }
    if (PROTECTED_FIELDS.has(name.toLowerCase())) return;
    if (value.length > 8192) throw new SieveRuntimeError("addheader: value too long");
    // deno-lint-ignore no-control-regex
    const clean = value.replace(/\r?\n[ \t]*/g, " ").replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "");
    // deno-lint-ignore no-control-regex
    const encoded = /[^\x00-\x7f]/.test(clean) ? encodeEncodedWords(clean) : clean;
    const f: Field = { name, key: name.toLowerCase(), value: encoded, start: -1, end: -1 };
    const fields = this.#headers();
    this.#setFields(c.tags.has("last") ? [...fields, f] : [f, ...fields]);
  }

  #deleteHeader(c: CompiledCommand, frame: Frame): void {
    const name = this.#str(frame, c.args[0]);
    if (PROTECTED_FIELDS.has(name.toLowerCase())) return;
    const patterns = c.args.length > 1 ? this.#strs(frame, c.args[1]) : null;
    const chosen = new Set(this.#fieldsNamed(name, c.tags));
    const { match, cmp } = this.#matchOf(c.tags);
    const fields = this.#headers();
    const keep = fields.filter((f) => {
      if (!chosen.has(f)) return true;
      if (patterns === null) return false;
      return !matchAny(match, cmp, [this.#decoded(f)], patterns, false).matched;
    });
    if (keep.length !== fields.length) this.#setFields(keep);
  }

  // ---- tests ----

  #matchOf(tags: Map<string, TagValue>): MatchPlan {
    return matchPlanOf(tags);
  }

  /** Matches values against keys with the test's tags, setting match variables on success. */
  #match(
    frame: Frame,
    tags: Map<string, TagValue>,
    values: readonly string[],
    keys: readonly string[],
  ): boolean {
    const plan = this.#matchOf(tags);
    const want = frame.script.requires.has("variables") &&
      (plan.match.type === "matches" || plan.match.type === "regex");
    return this.#matchWith(plan, want, values, keys);
  }

  /** {@link #match} with the plan resolved (compiled tests resolve it once per script). */
  #matchWith(
    plan: MatchPlan,
    wantCaptures: boolean,
    values: readonly string[],
    keys: readonly string[],
  ): boolean {
    const r = matchAny(plan.match, plan.cmp, values, keys, wantCaptures, this.#lower);
    if (r.matched && r.captures) this.matchVars = r.captures;
    return r.matched;
  }

  async test(t: CompiledTest, frame: Frame): Promise<boolean> {
    if (isSyncTest(t)) return this.testSync(t, frame);
    this.#step();
    switch (t.name) {
      case "not":
        return !await this.test(t.tests[0]!, frame);
      case "allof":
        for (const x of t.tests) if (!await this.test(x, frame)) return false;
        return true;
      case "anyof":
        for (const x of t.tests) if (await this.test(x, frame)) return true;
        return false;
      case "mailboxexists": {
        for (const name of this.#strs(frame, t.args[0])) {
          if (!this.ctx.mailboxExists || !await this.ctx.mailboxExists(name)) return false;
        }
        return true;
      }
      case "duplicate":
        return await this.#duplicate(t, frame);
    }
    throw new SieveRuntimeError(`unknown test ${t.name}`);
  }

  /** Every test but `mailboxexists` and `duplicate` (the ones that wait), nor any holding them. */
  testSync(t: CompiledTest, frame: Frame): boolean {
    this.#step();
    const tags = t.tags;
    switch (t.name) {
      case "true":
        return true;
      case "false":
        return false;
      case "not":
        return !this.testSync(t.tests[0]!, frame);
      case "allof":
        for (const x of t.tests) if (!this.testSync(x, frame)) return false;
        return true;
      case "anyof":
        for (const x of t.tests) if (this.testSync(x, frame)) return true;
        return false;
      case "exists":
        return this.#strs(frame, t.args[0]).every((n) => this.#fieldsNamed(n, NO_TAGS).length > 0);
      case "size": {
        const limit = t.args[0] as number;
        const size = this.#edited ? this.#rebuild().length : this.ctx.raw.length;
        return tags.has("over") ? size > limit : size < limit;
      }
      case "header": {
        const names = this.#strs(frame, t.args[0]);
        let values: string[] | null = null;
        for (const n of names) {
          for (const f of this.#fieldsNamed(n, tags)) (values ??= []).push(this.#decoded(f));
        }
        // No such field (the usual case): only :count can hold, and only for "0".
        if (values === null && this.#matchOf(tags).match.type !== "count") return false;
        return this.#match(frame, tags, values ?? NO_STRINGS, this.#strs(frame, t.args[1]));
      }
      case "address": {
        const values: string[] = [];
        for (const n of this.#strs(frame, t.args[0])) {
          for (const f of this.#fieldsNamed(n, tags)) {
            values.push(...this.#addresses(f));
          }
        }
        if (values.length === 0 && this.#matchOf(tags).match.type !== "count") return false;
        return this.#match(frame, tags, addressParts(values, tags), this.#strs(frame, t.args[1]));
      }
      case "envelope": {
        const env = this.ctx.envelope;
        const values: string[] = [];
        for (const part of this.#strs(frame, t.args[0])) {
          const p = part.toLowerCase();
          if (p === "from") values.push(env.from ?? "");
          else if (p === "to") values.push(env.to);
        }
        // RFC 5228 §5.4: the null reverse-path is the empty string for every address part.
        const parts = env.from === null && values.length === 1 && values[0] === ""
          ? [""]
          : addressParts(values, tags);
        return this.#match(frame, tags, parts, this.#strs(frame, t.args[1]));
      }
      case "body":
        return this.#match(frame, tags, this.#bodyTexts(frame, tags), this.#strs(frame, t.args[0]));
      case "date":
      case "currentdate":
        return this.#date(t, frame);
      case "string": {
        const values = this.#strs(frame, t.args[0]);
        // RFC 5229 §5: empty strings do not count for :count.
        const counted = tags.has("count") ? values.filter((v) => v !== "") : values;
        return this.#match(frame, tags, counted, this.#strs(frame, t.args[1]));
      }
      case "hasflag": {
        const vars = t.args.length === 2 ? this.#strs(frame, t.args[0]) : null;
        const flags = vars === null ? this.flags : vars.flatMap((v) => splitFlags(this.#getVar(frame, v)));
        return this.#match(frame, tags, flags, this.#strs(frame, t.args.at(-1)));
      }
      case "environment": {
        const name = this.#str(frame, t.args[0]).toLowerCase();
        const v = this.ctx.environment?.[name];
        return v !== undefined && this.#match(frame, tags, [v], this.#strs(frame, t.args[1]));
      }
      case "spamtest": {
        const v = tags.has("percent") ? this.ctx.spamPercent : this.ctx.spamScore;
        return this.#match(frame, tags, [String(v ?? 0)], this.#strs(frame, t.args[0]));
      }
      case "virustest":
        return this.#match(frame, tags, [String(this.ctx.virusScore ?? 0)], this.#strs(frame, t.args[0]));
    }
    throw new SieveRuntimeError(`unknown test ${t.name}`);
  }

  /** RFC 5173 §5: the body text the transform gives (extracted once per delivery and transform). */
  #bodyTexts(frame: Frame, tags: Map<string, TagValue>): readonly string[] {
    const transform: BodyTransform = tags.has("raw") ? "raw" : tags.has("content") ? "content" : "text";
    const types = tags.has("content")
      ? this.#strs(frame, tags.get("content")).map((s) => s.toLowerCase())
      : TEXT_TYPES;
    return this.msg.bodyTexts(transform, types);
  }

  #date(t: CompiledTest, frame: Frame): boolean {
    const tags = t.tags;
    const current = t.name === "currentdate";
    const part = this.#str(frame, t.args[current ? 0 : 1]);
    const keys = this.#strs(frame, t.args[current ? 1 : 2]);
    const zoneTag = tags.get("zone");
    let zone: number | null = this.ctx.localZone ?? 0;
    if (Array.isArray(zoneTag)) {
      zone = parseZone(this.#expand(frame, zoneTag[0]!));
      // RFC 5260 §4.1: a malformed zone makes the test false... as if the date were absent.
      if (zone === null) return false;
    }
    const instants: { date: Date; zone: number }[] = [];
    if (current) {
      instants.push({ date: this.ctx.now, zone });
    } else {
      for (const f of this.#fieldsNamed(this.#str(frame, t.args[0]), tags)) {
        // RFC 5260 §4: the date is the value after the last ";" when there is one (Received).
        const v = f.value.includes(";") ? f.value.slice(f.value.lastIndexOf(";") + 1) : f.value;
        const d = parseDateWithZone(v.trim());
        if (d) instants.push({ date: d.date, zone: tags.has("originalzone") ? d.offsetMinutes : zone });
      }
    }
    const values = instants.map((i) => datePart(i.date, i.zone, part)).filter((v): v is string => v !== null);
    if (values.length === 0 && !tags.has("count")) return false;
    return this.#match(frame, tags, values, keys);
  }

  async #duplicate(t: CompiledTest, frame: Frame): Promise<boolean> {
    const tags = t.tags;
    let id: string | null;
    if (tags.has("uniqueid")) id = this.#str(frame, tags.get("uniqueid"));
    else {
      const name = tags.has("header") ? this.#str(frame, tags.get("header")) : "message-id";
      const f = this.#fieldsNamed(name, NO_TAGS)[0];
      id = f ? this.#decoded(f) : null;
    }
    // RFC 7352 §3.1: without an identifier the test is false.
    if (!id || !this.ctx.duplicate) return false;
    const seconds = typeof tags.get("seconds") === "number"
      ? tags.get("seconds") as number
      : DEFAULT_DUPLICATE_SECONDS;
    const handle = tags.has("handle") ? this.#str(frame, tags.get("handle")) : "";
    this.#marks.push({ id, handle, seconds: Math.min(seconds, 365 * 86_400), last: tags.has("last") });
    // RFC 7352 §3: only earlier runs count, and every test of this run with the same arguments
    // gives the same answer; the list is updated after the run (SieveResult.duplicates).
    const key = `${handle}\u0000${id}`;
    const seenMemo = this.#seen ??= new Map();
    let seen = seenMemo.get(key);
    if (seen === undefined) {
      seen = await this.ctx.duplicate(id, handle);
      seenMemo.set(key, seen);
    }
    return seen;
  }
}

/** A test's match type and comparator, from its tags. */
interface MatchPlan {
  match: MatchType;
  cmp: Comparator;
}

const matchPlans = new WeakMap<Map<string, TagValue>, MatchPlan>();

/** A test's match plan, worked out once per test of the compiled script, not once per run. */
function matchPlanOf(tags: Map<string, TagValue>): MatchPlan {
  let plan = matchPlans.get(tags);
  if (plan) return plan;
  const cmpTag = tags.get("comparator");
  const cmp = (Array.isArray(cmpTag) ? cmpTag[0]!.toLowerCase() : "i;ascii-casemap") as Comparator;
  let match: MatchType = { type: "is" };
  for (const m of ["contains", "matches", "regex"] as const) if (tags.has(m)) match = { type: m };
  for (const m of ["value", "count"] as const) {
    const op = tags.get(m);
    if (Array.isArray(op)) match = { type: m, op: op[0]! };
  }
  plan = { match, cmp };
  matchPlans.set(tags, plan);
  return plan;
}

/** A piece of a string with variable references: literal text, or a reference to expand. */
type TemplatePart =
  | string
  | { kind: "match"; index: number }
  | { kind: "global"; name: string }
  | { kind: "local"; name: string }
  /** A namespace Tern does not have: expands to "". */
  | { kind: "none" };

const VARIABLE_REF = /\$\{([A-Za-z_][A-Za-z0-9_.]*|[0-9]+)\}/g;
const templates = new Map<string, readonly TemplatePart[]>();

/**
 * RFC 5229 §3: a string's `${name}`, `${N}` and `${namespace.name}` references, found once per
 * string (a compiled script's strings come back run after run; bounded). Unknown variables expand
 * to ""; malformed references stay as they are (they are literal text here).
 */
function templateOf(s: string): readonly TemplatePart[] {
  let parts = templates.get(s);
  if (parts !== undefined) return parts;
  const out: TemplatePart[] = [];
  let last = 0;
  for (const m of s.matchAll(VARIABLE_REF)) {
    if (m.index > last) out.push(s.slice(last, m.index));
    const ref = m[1]!;
    const name = ref.toLowerCase();
    if (/^[0-9]+$/.test(ref)) out.push({ kind: "match", index: Number(ref) });
    else if (name.startsWith("global.")) out.push({ kind: "global", name: name.slice(7) });
    else if (name.includes(".")) out.push({ kind: "none" });
    else out.push({ kind: "local", name });
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  parts = Object.freeze(out);
  if (templates.size < 4096 && s.length <= 1024) templates.set(s, parts);
  return parts;
}

const fullLimits = new WeakMap<Partial<RunLimits>, RunLimits>();

/** The limits with the defaults filled in, once per limits object (a stage passes the same one). */
function limitsOf(partial: Partial<RunLimits>): RunLimits {
  let full = fullLimits.get(partial);
  if (full === undefined) {
    full = Object.freeze({ ...DEFAULT_RUN_LIMITS, ...partial });
    fullLimits.set(partial, full);
  }
  return full;
}

/** The closures of the sync blocks of compiled scripts (a compiled script's blocks never change). */
const compiledBlocks = new WeakMap<CompiledCommand[], BlockFn>();
const NO_FIELDS: readonly Field[] = Object.freeze([]);
const lowerNames = new Map<string, string>();

/** A field name in lowercase, remembered (scripts name the same few fields run after run). */
function lowerName(name: string): string {
  let low = lowerNames.get(name);
  if (low === undefined) {
    low = name.toLowerCase();
    if (lowerNames.size < 4096) lowerNames.set(name, low);
  }
  return low;
}

const syncTests = new WeakMap<CompiledTest, boolean>();
const syncBlocks = new WeakMap<CompiledCommand[], boolean>();

/** Whether a test and its sub-tests run without waiting (no `mailboxexists`, no `duplicate`). */
function isSyncTest(t: CompiledTest): boolean {
  let v = syncTests.get(t);
  if (v === undefined) {
    v = t.name !== "mailboxexists" && t.name !== "duplicate" && t.tests.every(isSyncTest);
    syncTests.set(t, v);
  }
  return v;
}

/** Whether a block runs without waiting: no `include`, only such tests, only such blocks inside. */
function isSyncBlock(cmds: CompiledCommand[]): boolean {
  let v = syncBlocks.get(cmds);
  if (v === undefined) {
    v = cmds.every((c) =>
      c.name !== "include" && c.tests.every(isSyncTest) && (!c.block || isSyncBlock(c.block))
    );
    syncBlocks.set(cmds, v);
  }
  return v;
}

/** The plain-address shortcut of address tests (core/sieve/message.ts), for its corpus test. */
export { simpleAddress } from "./message.ts";

/** The address part an address test compares (RFC 5228 §2.7.4, RFC 5233 §4). */
type AddressPart = "all" | "localpart" | "domain" | "user" | "detail";

/** The address part of a test's tags, as {@link addressParts} picks it. */
function addressPartOf(tags: Map<string, TagValue>): AddressPart {
  for (const p of ["localpart", "domain", "user", "detail"] as const) if (tags.has(p)) return p;
  return "all";
}

/** One address's part, or null for `:detail` of an address without one (as {@link addressParts}). */
function addressPart(a: string, part: AddressPart): string | null {
  if (part === "all") return a;
  const at = a.lastIndexOf("@");
  const local = at < 0 ? a : a.slice(0, at);
  switch (part) {
    case "localpart":
      return local;
    case "domain":
      return at < 0 ? "" : a.slice(at + 1);
    case "user":
      return local.split("+")[0]!;
    case "detail": {
      // RFC 5233 §4: an address without a detail part matches no :detail key.
      const plus = local.indexOf("+");
      return plus >= 0 ? local.slice(plus + 1) : null;
    }
  }
}

/** RFC 5228 §2.7.4 and RFC 5233 §4: the address parts asked for. */
function addressParts(addresses: readonly string[], tags: Map<string, TagValue>): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const at = a.lastIndexOf("@");
    const local = at < 0 ? a : a.slice(0, at);
    const domain = at < 0 ? "" : a.slice(at + 1);
    if (tags.has("localpart")) out.push(local);
    else if (tags.has("domain")) out.push(domain);
    else if (tags.has("user")) out.push(local.split("+")[0]!);
    else if (tags.has("detail")) {
      // RFC 5233 §4: an address without a detail part matches no :detail key.
      const plus = local.indexOf("+");
      if (plus >= 0) out.push(local.slice(plus + 1));
    } else out.push(a);
  }
  return out;
}

/** RFC 5232 §2: a flag list is space-separated; duplicates (case-insensitively) removed. */
export function normalizeFlags(list: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of list.flatMap(splitFlags)) {
    const k = asciiLower(f);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out;
}

function splitFlags(s: string): string[] {
  return s.split(" ").filter((x) => x !== "");
}

/** A short stable hash (FNV-1a) for vacation handles. */
function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
