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
import { DEFAULT_SIEVE_LIMITS, type SieveLimits } from "./settings.ts";

/** Largest script in UTF-8 octets by default (`[sieve] max_script_size`). */
export const MAX_SCRIPT_BYTES = DEFAULT_SIEVE_LIMITS.maxScriptBytes;
/** Most scripts per account by default (`[sieve] max_scripts`). */
export const MAX_SCRIPTS_PER_ACCOUNT = DEFAULT_SIEVE_LIMITS.maxScripts;

/** The size and count limits these functions apply. */
export type ScriptLimits = Pick<SieveLimits, "maxScriptBytes" | "maxScripts">;

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
export function checkScript(
  content: string,
  limits: ScriptLimits = DEFAULT_SIEVE_LIMITS,
): SieveSyntaxError | null {
  try {
    compileSieve(content, { limits: { maxSize: limits.maxScriptBytes } });
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
  limits: ScriptLimits = DEFAULT_SIEVE_LIMITS,
): Promise<ScriptError | null> {
  if (!isScriptName(name)) return new ScriptError("badName", "Invalid script name");
  if (size > limits.maxScriptBytes) {
    return new ScriptError("tooBig", `Scripts are limited to ${limits.maxScriptBytes} octets`);
  }
  const list = await store.sieveScripts.list(accountId);
  if (!list.some((s) => s.name === name) && list.length >= limits.maxScripts) {
    return new ScriptError("tooMany", `At most ${limits.maxScripts} scripts per account`);
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
  limits: ScriptLimits = DEFAULT_SIEVE_LIMITS,
): Promise<SieveScriptInfo> {
  const space = await haveSpace(store, accountId, name, new TextEncoder().encode(content).length, limits);
  if (space) throw space;
  const error = checkScript(content, limits);
  if (error) throw new ScriptError("invalid", error.message);
  return await store.sieveScripts.put(accountId, name, content);
}
