/**
 * The shape of a command handler and the session states (RFC 9051 §3).
 *
 * @module
 */
import type { ImapSession, ImapState } from "../session_types.ts";
import type { ParsedCommand } from "../parser/tokens.ts";
import type { Reply } from "../errors.ts";

export type { ImapState };

/** A command: the states it is valid in and its handler. */
export interface CommandSpec {
  /** States in which the command is allowed. */
  states: readonly ImapState[];
  /** Runs the command; throws ImapError for NO/BAD. */
  handle(s: ImapSession, cmd: ParsedCommand): Promise<Reply>;
}

/** Any state. */
export const ANY: readonly ImapState[] = ["notAuthenticated", "authenticated", "selected"];
/** Not authenticated only. */
export const NOT_AUTH: readonly ImapState[] = ["notAuthenticated"];
/** Authenticated or selected. */
export const AUTH: readonly ImapState[] = ["authenticated", "selected"];
/** Selected only. */
export const SELECTED: readonly ImapState[] = ["selected"];
