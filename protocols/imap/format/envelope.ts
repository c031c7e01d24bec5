/**
 * ENVELOPE (RFC 9051 §7.5.2): built from the raw header fields, strings left undecoded (clients
 * decode RFC 2047 themselves), addresses split into (name adl mailbox host) with group syntax.
 * Header values are octet strings (`envelopeHeaders`), so 8-bit bytes pass through unchanged.
 *
 * @module
 */
import type { HeaderField } from "../../../core/mime/types.ts";
import { onstr } from "./strings.ts";

/** One ENVELOPE address; group start is (NIL NIL "name" NIL), group end (NIL NIL NIL NIL). */
export interface EnvelopeAddress {
  /** Display name (undecoded) or NIL. */
  name: string | null;
  /** Source route or NIL. */
  adl: string | null;
  /** Local part, or the group name at a group start. */
  mailbox: string | null;
  /** Domain, or NIL in group syntax. */
  host: string | null;
}

/** Placeholders for a mailbox address without a local part or domain (Dovecot's). */
const MISSING_MAILBOX = "MISSING_MAILBOX";
const MISSING_DOMAIN = "MISSING_DOMAIN";

type Tok = { t: "word" | "quoted" | "comment" | "domainlit"; v: string } | { t: "special"; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
    } else if (c === '"') {
      let v = "";
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length) i++;
        v += s[i++];
      }
      i++;
      out.push({ t: "quoted", v });
    } else if (c === "(") {
      let depth = 1;
      let v = "";
      i++;
      while (i < s.length && depth > 0) {
        if (s[i] === "\\" && i + 1 < s.length) {
          v += s[i + 1];
          i += 2;
          continue;
        }
        if (s[i] === "(") depth++;
        else if (s[i] === ")" && --depth === 0) break;
        v += s[i++];
      }
      i++;
      out.push({ t: "comment", v });
    } else if (c === "[") {
      const end = s.indexOf("]", i);
      const stop = end < 0 ? s.length : end + 1;
      out.push({ t: "domainlit", v: s.slice(i, stop) });
      i = stop;
    } else if ("<>@,;:.".includes(c)) {
      out.push({ t: "special", v: c });
      i++;
    } else {
      let v = "";
      while (i < s.length && !' \t\r\n"()[<>@,;:'.includes(s[i]!)) v += s[i++];
      // "." inside atoms (dot-atom) stays part of the word
      if (v.length === 0) {
        v = s[i++]!;
      }
      out.push({ t: "word", v });
    }
  }
  return out;
}

function parseMailbox(toks: Tok[]): EnvelopeAddress | null {
  // name-addr: [phrase] "<" [route ":"] addr-spec ">"; addr-spec: local "@" domain; comments may name it.
  const lt = toks.findIndex((t) => t.t === "special" && t.v === "<");
  let phrase: string | null = null;
  let spec: Tok[];
  let adl: string | null = null;
  if (lt >= 0) {
    const words = toks.slice(0, lt).filter((t) => t.t !== "comment").map((t) => t.v);
    phrase = words.length > 0 ? words.join(" ").replace(/ \. /g, ". ") : null;
    const gt = toks.findIndex((t, i) => i > lt && t.t === "special" && t.v === ">");
    spec = toks.slice(lt + 1, gt < 0 ? toks.length : gt);
    const colon = spec.findIndex((t) => t.t === "special" && t.v === ":");
    if (colon >= 0) {
      adl = spec.slice(0, colon).map((t) => t.v).join("");
      spec = spec.slice(colon + 1);
    }
  } else {
    const words = toks.filter((t) => t.t !== "comment");
    if (words.length > 1 && words.every((t) => t.t === "word" || t.t === "quoted")) {
      // A bare phrase (`From: Someone Else`): a name without an address (Dovecot's reading).
      return {
        name: words.map((t) => t.v).join(" "),
        adl: null,
        mailbox: MISSING_MAILBOX,
        host: MISSING_DOMAIN,
      };
    }
    spec = words;
    const comment = toks.find((t) => t.t === "comment");
    if (comment && comment.v.trim()) phrase = comment.v.trim();
  }
  spec = spec.filter((t) => t.t !== "comment");
  // `Name <>`: a named address without one (filled in below, as Dovecot does).
  if (spec.length === 0) {
    return lt >= 0 && phrase ? { name: phrase, adl, mailbox: MISSING_MAILBOX, host: MISSING_DOMAIN } : null;
  }
  const at = spec.findLastIndex((t) => t.t === "special" && t.v === "@");
  const local = (at < 0 ? spec : spec.slice(0, at)).map((t) => t.v).join("");
  const domain = at < 0 ? null : spec.slice(at + 1).map((t) => t.v).join("");
  if (!local && !domain) return null;
  // A host of NIL marks group syntax in an ENVELOPE (RFC 9051 §7.5.2): a mailbox address without
  // a domain (or local part) gets Dovecot's placeholders instead.
  return { name: phrase, adl, mailbox: local || MISSING_MAILBOX, host: domain || MISSING_DOMAIN };
}

/** Parses an address-list header value into ENVELOPE addresses (lenient; never throws). */
export function parseEnvelopeAddresses(value: string): EnvelopeAddress[] {
  const toks = tokenize(value);
  const out: EnvelopeAddress[] = [];
  let cur: Tok[] = [];
  let inGroup = false;
  const flush = () => {
    if (cur.length > 0) {
      const a = parseMailbox(cur);
      if (a) out.push(a);
    }
    cur = [];
  };
  let angle = false;
  for (const t of toks) {
    if (t.t === "special") {
      if (t.v === "<") angle = true;
      if (t.v === ">") angle = false;
      if (!angle && t.v === ":" && !inGroup) {
        const name = cur.filter((x) => x.t !== "comment").map((x) => x.v).join(" ");
        out.push({ name: null, adl: null, mailbox: name, host: null });
        inGroup = true;
        cur = [];
        continue;
      }
      if (!angle && t.v === ";" && inGroup) {
        flush();
        out.push({ name: null, adl: null, mailbox: null, host: null });
        inGroup = false;
        continue;
      }
      if (!angle && t.v === ",") {
        flush();
        continue;
      }
    }
    cur.push(t);
  }
  flush();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out;
}

function addrList(list: EnvelopeAddress[], utf8: boolean): string {
  if (list.length === 0) return "NIL";
  return "(" +
    list.map((a) =>
      `(${onstr(a.name, utf8)} ${onstr(a.adl, utf8)} ${onstr(a.mailbox, utf8)} ${onstr(a.host, utf8)})`
    )
      .join("") +
    ")";
}

/**
 * Formats the ENVELOPE of a message (or of an embedded message/rfc822) from its header fields,
 * whose values are octet strings (`envelopeHeaders`); the result is an octet string (send as bytes).
 * RFC 9051 §7.5.2: an absent Date, Subject, In-Reply-To or Message-ID is NIL, a present but empty
 * one the empty string; an absent or empty Sender or Reply-To takes the From value. A field given
 * twice counts by its last instance; address fields given twice contribute all their addresses.
 */
export function formatEnvelope(headers: HeaderField[], utf8: boolean): string {
  const get = (k: string) => {
    let v: string | null = null;
    for (const h of headers) if (h.key === k) v = h.value;
    return v;
  };
  const addrs = (k: string) => {
    const out: EnvelopeAddress[] = [];
    for (const h of headers) if (h.key === k) out.push(...parseEnvelopeAddresses(h.value));
    return out;
  };
  const from = addrs("from");
  let sender = addrs("sender");
  let replyTo = addrs("reply-to");
  if (sender.length === 0) sender = from;
  if (replyTo.length === 0) replyTo = from;
  const ns = (k: string) => onstr(get(k), utf8);
  // Date and Subject are text for humans: surrounding whitespace dropped, and in Subject every run
  // of whitespace shown as one space (Dovecot does the same).
  const date = get("date")?.trim();
  const subject = get("subject")?.replace(/[ \t]+/g, " ").trim();
  return `(${onstr(date, utf8)} ${onstr(subject, utf8)} ${addrList(from, utf8)} ${addrList(sender, utf8)} ` +
    `${addrList(replyTo, utf8)} ${addrList(addrs("to"), utf8)} ${addrList(addrs("cc"), utf8)} ` +
    `${addrList(addrs("bcc"), utf8)} ${ns("in-reply-to")} ${ns("message-id")})`;
}
