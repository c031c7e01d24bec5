/**
 * Typed access to a command's arguments, with BAD replies for anything that does not match the
 * command's grammar (RFC 9051 §9).
 *
 * @module
 */
import { bad } from "../errors.ts";
import type { ListToken, Token } from "./tokens.ts";
import { parseSequenceSet, type SequenceSet } from "./sequence_set.ts";

/** A cursor over argument tokens. */
export class Args {
  #i = 0;
  /**
   * Creates a cursor.
   *
   * @param tokens the arguments (or a list's items)
   */
  constructor(readonly tokens: Token[]) {}

  /** True when all arguments were consumed. */
  get done(): boolean {
    return this.#i >= this.tokens.length;
  }

  /** The next token without consuming it. */
  peek(): Token | undefined {
    return this.tokens[this.#i];
  }

  /** Consumes any token. */
  next(what = "argument"): Token {
    const t = this.tokens[this.#i++];
    if (!t) throw bad(`Missing ${what}`);
    return t;
  }

  /** Fails unless every argument was consumed. */
  end(): void {
    if (!this.done) throw bad("Too many arguments");
  }

  /** An atom (case preserved). */
  atom(what = "atom"): string {
    const t = this.next(what);
    if (t.type !== "atom" || t.section !== undefined) throw bad(`Expected ${what}`);
    return t.value;
  }

  /** An astring (atom, quoted or literal). */
  astring(what = "string"): string {
    const t = this.next(what);
    if (t.type === "list" || (t.type === "atom" && t.section !== undefined)) throw bad(`Expected ${what}`);
    return t.value;
  }

  /** A string (quoted or literal, not an atom). */
  string(what = "string"): string {
    const t = this.next(what);
    if (t.type !== "string") throw bad(`Expected ${what}`);
    return t.value;
  }

  /** A parenthesised list. */
  list(what = "list"): ListToken {
    const t = this.next(what);
    if (t.type !== "list") throw bad(`Expected ${what}`);
    return t;
  }

  /** Consumes a list if the next token is one. */
  optionalList(): ListToken | null {
    const t = this.peek();
    if (t?.type === "list") {
      this.#i++;
      return t;
    }
    return null;
  }

  /** A sequence set. */
  sequenceSet(): SequenceSet {
    const s = parseSequenceSet(this.atom("sequence set"));
    if (!s) throw bad("Invalid sequence set");
    return s;
  }

  /** A non-negative 32-bit number. */
  number(what = "number"): number {
    const v = this.atom(what);
    if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw bad(`Invalid ${what}`);
    return Number(v);
  }
}

/** The atom texts of a list, uppercased; fails on non-atoms. */
export function atomList(list: ListToken): string[] {
  return list.items.map((t) => {
    if (t.type !== "atom") throw bad("Expected atoms in list");
    return t.value;
  });
}
