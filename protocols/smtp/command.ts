/**
 * The SMTP command parser (RFC 5321 §4.1, with the ESMTP parameter grammar of §4.1.2 and the
 * SMTPUTF8 extensions of RFC 6531 §3.3): pure, over one command line without its CRLF.
 *
 * @module
 */
import { Replies, type SmtpReply } from "./codes.ts";

/** An envelope mailbox (RFC 5321 §4.1.2 `Mailbox`). */
export interface MailAddress {
  /** Local part as sent (a Quoted-string keeps its quotes). */
  local: string;
  /** Domain or address literal; empty only for the bare `<Postmaster>` recipient. */
  domain: string;
}

/** ESMTP parameters by upper-cased keyword; `null` for a keyword without `=value`. */
export type EsmtpParams = Map<string, string | null>;

/** A parsed command. */
export type SmtpCommand =
  | { verb: "HELO" | "EHLO" | "LHLO"; domain: string }
  | { verb: "MAIL"; from: MailAddress | null; params: EsmtpParams }
  | { verb: "RCPT"; to: MailAddress; params: EsmtpParams }
  | { verb: "DATA" | "RSET" | "QUIT" | "STARTTLS" }
  | { verb: "NOOP" | "HELP" | "VRFY" | "EXPN"; arg: string }
  | { verb: "AUTH"; mechanism: string; initial: string | null }
  | { verb: "BDAT"; size: number; last: boolean };

/** Outcome of parsing one line. */
export type ParseResult = { ok: true; command: SmtpCommand } | { ok: false; reply: SmtpReply };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Renders an address as `local@domain` (or just `local` for `<Postmaster>`). */
export function addressToString(a: MailAddress): string {
  return a.domain === "" ? a.local : `${a.local}@${a.domain}`;
}

/** True when the address has non-ASCII characters (needs SMTPUTF8, RFC 6531 §3.4). */
export function isNonAscii(a: MailAddress): boolean {
  // deno-lint-ignore no-control-regex
  return /[^\x00-\x7f]/.test(a.local) || /[^\x00-\x7f]/.test(a.domain);
}

/** Parses one command line (bytes without CRLF). */
export function parseCommand(bytes: Uint8Array): ParseResult {
  let line: string;
  try {
    line = decoder.decode(bytes);
  } catch {
    return fail(Replies.syntax("Invalid UTF-8 in command"));
  }
  const m = /^([A-Za-z]+)(?: (.*))?$/s.exec(line);
  if (!m) return fail(line.trim() === "" ? Replies.unknownCommand() : Replies.unknownCommand());
  const verb = m[1]!.toUpperCase();
  const rest = m[2] ?? "";
  switch (verb) {
    case "HELO":
    case "EHLO":
    case "LHLO": // RFC 2033 §4.1: LMTP's EHLO
      return parseHello(verb, rest.trim());
    case "MAIL":
      return parseMail(rest);
    case "RCPT":
      return parseRcpt(rest);
    case "DATA":
    case "RSET":
    case "QUIT":
    case "STARTTLS":
      // RFC 5321 §4.1.1.4, §4.1.1.5, §4.1.1.10; RFC 3207 §4: no parameters.
      if (rest.trim() !== "") return fail(Replies.syntax(`Syntax: ${verb}`));
      return ok({ verb });
    case "NOOP":
    case "HELP":
    case "VRFY":
    case "EXPN":
      if ((verb === "VRFY" || verb === "EXPN") && rest.trim() === "") {
        return fail(Replies.syntax(`Syntax: ${verb} <string>`));
      }
      return ok({ verb, arg: rest.trim() });
    case "AUTH":
      return parseAuth(rest);
    case "BDAT":
      return parseBdat(rest);
    default:
      return fail(Replies.unknownCommand());
  }
}

function ok(command: SmtpCommand): ParseResult {
  return { ok: true, command };
}

function fail(reply: SmtpReply): ParseResult {
  return { ok: false, reply };
}

// RFC 5321 §4.1.2 Domain / address-literal, with RFC 6531 U-labels.
const LET_DIG = "[A-Za-z0-9\\u0080-\\u{10FFFF}]";
const LDH = "[-A-Za-z0-9\\u0080-\\u{10FFFF}]";
const SUB_DOMAIN = `${LET_DIG}(?:${LDH}*${LET_DIG})?`;
const DOMAIN_RE = new RegExp(`^${SUB_DOMAIN}(?:\\.${SUB_DOMAIN})*$`, "u");
const ADDRESS_LITERAL_RE =
  /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+|[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+)\]$/;
// RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3) plus UTF8-non-ascii (RFC 6531 §3.3).
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\u{10FFFF}]+";
const DOT_STRING_RE = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, "u");
// Quoted-string: qtextSMTP is %d32-33 / %d35-91 / %d93-126 (+ UTF-8), quoted-pairSMTP is "\" %d32-126.
const QUOTED_RE = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*"$/u;

/** True when `s` is a valid RFC 5321 Domain (with U-labels allowed). */
export function isDomain(s: string): boolean {
  return s.length > 0 && s.length <= 255 && DOMAIN_RE.test(s);
}

function parseHello(verb: "HELO" | "EHLO" | "LHLO", arg: string): ParseResult {
  // RFC 5321 §4.1.1.1: EHLO takes a Domain or an address literal; HELO a Domain. We accept a
  // literal for HELO too (many clients send it) but nothing with spaces or an empty argument.
  if (arg === "" || /\s/.test(arg)) return fail(Replies.syntax(`Syntax: ${verb} <hostname>`));
  // Underscores are tolerated: many desktop clients send their NetBIOS name.
  if (!isDomain(arg.replaceAll("_", "-")) && !ADDRESS_LITERAL_RE.test(arg)) {
    return fail(Replies.syntax(`Syntax: ${verb} <hostname>`));
  }
  return ok({ verb, domain: arg });
}

/** Parses a `<...>` path at the start of `s`; returns the path text inside and the remainder. */
function splitPath(s: string): { inner: string; rest: string } | null {
  if (!s.startsWith("<")) return null;
  // Quoted local parts may contain ">"; scan honouring quotes.
  let inQuote = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === "\\") i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') {
      inQuote = true;
    } else if (c === ">") {
      return { inner: s.slice(1, i), rest: s.slice(i + 1) };
    }
  }
  return null;
}

/** Parses RFC 5321 §4.1.2 `Mailbox`, dropping an obsolete source route (`@a,@b:`). */
export function parseMailbox(inner: string): MailAddress | null {
  let s = inner;
  // A-d-l ":" (source route): RFC 5321 §4.1.1.3 says servers SHOULD ignore it.
  const route = /^@[^:]*:/.exec(s);
  if (route) s = s.slice(route[0].length);
  const at = s.lastIndexOf("@");
  if (at <= 0) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 * 4) return null;
  if (!DOT_STRING_RE.test(local) && !QUOTED_RE.test(local)) return null;
  if (!isDomain(domain) && !ADDRESS_LITERAL_RE.test(domain)) return null;
  return { local, domain };
}

const KEYWORD_RE = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// RFC 5321 esmtp-value = 1*(%d33-60 / %d62-126), RFC 6531 §3.3 adds UTF8-non-ascii.
const VALUE_RE = /^[\x21-\x3c\x3e-\x7e\u0080-\u{10FFFF}]+$/u;

function parseParams(s: string): EsmtpParams | null {
  const params: EsmtpParams = new Map();
  for (const part of s.split(" ")) {
    if (part === "") continue; // tolerate doubled spaces
    const eq = part.indexOf("=");
    const key = (eq === -1 ? part : part.slice(0, eq)).toUpperCase();
    const value = eq === -1 ? null : part.slice(eq + 1);
    if (!KEYWORD_RE.test(key)) return null;
    if (value !== null && !VALUE_RE.test(value)) return null;
    if (params.has(key)) return null;
    params.set(key, value);
  }
  return params;
}

function parseMail(rest: string): ParseResult {
  // RFC 5321 §4.1.1.2 "MAIL FROM:" Reverse-path; a space after the colon is tolerated (common).
  const m = /^FROM:\s?(.*)$/is.exec(rest);
  if (!m) return fail(Replies.syntax("Syntax: MAIL FROM:<address>"));
  const path = splitPath(m[1]!);
  if (!path) return fail(Replies.syntax("Syntax: MAIL FROM:<address>"));
  if (path.rest !== "" && !path.rest.startsWith(" ")) {
    return fail(Replies.syntax("Syntax: MAIL FROM:<address>"));
  }
  const params = parseParams(path.rest);
  if (!params) return fail(Replies.syntax("Invalid MAIL parameters"));
  if (path.inner === "") return ok({ verb: "MAIL", from: null, params });
  const from = parseMailbox(path.inner);
  if (!from) return fail(Replies.syntax("Bad sender address syntax"));
  return ok({ verb: "MAIL", from, params });
}

function parseRcpt(rest: string): ParseResult {
  // RFC 5321 §4.1.1.3 "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
  const m = /^TO:\s?(.*)$/is.exec(rest);
  if (!m) return fail(Replies.syntax("Syntax: RCPT TO:<address>"));
  const path = splitPath(m[1]!);
  if (!path) return fail(Replies.syntax("Syntax: RCPT TO:<address>"));
  if (path.rest !== "" && !path.rest.startsWith(" ")) {
    return fail(Replies.syntax("Syntax: RCPT TO:<address>"));
  }
  const params = parseParams(path.rest);
  if (!params) return fail(Replies.syntax("Invalid RCPT parameters"));
  if (/^postmaster$/i.test(path.inner)) {
    return ok({ verb: "RCPT", to: { local: path.inner, domain: "" }, params });
  }
  const to = parseMailbox(path.inner);
  if (!to) return fail(Replies.syntax("Bad recipient address syntax"));
  return ok({ verb: "RCPT", to, params });
}

function parseAuth(rest: string): ParseResult {
  // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; initial-response = base64 / "="
  const parts = rest.split(" ");
  const mech = parts[0] ?? "";
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(mech) || parts.length > 2) {
    return fail(Replies.syntax("Syntax: AUTH mechanism [initial-response]"));
  }
  const initial = parts.length === 2 ? parts[1]! : null;
  if (initial !== null && initial !== "=" && !/^[A-Za-z0-9+/]+={0,2}$/.test(initial)) {
    return fail(Replies.badBase64());
  }
  return ok({ verb: "AUTH", mechanism: mech.toUpperCase(), initial });
}

/** Significant digits kept exactly in a BDAT size; more is beyond every message size limit. */
const BDAT_MAX_DIGITS = 15;

function parseBdat(rest: string): ParseResult {
  // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT,
  // end-marker = "LAST". Leading zeros are digits like any other; a size with more significant
  // digits than a safe integer holds is kept as Number.MAX_SAFE_INTEGER (above every
  // max_message_size), never rounded or overflowed.
  const m = /^([0-9]+)(?: (LAST))?$/i.exec(rest.trim());
  if (!m) return fail(Replies.syntax("Syntax: BDAT <size> [LAST]"));
  const digits = m[1]!.replace(/^0+(?=.)/, "");
  const size = digits.length > BDAT_MAX_DIGITS ? Number.MAX_SAFE_INTEGER : Number(digits);
  return ok({ verb: "BDAT", size, last: m[2] !== undefined });
}
