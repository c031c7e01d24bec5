/**
 * Structured MIME header values with parameters: Content-Type and Content-Disposition
 * (RFC 2045 §5.1, RFC 2183), with RFC 2231 continuations, charsets and languages, and the
 * common violation of RFC 2047 encoded words inside quoted parameter values.
 *
 * @module
 */
import { decodeCharset, decodeUtf8OrLatin1 } from "./charset.ts";
import { decodeEncodedWords } from "./encoded_words.ts";
import type { ContentValue } from "./types.ts";

/** Removes RFC 5322 comments `( … )` (nested, with quoted-pairs) outside quoted strings. */
export function stripComments(value: string): string {
  if (!value.includes("(")) return value;
  let out = "";
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (inQuote) {
      out += c;
      if (c === "\\" && i + 1 < value.length) out += value[++i];
      else if (c === '"') inQuote = false;
    } else if (depth > 0) {
      if (c === "\\") i++;
      else if (c === "(") depth++;
      else if (c === ")") depth--;
    } else if (c === "(") {
      depth = 1;
      out += " ";
    } else {
      if (c === '"') inQuote = true;
      out += c;
    }
  }
  return out;
}

const NEXT_PARAM = /^\s+[A-Za-z0-9!#$%&'*+.^_`{|}~-]+\s*=/;

interface RawParam {
  name: string;
  value: string;
  quoted: boolean;
}

/** Splits `value; a=b; c="d"` into the leading value and raw parameters, tolerating garbage. */
function splitParams(input: string): { value: string; params: RawParam[] } {
  const s = stripComments(input);
  let i = 0;
  const n = s.length;
  // Leading value: up to the first ";" (or whitespace followed by a name=, a missing ";").
  let value = "";
  // Whether `value` has a non-blank character yet (tracked, not re-computed with trim() per
  // character, which made a long value quadratic: a 1 MB header pinned the event loop).
  let started = false;
  while (i < n && s[i] !== ";") {
    const blank = /\s/.test(s[i]!);
    if (started && blank && NEXT_PARAM.test(s.slice(i, i + 100))) break;
    if (!blank) started = true;
    value += s[i];
    i++;
  }
  const params: RawParam[] = [];
  while (i < n) {
    while (i < n && (s[i] === ";" || /\s/.test(s[i]!))) i++;
    if (i >= n) break;
    let name = "";
    while (i < n && s[i] !== "=" && s[i] !== ";") name += s[i++];
    name = name.trim();
    if (i >= n || s[i] === ";") {
      continue; // a name without a value: ignored
    }
    i++; // "="
    while (i < n && (s[i] === " " || s[i] === "\t")) i++;
    let v = "";
    let quoted = false;
    if (s[i] === '"') {
      quoted = true;
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < n) i++;
        v += s[i++];
      }
      i++; // closing quote (or end)
      // Garbage after the closing quote up to ";" is appended, as many parsers do.
      let tail = "";
      while (i < n && s[i] !== ";") tail += s[i++];
      if (tail.trim() !== "") v += tail.trimEnd();
    } else {
      // Unquoted: up to ";", unless whitespace is followed by another `name=` (a missing ";").
      while (i < n && s[i] !== ";") {
        if ((s[i] === " " || s[i] === "\t") && NEXT_PARAM.test(s.slice(i, i + 100))) break;
        v += s[i++];
      }
      v = v.trim();
    }
    if (name !== "") params.push({ name: name.toLowerCase(), value: v, quoted });
  }
  return { value: value.trim(), params };
}

function percentDecode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      out.push(c);
    } else {
      out.push(...new TextEncoder().encode(s[i]!));
    }
  }
  return new Uint8Array(out);
}

function decodeCharsetBytes(bytes: Uint8Array, charset: string): string {
  return (charset === "" ? null : decodeCharset(bytes, charset)) ?? decodeUtf8OrLatin1(bytes);
}

/**
 * Decodes a parameter list: RFC 2231 §3 continuations (`name*0`, `name*1`, …, in numeric order),
 * §4 extended values (`name*=charset'lang'%XX`), and RFC 2047 encoded words found in plain
 * values (a violation, but common). Later duplicates never override earlier ones.
 *
 * @param raw raw parameters
 * @returns parameter map with lowercased names
 */
function decodeParams(raw: RawParam[]): Record<string, string> {
  const params: Record<string, string> = {};
  const sections = new Map<string, { index: number; extended: boolean; value: string }[]>();
  for (const p of raw) {
    const m = /^([^*]+)\*(?:(\d{1,3})\*?|)$/.exec(p.name);
    const cont = /^([^*]+)\*(\d{1,3})(\*?)$/.exec(p.name);
    if (cont) {
      const list = sections.get(cont[1]!) ?? [];
      list.push({ index: Number(cont[2]), extended: cont[3] === "*", value: p.value });
      sections.set(cont[1]!, list);
    } else if (m) {
      // name*=charset'lang'value
      const list = sections.get(m[1]!) ?? [];
      list.push({ index: -1, extended: true, value: p.value });
      sections.set(m[1]!, list);
    } else if (!(p.name in params)) {
      params[p.name] = p.value.includes("=?") ? decodeEncodedWords(p.value) : p.value;
    }
  }
  for (const [name, list] of sections) {
    list.sort((a, b) => a.index - b.index);
    let charset = "";
    const first = list[0]!;
    if (first.extended) {
      const q = /^([^']*)'([^']*)'(.*)$/s.exec(first.value);
      if (q) {
        charset = q[1]!;
        first.value = q[3]!;
      }
    }
    // Consecutive extended sections are percent-decoded together so multi-byte characters survive.
    let text = "";
    let pending: number[] = [];
    const flushPending = () => {
      if (pending.length > 0) text += decodeCharsetBytes(new Uint8Array(pending), charset);
      pending = [];
    };
    for (const sec of list) {
      if (sec.extended) {
        pending.push(...percentDecode(sec.value));
      } else {
        flushPending();
        text += sec.value;
      }
    }
    flushPending();
    // RFC 2231 values win over plain ones of the same name.
    params[name] = text;
  }
  return params;
}

/**
 * Parses a Content-Type or Content-Disposition value into its lowercased value and decoded
 * parameters. Never throws; garbage yields whatever could be recovered.
 *
 * @param value the unfolded header value
 * @returns value and parameters
 */
export function parseContentValue(value: string): ContentValue {
  const { value: v, params } = splitParams(value.replace(/\r\n|\r|\n/g, ""));
  return { value: v.toLowerCase().replace(/\s+/g, ""), params: decodeParams(params) };
}

/**
 * Parses parameters alone (the part after the first ";").
 *
 * @param value `; a=b; c*=utf-8''%E2%82%AC` style text
 * @returns decoded parameters
 */
export function parseParams(value: string): Record<string, string> {
  return decodeParams(splitParams("x" + (value.trimStart().startsWith(";") ? "" : ";") + value).params);
}

/**
 * Formats a parameter for a header, using a quoted string for ASCII and RFC 2231 §4 extended
 * notation (UTF-8) for anything else.
 *
 * @param name parameter name
 * @param value parameter value
 * @returns `name="value"` or `name*=utf-8''%E2%82%AC`
 */
export function formatParam(name: string, value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) {
    if (/^[A-Za-z0-9!#$%&'*+.^_`{|}~-]+$/.test(value)) return `${name}=${value}`;
    return `${name}="${value.replace(/["\\]/g, "\\$&")}"`;
  }
  let enc = "";
  for (const b of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(b);
    enc += /[A-Za-z0-9!#$&+.^_`|~-]/.test(ch) ? ch : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return `${name}*=utf-8''${enc}`;
}

/**
 * Splits a Content-Type or Content-Disposition value into its value and parameters without
 * decoding anything (IMAP BODYSTRUCTURE hands the header's strings through, RFC 9051 §7.5.2):
 * quoted strings are unquoted, RFC 2231 §3 continuations are joined (`name*0`, `name*1`, … become
 * `name`; with extended sections `name*0*`, … become `name*`, still percent-encoded with their
 * `charset'language'` prefix), and charsets and encoded words are left as they are. Plain
 * parameters come first in header order, joined continuations after them. Works on any string,
 * octet strings included (char code = byte).
 *
 * @param value the unfolded header value
 * @returns the (lowercased, spaceless) value and the parameters as [lowercased name, value] pairs
 */
export function rawContentValue(value: string): { value: string; params: [string, string][] } {
  const { value: v, params } = splitParams(value.replace(/\r\n|\r|\n/g, ""));
  const plain: [string, string][] = [];
  const sections = new Map<string, { index: number; extended: boolean; value: string }[]>();
  for (const p of params) {
    const cont = /^([^*]+)\*(\d{1,3})(\*?)$/.exec(p.name);
    if (!cont) {
      plain.push([p.name, p.value]);
      continue;
    }
    const list = sections.get(cont[1]!) ?? [];
    list.push({ index: Number(cont[2]), extended: cont[3] === "*", value: p.value });
    sections.set(cont[1]!, list);
  }
  for (const [name, list] of sections) {
    list.sort((a, b) => a.index - b.index);
    const extended = list.some((s) => s.extended);
    plain.push([extended ? `${name}*` : name, list.map((s) => s.value).join("")]);
  }
  return { value: v.toLowerCase().replace(/\s+/g, ""), params: plain };
}
