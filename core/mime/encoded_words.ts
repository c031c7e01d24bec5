/**
 * RFC 2047 encoded words: decoding (lenient, as real mail needs) and encoding for composing headers.
 *
 * @module
 */
import { decodeCharset } from "./charset.ts";
import { decodeBase64, encodeBase64 } from "./transfer_encoding.ts";

/**
 * `=?charset?B|Q?text?=`; charset may carry an RFC 2231 §5 language suffix (`utf-8*en`). The text
 * may contain spaces (a common violation); it may not contain "?".
 */
const ENCODED_WORD = /=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=/g;

function decodeQ(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) { // "_" is space in Q encoding (RFC 2047 §4.2 rule 2)
      out[o++] = 0x20;
    } else if (c === 0x3d && i + 2 < text.length && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[o++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      out[o++] = c & 0xff;
    }
  }
  return out.slice(0, o);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

interface Word {
  start: number;
  end: number;
  charset: string;
  bytes: Uint8Array;
  raw: string;
}

/**
 * Decodes every RFC 2047 encoded word in a header value. Whitespace between adjacent encoded words
 * is removed (§6.2); adjacent words in the same charset are joined before charset decoding, so a
 * multi-byte character split across words survives; words in an unknown charset stay as written.
 * Encoded words glued to other text are decoded too (a common violation). Never throws.
 *
 * @param value an unfolded header value
 * @returns the decoded text
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes("=?")) return value;
  const words: Word[] = [];
  for (const m of value.matchAll(ENCODED_WORD)) {
    const charset = m[1]!.split("*")[0]!.toLowerCase();
    const text = m[3]!;
    const bytes = m[2]!.toLowerCase() === "b" ? decodeBase64(text) : decodeQ(text);
    words.push({ start: m.index, end: m.index + m[0].length, charset, bytes, raw: m[0] });
  }
  if (words.length === 0) return value;
  let out = "";
  let pos = 0;
  let i = 0;
  while (i < words.length) {
    const first = words[i]!;
    out += value.slice(pos, first.start);
    let bytes = first.bytes;
    let raw = first.raw;
    let end = first.end;
    let j = i + 1;
    // Join following words separated only by whitespace.
    while (j < words.length && /^[ \t\r\n]*$/.test(value.slice(end, words[j]!.start))) {
      const next = words[j]!;
      if (next.charset !== first.charset) break;
      bytes = concat(bytes, next.bytes);
      raw += next.raw;
      end = next.end;
      j++;
    }
    out += decodeCharset(bytes, first.charset) ?? raw;
    pos = end;
    i = j;
    // Whitespace between this run and a following encoded word in another charset is dropped too.
    if (i < words.length && /^[ \t\r\n]*$/.test(value.slice(pos, words[i]!.start))) pos = words[i]!.start;
  }
  return out + value.slice(pos);
}

/** Characters allowed unencoded in a Q-encoded word inside a phrase (RFC 2047 §5 rule 3). */
const Q_SAFE = /[A-Za-z0-9!*+\-/]/;

/**
 * Encodes a header text as RFC 2047 encoded words when it is not plain printable ASCII; plain
 * ASCII text is returned unchanged. Uses UTF-8, Q encoding when mostly ASCII, B otherwise, and keeps
 * every encoded word at most 75 characters (§2) without splitting a character.
 *
 * @param text the Unicode text
 * @returns the text or a sequence of encoded words separated by spaces
 */
export function encodeEncodedWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && !text.includes("=?")) return text;
  const encoder = new TextEncoder();
  const chars = Array.from(text);
  const nonAscii = chars.filter((c) => c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20).length;
  const useQ = nonAscii * 3 < chars.length;
  const prefix = useQ ? "=?UTF-8?Q?" : "=?UTF-8?B?";
  const budget = 75 - prefix.length - 2;
  const words: string[] = [];
  let current: number[] = [];
  let currentLen = 0;
  const emit = () => {
    if (current.length === 0) return;
    const bytes = new Uint8Array(current);
    words.push(prefix + (useQ ? qEncode(bytes) : encodeBase64(bytes, 0)) + "?=");
    current = [];
    currentLen = 0;
  };
  for (const ch of chars) {
    const bytes = encoder.encode(ch);
    const cost = useQ
      ? Array.from(bytes).reduce((n, b) => n + (b === 0x20 || Q_SAFE.test(String.fromCharCode(b)) ? 1 : 3), 0)
      : 0;
    const next = useQ ? currentLen + cost : Math.ceil((current.length + bytes.length) / 3) * 4;
    if (next > budget && current.length > 0) emit();
    current.push(...bytes);
    currentLen += cost;
  }
  emit();
  return words.join(" ");
}

function qEncode(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (b === 0x20) out += "_";
    else if (b < 0x80 && Q_SAFE.test(ch)) out += ch;
    else out += "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * Decodes a header value for display: encoded words decoded, and a value whose bytes were Latin-1
 * decoded left alone.
 *
 * @param value raw header value (unfolded)
 * @returns decoded, trimmed text
 */
export function decodeHeaderText(value: string): string {
  return decodeEncodedWords(value.replace(/\r\n|\r|\n/g, "")).trim();
}
