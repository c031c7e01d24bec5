/**
 * SMTP reply codes (RFC 5321 §4.2.3) and enhanced status codes (RFC 3463, RFC 2034), and the
 * named replies the session sends. Handlers never write bare numbers: they pick a reply here.
 *
 * @module
 */

/** Basic reply codes used by Tern (RFC 5321 §4.2.3, RFC 4954 §6, RFC 3030). */
export const Code = {
  SystemStatus: 211,
  Help: 214,
  ServiceReady: 220,
  Closing: 221,
  AuthSucceeded: 235,
  Ok: 250,
  CannotVerify: 252,
  AuthContinue: 334,
  StartMailInput: 354,
  ServiceUnavailable: 421,
  MailboxBusy: 450,
  LocalError: 451,
  InsufficientStorage: 452,
  TempAuthFailure: 454,
  SyntaxError: 500,
  ParameterSyntax: 501,
  NotImplemented: 502,
  BadSequence: 503,
  ParameterNotImplemented: 504,
  AuthRequired: 530,
  AuthFailed: 535,
  EncryptionRequired: 538,
  MailboxUnavailable: 550,
  ExceededStorage: 552,
  MailboxNameNotAllowed: 553,
  TransactionFailed: 554,
  ParametersNotRecognized: 555,
} as const;

/** One SMTP reply: a code, an optional enhanced status code and one or more text lines. */
export interface SmtpReply {
  code: number;
  /** RFC 3463 `class.subject.detail`, shown once ENHANCEDSTATUSCODES is in effect. */
  enhanced?: string;
  /** Text lines; several lines make a multi-line reply. */
  lines: string[];
}

/** Builds a reply. */
export function reply(code: number, enhanced: string | undefined, ...lines: string[]): SmtpReply {
  return enhanced === undefined ? { code, lines } : { code, enhanced, lines };
}

/** A protocol error carrying the reply to send; the detail (`cause`) goes to the log only. */
export class SmtpError extends Error {
  override name = "SmtpError";
  /**
   * @param reply what the client is told
   * @param cause internal detail for the log
   */
  constructor(readonly reply: SmtpReply, cause?: unknown) {
    super(reply.lines.join(" "), cause === undefined ? undefined : { cause });
  }
}

/** The fixed replies of the session, by name. */
export const Replies = {
  // 2xx
  ok: (): SmtpReply => reply(Code.Ok, "2.0.0", "Ok"),
  senderOk: (): SmtpReply => reply(Code.Ok, "2.1.0", "Sender ok"),
  recipientOk: (): SmtpReply => reply(Code.Ok, "2.1.5", "Recipient ok"),
  queued: (id: string): SmtpReply => reply(Code.Ok, "2.0.0", `Ok: queued as ${id}`),
  reset: (): SmtpReply => reply(Code.Ok, "2.0.0", "Reset state"),
  bye: (): SmtpReply => reply(Code.Closing, "2.0.0", "Bye"),
  cannotVerify: (): SmtpReply =>
    reply(Code.CannotVerify, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"),
  readyForTls: (): SmtpReply => reply(Code.ServiceReady, "2.0.0", "Ready to start TLS"),
  authSucceeded: (): SmtpReply => reply(Code.AuthSucceeded, "2.7.0", "Authentication successful"),
  chunkOk: (size: number): SmtpReply => reply(Code.Ok, "2.0.0", `${size} octets received`),
  help: (): SmtpReply =>
    reply(
      Code.Help,
      "2.0.0",
      "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
      "See RFC 5321",
    ),
  lmtpHelp: (): SmtpReply =>
    reply(
      Code.Help,
      "2.0.0",
      "Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS",
      "See RFC 2033",
    ),
  delivered: (id: string): SmtpReply => reply(Code.Ok, "2.0.0", `Ok: delivered as ${id}`),
  // 3xx (intermediate replies carry no enhanced code: RFC 3463 defines classes 2, 4 and 5 only)
  startData: (): SmtpReply => reply(Code.StartMailInput, undefined, "End data with <CR><LF>.<CR><LF>"),
  // 4xx
  idleTimeout: (): SmtpReply => reply(Code.ServiceUnavailable, "4.4.2", "Idle timeout, closing connection"),
  sessionTimeout: (): SmtpReply =>
    reply(Code.ServiceUnavailable, "4.4.2", "Session time limit, closing connection"),
  shuttingDown: (): SmtpReply =>
    reply(Code.ServiceUnavailable, "4.3.2", "Service shutting down, closing connection"),
  /** RFC 3030 §2: a BDAT without a usable size leaves its data undelimited; the session must end. */
  bdatUnsynchronised: (): SmtpReply =>
    reply(Code.ServiceUnavailable, "4.5.4", "BDAT size not understood, closing connection"),
  tooManyConnections: (): SmtpReply =>
    reply(Code.ServiceUnavailable, "4.7.0", "Too many connections from your address, try again later"),
  rateLimited: (): SmtpReply =>
    reply(Code.MailboxBusy, "4.7.1", "Message rate limit exceeded, try again later"),
  localError: (): SmtpReply => reply(Code.LocalError, "4.3.0", "Temporary failure, try again later"),
  noQueue: (): SmtpReply => reply(Code.LocalError, "4.3.0", "Relay queue unavailable, try again later"),
  tooManyRecipients: (): SmtpReply => reply(Code.InsufficientStorage, "4.5.3", "Too many recipients"),
  mailboxFull: (): SmtpReply => reply(Code.InsufficientStorage, "4.2.2", "Mailbox full"),
  /** RFC 3463 X.2.2 as a permanent failure: LMTP's per-recipient answer to a full mailbox. */
  quotaExceeded: (): SmtpReply => reply(Code.ExceededStorage, "5.2.2", "Mailbox full"),
  authThrottled: (): SmtpReply =>
    reply(Code.TempAuthFailure, "4.7.0", "Too many failed attempts, try again later"),
  // 5xx
  unknownCommand: (): SmtpReply => reply(Code.SyntaxError, "5.5.2", "Command not recognized"),
  /** RFC 2033 §4.1: no positive reply to HELO/EHLO in LMTP; 500 is recommended. */
  useLhlo: (): SmtpReply => reply(Code.SyntaxError, "5.5.1", "This is LMTP: use LHLO"),
  lineTooLong: (): SmtpReply => reply(Code.SyntaxError, "5.5.2", "Line too long"),
  syntax: (detail: string): SmtpReply => reply(Code.ParameterSyntax, "5.5.4", detail),
  badSequence: (detail = "Bad sequence of commands"): SmtpReply => reply(Code.BadSequence, "5.5.1", detail),
  notImplemented: (detail = "Command not implemented"): SmtpReply =>
    reply(Code.NotImplemented, "5.5.1", detail),
  paramNotImplemented: (detail: string): SmtpReply => reply(Code.ParametersNotRecognized, "5.5.4", detail),
  unknownMechanism: (): SmtpReply =>
    reply(Code.ParameterNotImplemented, "5.5.4", "Unrecognized authentication mechanism"),
  authRequired: (): SmtpReply => reply(Code.AuthRequired, "5.7.0", "Authentication required"),
  tlsRequired: (): SmtpReply => reply(Code.AuthRequired, "5.7.0", "Must issue a STARTTLS command first"),
  encryptionRequired: (): SmtpReply =>
    reply(Code.EncryptionRequired, "5.7.11", "Encryption required for requested authentication mechanism"),
  authFailed: (): SmtpReply => reply(Code.AuthFailed, "5.7.8", "Authentication credentials invalid"),
  authCancelled: (): SmtpReply => reply(Code.ParameterSyntax, "5.7.0", "Authentication cancelled"),
  badBase64: (): SmtpReply => reply(Code.ParameterSyntax, "5.5.2", "Cannot decode response"),
  unknownUser: (): SmtpReply => reply(Code.MailboxUnavailable, "5.1.1", "No such user here"),
  relayDenied: (): SmtpReply => reply(Code.TransactionFailed, "5.7.1", "Relaying denied"),
  /** LMTP delivers to local mailboxes only (RFC 2033 §1): never a relay. */
  notLocal: (): SmtpReply =>
    reply(Code.MailboxUnavailable, "5.7.1", "Relaying denied: LMTP accepts local recipients only"),
  senderNotOwned: (): SmtpReply =>
    reply(Code.MailboxNameNotAllowed, "5.7.1", "Sender address not owned by authenticated user"),
  /** Sent after the end of data, where RFC 5321 §4.3.2 allows 550/554 but not 553. */
  fromNotOwned: (): SmtpReply =>
    reply(Code.TransactionFailed, "5.7.1", "From: header address not owned by authenticated user"),
  tooBig: (): SmtpReply =>
    reply(Code.ExceededStorage, "5.3.4", "Message size exceeds fixed maximum message size"),
  utf8Required: (): SmtpReply =>
    reply(Code.MailboxNameNotAllowed, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter"),
  noValidRecipients: (): SmtpReply => reply(Code.TransactionFailed, "5.5.1", "No valid recipients"),
} as const;
