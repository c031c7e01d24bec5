/**
 * Validation of MAIL and RCPT ESMTP parameters: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
 * SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461), AUTH (RFC 4954 §5), REQUIRETLS
 * (RFC 8689). Pure.
 *
 * @module
 */
import { Replies, type SmtpReply } from "./codes.ts";
import type { EsmtpParams } from "./command.ts";

/** Options of a mail transaction taken from MAIL parameters. */
export interface MailOptions {
  /** Declared size (RFC 1870), if given. */
  size?: number;
  body: "7BIT" | "8BITMIME" | "BINARYMIME";
  smtputf8: boolean;
  ret?: "FULL" | "HDRS";
  envid?: string;
  /** RFC 8689 §4: REQUIRETLS was given. */
  requireTls?: boolean;
}

/** Options of one recipient taken from RCPT parameters. */
export interface RcptOptions {
  notify?: string[];
  orcpt?: string;
}

/** Validation result. */
export type ParamResult<T> = { ok: true; value: T } | { ok: false; reply: SmtpReply };

// RFC 3461 §4: xtext = *( xchar / hexchar ); xchar is %d33-42 / %d44-60 / %d62-126.
const XTEXT_RE = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;

const unsupported = (key: string): SmtpReply => Replies.paramNotImplemented(`Unsupported parameter: ${key}`);

/** Checks MAIL FROM parameters against what was advertised. */
export function parseMailParams(
  params: EsmtpParams,
  opts: { esmtp: boolean; maxSize: number; requireTlsOffered?: boolean },
): ParamResult<MailOptions> {
  const value: MailOptions = { body: "7BIT", smtputf8: false };
  for (const [key, v] of params) {
    // Without EHLO no extension is in effect (RFC 5321 §4.1.1.2: parameters only with ESMTP).
    if (!opts.esmtp) return { ok: false, reply: unsupported(key) };
    switch (key) {
      case "SIZE": {
        if (v === null || !/^\d{1,20}$/.test(v)) {
          return { ok: false, reply: Replies.syntax("Bad SIZE parameter") };
        }
        const size = Number(v);
        // RFC 1870 §6: a declared size above the limit gets 552 at MAIL.
        if (size > opts.maxSize) return { ok: false, reply: Replies.tooBig() };
        value.size = size;
        break;
      }
      case "BODY": {
        const b = v?.toUpperCase();
        if (b !== "7BIT" && b !== "8BITMIME" && b !== "BINARYMIME") {
          return { ok: false, reply: Replies.syntax("Bad BODY parameter") };
        }
        value.body = b;
        break;
      }
      case "SMTPUTF8":
        if (v !== null) return { ok: false, reply: Replies.syntax("SMTPUTF8 takes no value") };
        value.smtputf8 = true;
        break;
      case "RET": {
        const r = v?.toUpperCase();
        if (r !== "FULL" && r !== "HDRS") return { ok: false, reply: Replies.syntax("Bad RET parameter") };
        if (value.ret !== undefined) return { ok: false, reply: Replies.syntax("Duplicate RET parameter") };
        value.ret = r;
        break;
      }
      case "ENVID":
        // RFC 3461 §4.4: at most 100 characters of xtext.
        if (v === null || v.length > 100 || !XTEXT_RE.test(v)) {
          return { ok: false, reply: Replies.syntax("Bad ENVID parameter") };
        }
        value.envid = v;
        break;
      case "REQUIRETLS":
        // RFC 8689 §3: offered only over TLS; a parameter not offered is not implemented (RFC 5321
        // §4.1.1.11: 555), so REQUIRETLS over a clear-text session gets 555 5.5.4.
        if (!opts.requireTlsOffered) return { ok: false, reply: unsupported(key) };
        if (v !== null) return { ok: false, reply: Replies.syntax("REQUIRETLS takes no value") };
        value.requireTls = true;
        break;
      case "AUTH":
        // RFC 4954 §5: accepted; Tern does not trust an AUTH= identity from another server.
        if (v === null || (v !== "<>" && !XTEXT_RE.test(v))) {
          return { ok: false, reply: Replies.syntax("Bad AUTH parameter") };
        }
        break;
      default:
        return { ok: false, reply: unsupported(key) };
    }
  }
  return { ok: true, value };
}

/** Checks RCPT TO parameters. */
export function parseRcptParams(params: EsmtpParams, opts: { esmtp: boolean }): ParamResult<RcptOptions> {
  const value: RcptOptions = {};
  for (const [key, v] of params) {
    if (!opts.esmtp) return { ok: false, reply: unsupported(key) };
    switch (key) {
      case "NOTIFY": {
        // RFC 3461 §4.1: "NEVER" alone, or a list of SUCCESS, FAILURE, DELAY.
        const list = (v ?? "").toUpperCase().split(",");
        const okList = list.length > 0 &&
          (list.length === 1 && list[0] === "NEVER" ||
            list.every((x) => x === "SUCCESS" || x === "FAILURE" || x === "DELAY")) &&
          new Set(list).size === list.length;
        if (!okList) return { ok: false, reply: Replies.syntax("Bad NOTIFY parameter") };
        value.notify = list;
        break;
      }
      case "ORCPT":
        // RFC 3461 §4.2: addr-type ";" xtext, at most 500 characters.
        if (
          v === null || v.length > 500 || !/^[A-Za-z0-9-]+;/.test(v) ||
          !XTEXT_RE.test(v.slice(v.indexOf(";") + 1))
        ) {
          return { ok: false, reply: Replies.syntax("Bad ORCPT parameter") };
        }
        value.orcpt = v;
        break;
      default:
        return { ok: false, reply: unsupported(key) };
    }
  }
  return { ok: true, value };
}
