/**
 * Token tree of a parsed IMAP command (RFC 9051 §9 grammar, generic form). Command handlers read
 * their arguments from this tree with the helpers in args.ts.
 *
 * @module
 */

/** An atom (NIL, flags, sequence sets, keywords, FETCH items); FETCH section items carry `section`. */
export interface AtomToken {
  /** Token kind. */
  type: "atom";
  /** The atom text as sent (case preserved). */
  value: string;
  /** Text inside `[...]` for BODY[...], BODY.PEEK[...], BINARY[...] items. */
  section?: string;
  /** `<origin.count>` partial; count absent for `<origin>` (only valid in responses, kept for errors). */
  partial?: { origin: number; count: number | null };
}

/** A quoted string or literal. */
export interface StringToken {
  /** Token kind. */
  type: "string";
  /** UTF-8 decoded value. */
  value: string;
  /** Raw bytes (literals keep them exactly; APPEND uses these). */
  bytes: Uint8Array;
  /** Sent as a literal (not a quoted string). */
  literal: boolean;
  /** literal8 `~{n}` (RFC 3516). */
  binary: boolean;
}

/** A parenthesised list. */
export interface ListToken {
  /** Token kind. */
  type: "list";
  /** List elements. */
  items: Token[];
}

/** Any token. */
export type Token = AtomToken | StringToken | ListToken;

/** A parsed command. */
export interface ParsedCommand {
  /** Command tag. */
  tag: string;
  /** Uppercased command name; for `UID FETCH` this is "FETCH" with `uid` true. */
  name: string;
  /** True for UID commands. */
  uid: boolean;
  /** Arguments after the command name. */
  args: Token[];
}
