/**
 * The CAPABILITY list (RFC 9051 §7.2.2), which depends on TLS, login state and the listener.
 *
 * @module
 */

/** What the capability list depends on. */
export interface CapabilitySource {
  /** Session state name. */
  readonly state: string;
  /** Whether password authentication is allowed now. */
  readonly plaintextAllowed: boolean;
  /** The connection (TLS state and listener mode). */
  readonly conn: { transport: { secure: boolean }; listener: { tls: string } };
  /** Server services (SASL mechanisms, limits). */
  readonly server: { auth: { mechanisms(): string[] }; config: { imap: { max_literal_size: number } } };
}

/** Extensions advertised once authenticated. */
const AUTHENTICATED = [
  "LITERAL+",
  "ID",
  "ENABLE",
  "IDLE",
  "NAMESPACE",
  "UIDPLUS",
  "MOVE",
  "UNSELECT",
  "CHILDREN",
  "LIST-EXTENDED",
  "LIST-STATUS",
  "SPECIAL-USE",
  "CREATE-SPECIAL-USE",
  "ESEARCH",
  "SEARCHRES",
  "WITHIN",
  "SORT",
  "SORT=DISPLAY",
  "ESORT",
  // RFC 5267 §4: RETURN (UPDATE PARTIAL CONTEXT), ADDTO/REMOVEFROM, CANCELUPDATE.
  "CONTEXT=SEARCH",
  "CONTEXT=SORT",
  // RFC 5464: server and mailbox entries (METADATA includes what METADATA-SERVER names).
  "METADATA",
  "METADATA-SERVER",
  // RFC 5465: NOTIFY SET/NONE, STATUS and LIST notifications fed by the store's notifier.
  "NOTIFY",
  "THREAD=ORDEREDSUBJECT",
  "THREAD=REFERENCES",
  "THREAD=REFS",
  "STATUS=SIZE",
  "BINARY",
  "MULTIAPPEND",
  // RFC 4469: APPEND ... CATENATE (TEXT / URL parts).
  "CATENATE",
  "UTF8=ACCEPT",
  "OBJECTID",
  "PREVIEW",
  // RFC 8514: FETCH SAVEDATE and the SAVED* search keys.
  "SAVEDATE",
  "CONDSTORE",
  "QRESYNC",
  "QUOTA",
  "QUOTA=RES-STORAGE",
  "SASL-IR",
  // RFC 4978: raw DEFLATE over the connection after login.
  "COMPRESS=DEFLATE",
  // RFC 4314 §2.1.1 (the rights t e x k) and RFC 8440 (LIST RETURN (MYRIGHTS)).
  "ACL",
  "RIGHTS=texk",
  "LIST-MYRIGHTS",
];

/** Computes the list for the session's current situation. */
export function capabilityList(s: CapabilitySource): string[] {
  const caps = ["IMAP4rev1", "IMAP4rev2"];
  if (s.state === "notAuthenticated") {
    caps.push("LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE");
    // RFC 9051 §6.2.1: STARTTLS only before TLS is active, on a STARTTLS listener.
    if (!s.conn.transport.secure && s.conn.listener.tls === "starttls") caps.push("STARTTLS");
    if (s.plaintextAllowed) {
      for (const m of s.server.auth.mechanisms()) caps.push(`AUTH=${m}`);
    } else {
      // RFC 9051 §7.2.2: LOGINDISABLED while LOGIN would be refused.
      caps.push("LOGINDISABLED");
    }
    return caps;
  }
  caps.push(...AUTHENTICATED, `APPENDLIMIT=${s.server.config.imap.max_literal_size}`);
  return caps;
}
