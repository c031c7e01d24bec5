/**
 * Valid scripted sessions the wire fuzzer mutates (not a test file), one per protocol, with the
 * protocol words the "token" mutation inserts. Commands carry their CRLF; an IMAP APPEND carries
 * its non-synchronizing literal in the same unit.
 *
 * @module
 */

const enc = new TextEncoder();
const MESSAGE = "From: Fuzz <fuzz@example.net>\r\nTo: alice@example.org\r\nSubject: fuzz\r\n" +
  "Message-ID: <fuzz@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
  "Hello,\r\n..dot-stuffed line\r\nbye\r\n";

/** A session: the commands after the (valid, interactive) preamble. */
export interface Script {
  commands: Uint8Array[];
  tokens: string[];
}

const lines = (list: string[]): Uint8Array[] =>
  list.map((l) => enc.encode(l.endsWith("\n") ? l : `${l}\r\n`));

/** SMTP after the greeting (MX listener, or submission after AUTH). */
export function smtpScript(from: string, rcpt: string): Script {
  return {
    commands: lines([
      "EHLO client.example.net",
      `MAIL FROM:<${from}> SIZE=300 BODY=8BITMIME`,
      `RCPT TO:<${rcpt}>`,
      `RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org`,
      "DATA",
      MESSAGE + ".",
      "RSET",
      "NOOP",
      "HELP",
      "VRFY alice",
      "EXPN list",
      `MAIL FROM:<${from}> SMTPUTF8`,
      `RCPT TO:<${rcpt}>`,
      "BDAT 12\r\nSubject: x\r\n",
      "BDAT 0 LAST",
      "HELO other.example.net",
      "MAIL FROM:<>",
      "RSET",
    ]),
    tokens: [
      "MAIL",
      "FROM:",
      "RCPT",
      "TO:",
      "DATA",
      "BDAT",
      "LAST",
      "<>",
      "<@a,@b:u@x>",
      "SIZE=",
      "BODY=BINARYMIME",
      "AUTH=<>",
      "RET=HDRS",
      "ENVID=x+2B",
      "STARTTLS",
      "AUTH",
      "PLAIN",
      "XCLIENT",
      ".",
      "QUIT",
      "<alice@example.org>",
      '"quoted local"@example.org',
      "u@[127.0.0.1]",
    ],
  };
}

/** IMAP after LOGIN. */
export function imapScript(): Script {
  const msg = MESSAGE.replace("Subject: fuzz", "Subject: appended");
  return {
    commands: lines([
      "f1 CAPABILITY",
      "f2 ENABLE CONDSTORE UTF8=ACCEPT",
      'f3 LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))',
      `f4 APPEND INBOX (\\Seen $Fuzz) "01-Jan-2026 10:00:00 +0000" {${enc.encode(msg).length}+}\r\n${msg}`,
      "f5 SELECT INBOX (CONDSTORE)",
      "f6 FETCH 1:3 (UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE INTERNALDATE MODSEQ)",
      "f7 UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BINARY.PEEK[1]<0.20>)",
      'f8 SEARCH CHARSET UTF-8 OR SUBJECT "fuzz" (SINCE 1-Jan-2020 NOT DELETED)',
      "f9 UID SEARCH RETURN (MIN MAX COUNT) UID 1:* LARGER 10",
      "f10 STORE 1 +FLAGS.SILENT (\\Flagged)",
      "f11 UID STORE 1:2 (UNCHANGEDSINCE 100) -FLAGS (\\Flagged)",
      'f12 CREATE "Fuzz/Sub"',
      'f13 COPY 1 "Fuzz/Sub"',
      'f14 STATUS "Fuzz/Sub" (MESSAGES UIDNEXT UIDVALIDITY SIZE)',
      'f15 UID MOVE 1 "Fuzz/Sub"',
      'f16 RENAME "Fuzz/Sub" "Fuzz/Other"',
      'f17 DELETE "Fuzz/Other"',
      "f18 IDLE\r\nDONE",
      "f19 NAMESPACE",
      'f20 ID ("name" "fuzz")',
      'f21 GETQUOTAROOT "INBOX"',
      "f22 EXAMINE INBOX",
      "f23 FETCH 1 (BODY[TEXT]<0.10> BODY[1.MIME])",
      "f24 UNSELECT",
      "f25 NOOP",
    ]),
    tokens: [
      "FETCH",
      "UID",
      "STORE",
      "SEARCH",
      "SELECT",
      "EXAMINE",
      "LIST",
      "STATUS",
      "APPEND",
      "IDLE",
      "DONE",
      "AUTHENTICATE",
      "BODY[]",
      "BODY[1.2.3.4.5.6.7.8.9.10]",
      "BINARY[1]",
      "(",
      ")",
      "NIL",
      '""',
      "*",
      "1:*",
      "$",
      "4294967295:1",
      "CHANGEDSINCE",
      "QRESYNC",
      "(1 2)",
      "&Jjo-",
      "&",
      "~{5}",
      "\\Seen",
      "RETURN",
      "OR",
      "NOT",
      "HEADER",
      "{0}",
      "LOGOUT",
    ],
  };
}

/** POP3 after USER/PASS. */
export function pop3Script(): Script {
  return {
    commands: lines([
      "CAPA",
      "STAT",
      "LIST",
      "LIST 1",
      "UIDL",
      "UIDL 2",
      "RETR 1",
      "TOP 2 3",
      "DELE 3",
      "LIST 3",
      "RSET",
      "NOOP",
      "TOP 1 0",
    ]),
    tokens: [
      "RETR",
      "TOP",
      "DELE",
      "LIST",
      "UIDL",
      "STAT",
      "RSET",
      "USER",
      "PASS",
      "APOP",
      "AUTH",
      "STLS",
      "0",
      "-1",
      "*",
    ],
  };
}
