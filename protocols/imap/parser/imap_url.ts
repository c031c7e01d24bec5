/**
 * IMAP URLs naming a message or a part of one (RFC 5092 `imessagepart`), as CATENATE uses them
 * (RFC 4469 §3): absolute `imap://user[;AUTH=x]@host[:port]/mailbox[;UIDVALIDITY=n]/;UID=m[/;SECTION=s][/;PARTIAL=o[.l]]`
 * or the same from the `/mailbox` path on, relative to the server's base URL (RFC 4469 §5).
 * URLAUTH-authorized URLs (RFC 4467) and relative forms without the mailbox are not accepted.
 * Pure: text in, parsed URL (or null) out.
 *
 * @module
 */

/** A parsed IMAP message (part) URL. */
export interface ImapMessageUrl {
  /** The percent-decoded user of an absolute URL; null for a relative URL or none given. */
  user: string | null;
  /** The host of an absolute URL, lowercased; null for a relative URL. */
  host: string | null;
  /** The port of an absolute URL, when given. */
  port: number | null;
  /** The mailbox name, percent-decoded UTF-8 (RFC 5092 §5: enc-mailbox). */
  mailbox: string;
  /** `;UIDVALIDITY=`, when given. */
  uidValidity: number | null;
  /** `;UID=`. */
  uid: number;
  /** The percent-decoded `;SECTION=` text (an IMAP FETCH section spec), when given. */
  section: string | null;
  /** `;PARTIAL=origin[.length]`, when given. */
  partial: { origin: number; count: number | null } | null;
}

const MAX_U32 = 4294967295;

/** Decodes %XX escapes as UTF-8; null for a malformed escape or invalid UTF-8. */
function pctDecode(s: string): string | null {
  if (!/^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(s)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%") {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(s.charCodeAt(i));
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

function u32(s: string): number | null {
  const n = Number(s);
  return n >= 1 && n <= MAX_U32 ? n : null;
}

// RFC 5092 §11: imailbox-ref [uidvalidity] iuid [isection] [ipartial]; ";" never occurs in
// enc-mailbox or enc-section (achar excludes it), so it delimits the parameters.
const PATH =
  /^\/([^;]+?)(?:;UIDVALIDITY=([1-9]\d{0,9}))?\/;UID=([1-9]\d{0,9})(?:\/;SECTION=([^;]+?))?(?:\/;PARTIAL=(\d{1,10})(?:\.([1-9]\d{0,9}))?)?$/i;

/** Parses an IMAP message or message-part URL; null when it is not one this server accepts. */
export function parseImapUrl(text: string): ImapMessageUrl | null {
  // RFC 5092 §11 (and RFC 3986): only printable US-ASCII; everything else is percent-encoded.
  if (text.length === 0 || text.length > 4096 || /[^\x21-\x7e]/.test(text)) return null;
  let rest = text;
  let user: string | null = null;
  let host: string | null = null;
  let port: number | null = null;
  if (/^imap:\/\//i.test(rest)) {
    rest = rest.slice(7);
    const slash = rest.indexOf("/");
    if (slash < 0) return null;
    const authority = rest.slice(0, slash);
    rest = rest.slice(slash);
    const at = authority.lastIndexOf("@");
    let hostPort = authority;
    if (at >= 0) {
      // RFC 5092 §11: iuserinfo = enc-user [iauth] / [enc-user] iauth; iauth = ";AUTH=" ("*" / enc-auth-type)
      const m = /^([^;]*)(?:;AUTH=(?:\*|[^;]+))?$/i.exec(authority.slice(0, at));
      if (!m) return null;
      if (m[1]) {
        user = pctDecode(m[1]);
        if (user === null) return null;
      }
      hostPort = authority.slice(at + 1);
    }
    const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,=%-]+)(?::(\d{1,5}))?$/.exec(hostPort);
    if (!hp) return null;
    host = hp[1]!.toLowerCase();
    if (hp[2] !== undefined) {
      port = Number(hp[2]);
      if (port > 65535) return null;
    }
  }
  const m = PATH.exec(rest);
  if (!m) return null;
  const mailbox = pctDecode(m[1]!);
  if (mailbox === null) return null;
  const uidValidity = m[2] === undefined ? null : u32(m[2]);
  const uid = u32(m[3]!);
  if ((m[2] !== undefined && uidValidity === null) || uid === null) return null;
  let section: string | null = null;
  if (m[4] !== undefined) {
    section = pctDecode(m[4]);
    if (section === null) return null;
  }
  let partial: ImapMessageUrl["partial"] = null;
  if (m[5] !== undefined) {
    const origin = Number(m[5]);
    const count = m[6] === undefined ? null : Number(m[6]);
    if (origin > MAX_U32 || (count !== null && count > MAX_U32)) return null;
    partial = { origin, count };
  }
  return { user, host, port, mailbox, uidValidity, uid, section, partial };
}
