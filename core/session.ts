/**
 * The session object shared by every protocol (SMTP, IMAP, POP3, HTTP): what the connection-policy
 * hooks see and what every log line is tagged with.
 *
 * @module
 */

/** Protocol names as they appear in logs and policy configuration. */
export type Protocol =
  | "smtp"
  | "submission"
  | "submissions"
  | "lmtp"
  | "imap"
  | "pop3"
  | "managesieve"
  | "http";

/** One client session. */
export interface Session {
  /** UUID v4. */
  readonly id: string;
  readonly protocol: Protocol;
  /** Name of the listener that accepted it (config key). */
  readonly listener: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly created: Date;
  /** True when TLS is active. */
  secure: boolean;
  /** Protocol state, e.g. "greeted", "authenticated", "selected". */
  state: string;
  /** Login name once authenticated. */
  user?: string;
  /** IMAP: the selected mailbox name. */
  selected?: string;
}
