/**
 * Managing an account's Sieve scripts: the rules ManageSieve (RFC 5804), JMAP for Sieve (RFC 9661)
 * and the CLI share. A script is stored only when its name is valid, it fits the size and count
 * limits, and it compiles (RFC 5804 §2.6: PUTSCRIPT must not store an invalid script).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { AccountId } from "../store/types.ts";
import type { SieveScriptInfo } from "../store/records/sieve_scripts.ts";
import { SieveSyntaxError } from "./parser.ts";
import { compileSieve, isScriptName } from "./validate.ts";

/** Largest script in UTF-8 octets (RFC 5804 §1.7 MAXSCRIPTSIZE-like limit, also JMAP maxSizeScript). */
export const MAX_SCRIPT_BYTES = 256 * 1024;
/** Most scripts per account. */
export const MAX_SCRIPTS_PER_ACCOUNT = 64;

/** Why a script operation was refused. */
export type ScriptErrorCode = "badName" | "tooBig" | "tooMany" | "invalid";

/** A refused script operation. */
export class ScriptError extends Error {
  override name = "ScriptError";
  /**
   * @param code why
   * @param message detail (for `invalid`: the syntax error with line and column)
   */
  constructor(readonly code: ScriptErrorCode, message: string) {
    super(message);
  }
}

/** Checks a script's text: null when it compiles, else the error (with line and column). */
export function checkScript(content: string): SieveSyntaxError | null {
  try {
    compileSieve(content, { limits: { maxSize: MAX_SCRIPT_BYTES } });
    return null;
  } catch (e) {
    if (e instanceof SieveSyntaxError) return e;
    throw e;
  }
}

/**
 * RFC 5804 §2.3 HAVESPACE: whether a script of `size` octets named `name` would fit (replacing a
 * script of that name counts as one script, not two).
 */
export async function haveSpace(
  store: Store,
  accountId: AccountId,
  name: string,
  size: number,
): Promise<ScriptError | null> {
  if (!isScriptName(name)) return new ScriptError("badName", "Invalid script name");
  if (size > MAX_SCRIPT_BYTES) {
    return new ScriptError("tooBig", `Scripts are limited to ${MAX_SCRIPT_BYTES} octets`);
  }
  const list = await store.sieveScripts.list(accountId);
  if (!list.some((s) => s.name === name) && list.length >= MAX_SCRIPTS_PER_ACCOUNT) {
    return new ScriptError("tooMany", `At most ${MAX_SCRIPTS_PER_ACCOUNT} scripts per account`);
  }
  return null;
}

/**
 * Validates and stores a script (created or replaced by name).
 *
 * @throws ScriptError when the name, size, count or syntax is refused
 */
export async function putScript(
  store: Store,
  accountId: AccountId,
  name: string,
  content: string,
): Promise<SieveScriptInfo> {
  const space = await haveSpace(store, accountId, name, new TextEncoder().encode(content).length);
  if (space) throw space;
  const error = checkScript(content);
  if (error) throw new ScriptError("invalid", error.message);
  return await store.sieveScripts.put(accountId, name, content);
}
