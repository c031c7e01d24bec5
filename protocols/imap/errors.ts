/**
 * Command outcomes: the tagged status with an optional response code (RFC 9051 §7.1).
 *
 * @module
 */

/** Response codes Tern sends (RFC 9051 §7.1 and extensions). */
export type ResponseCode =
  | "ALERT"
  | "ALREADYEXISTS"
  | "AUTHENTICATIONFAILED"
  | "AUTHORIZATIONFAILED"
  | "CANNOT"
  | "CLIENTBUG"
  | "CLOSED"
  | "CONTACTADMIN"
  | "EXPIRED"
  | "EXPUNGEISSUED"
  | "HASCHILDREN"
  | "INUSE"
  | "LIMIT"
  | "NONEXISTENT"
  | "NOPERM"
  | "OVERQUOTA"
  | "PARSE"
  | "PRIVACYREQUIRED"
  | "SERVERBUG"
  | "TOOBIG"
  | "TRYCREATE"
  | "UNAVAILABLE"
  | "UNKNOWN-CTE"
  | "READ-ONLY"
  | "READ-WRITE";

/** A tagged reply. `code` is the text inside the brackets (may carry data, e.g. "APPENDUID 1 5"). */
export interface Reply {
  /** Tagged status. */
  status: "OK" | "NO" | "BAD";
  /** Response code text inside the brackets. */
  code?: string;
  /** Human-readable text. */
  text: string;
  /** The handler already wrote the tagged reply (STARTTLS). */
  silent?: boolean;
}

/** Thrown by command handlers to end a command with NO or BAD. */
export class ImapError extends Error {
  /** Error name. */
  override name = "ImapError";
  /**
   * Creates the error.
   *
   * @param status NO or BAD
   * @param message human-readable text for the client
   * @param code optional response code
   */
  constructor(readonly status: "NO" | "BAD", message: string, readonly code?: ResponseCode | string) {
    super(message);
  }
}

/** Shorthand for BAD (syntax). */
export function bad(message: string, code?: ResponseCode): ImapError {
  return new ImapError("BAD", message, code);
}

/** Shorthand for NO. */
export function no(message: string, code?: ResponseCode | string): ImapError {
  return new ImapError("NO", message, code);
}

/** A successful reply. */
export function ok(text: string, code?: string): Reply {
  return code ? { status: "OK", code, text } : { status: "OK", text };
}
