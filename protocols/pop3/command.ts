/**
 * POP3 command-line parser (RFC 1939 §3, RFC 2449 §4): a keyword of 3-4 characters, case
 * insensitive, then arguments separated by single spaces. Pure: a line in, a command or an error out.
 *
 * @module
 */

/** RFC 2449 §4: a command line is at most 255 octets including the CRLF. */
export const MAX_COMMAND_LINE = 255;
/** RFC 2449 §4: each argument is at most 40 octets. AUTH responses are longer and read separately. */
export const MAX_ARGUMENT = 40;

/** A parsed command. */
export interface Pop3Command {
  /** Uppercased keyword, e.g. "RETR". */
  verb: string;
  args: string[];
}

/** Why a line could not be parsed. */
export interface Pop3ParseError {
  error: string;
}

/**
 * Parses one command line (without its CRLF). PASS keeps everything after the keyword as a single
 * argument, since passwords may contain spaces (RFC 1939 §7 allows it as a server choice).
 */
export function parsePop3Command(line: string): Pop3Command | Pop3ParseError {
  if (line.length === 0) return { error: "Empty command" };
  const sp = line.indexOf(" ");
  const keyword = sp === -1 ? line : line.slice(0, sp);
  if (!/^[A-Za-z]{3,4}$/.test(keyword)) return { error: "Unknown command" };
  const verb = keyword.toUpperCase();
  if (sp === -1) return { verb, args: [] };
  const rest = line.slice(sp + 1);
  if (verb === "PASS") return { verb, args: [rest] };
  const args = rest.split(" ");
  // A trailing space (or double spaces) leaves empty strings, which RFC 1939 does not allow.
  if (args.some((a) => a.length === 0)) return { error: "Malformed arguments" };
  if (verb !== "AUTH" && args.some((a) => a.length > MAX_ARGUMENT)) return { error: "Argument too long" };
  return { verb, args };
}

/** Parses a message-number argument: a positive decimal integer without leading sign. */
export function parseMessageNumber(arg: string | undefined): number | null {
  if (arg === undefined || !/^[0-9]{1,9}$/.test(arg)) return null;
  const n = Number(arg);
  return n >= 1 ? n : null;
}

/** Parses a non-negative decimal (TOP's line count). */
export function parseNonNegative(arg: string | undefined): number | null {
  if (arg === undefined || !/^[0-9]{1,9}$/.test(arg)) return null;
  return Number(arg);
}
