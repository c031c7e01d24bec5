/**
 * Charset decoding for MIME text (RFC 2046 §4.1.2, RFC 2978) on top of the WHATWG `TextDecoder`.
 *
 * @module
 */

/** Charset names seen in real mail that WHATWG does not know under that spelling. */
const ALIASES: Record<string, string> = {
  "cp936": "gbk",
  "ms936": "gbk",
  "cp949": "euc-kr",
  "ms949": "euc-kr",
  "uhc": "euc-kr",
  "cp932": "shift_jis",
  "ms932": "shift_jis",
  "sjis": "shift_jis",
  "shift-jis": "shift_jis",
  "cp950": "big5",
  "ms950": "big5",
  "utf-8-bom": "utf-8",
  "unicode-1-1-utf-8": "utf-8",
  "ascii": "us-ascii",
  "iso-8859-1-windows-3.0-latin-1": "windows-1252",
  "iso-2022-jp-2": "iso-2022-jp",
  "iso-2022-jp-3": "iso-2022-jp",
  "iso-2022-jp-ms": "iso-2022-jp",
  "cp20932": "euc-jp",
  "eucjp": "euc-jp",
  "euckr": "euc-kr",
  "latin-1": "latin1",
  "latin-2": "iso-8859-2",
  "cp819": "latin1",
  "tis620": "windows-874",
  "tis-620": "windows-874",
  "iso-8859-11": "windows-874",
  "cp866": "ibm866",
  "uft-8": "utf-8",
  "utf8mb4": "utf-8",
};

const UTF7 = new Set(["utf-7", "utf7", "unicode-1-1-utf-7", "csunicode11utf7"]);
const B64_UTF7 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Decodes UTF-7 (RFC 2152): `+` starts modified base64 of UTF-16BE, ended by `-` (absorbed) or any
 * other non-base64 character; `+-` is a literal `+`.
 *
 * @param bytes UTF-7 bytes
 * @returns the text
 */
export function decodeUtf7(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c !== 0x2b) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    i++;
    if (bytes[i] === 0x2d) {
      out += "+";
      i++;
      continue;
    }
    let bits = 0;
    let acc = 0;
    const units: number[] = [];
    while (i < bytes.length) {
      const v = B64_UTF7.indexOf(String.fromCharCode(bytes[i]!));
      if (v < 0) break;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push((acc >> bits) & 0xffff);
      }
      acc &= (1 << bits) - 1;
      i++;
    }
    for (let k = 0; k < units.length; k += 4096) {
      out += String.fromCharCode(...units.slice(k, k + 4096));
    }
    if (bytes[i] === 0x2d) i++;
  }
  return out.toWellFormed();
}

/**
 * Decodes bytes in a MIME charset (aliases resolved, UTF-7 included), or returns null when the
 * charset is unknown.
 *
 * @param bytes encoded text
 * @param charset charset name
 * @returns the text, or null
 */
export function decodeCharset(bytes: Uint8Array, charset: string): string | null {
  const key = charset.trim().replace(/^["']|["']$/g, "").toLowerCase();
  if (UTF7.has(key)) return decodeUtf7(bytes);
  const decoder = charsetDecoder(key);
  return decoder === null ? null : decoder.decode(bytes);
}

const decoders = new Map<string, TextDecoder | null>();

/** Labels WHATWG maps to its "replacement" decoder (which would destroy the text). */
const REPLACEMENT_LABELS = new Set([
  "csiso2022kr",
  "hz-gb-2312",
  "iso-2022-cn",
  "iso-2022-cn-ext",
  "iso-2022-kr",
]);

function tryDecoder(label: string): TextDecoder | null {
  if (REPLACEMENT_LABELS.has(label)) return null;
  try {
    return new TextDecoder(label);
  } catch {
    return null;
  }
}

/**
 * Returns a `TextDecoder` for a MIME charset name, resolving common aliases (`cp1252`, `ms932`,
 * `iso8859_15`, `utf8`, …), or null when the charset is unknown.
 *
 * @param charset charset name as found in a Content-Type parameter or encoded word
 * @returns a non-fatal decoder, or null
 */
export function charsetDecoder(charset: string): TextDecoder | null {
  const key = charset.trim().replace(/^["']|["']$/g, "").toLowerCase();
  const cached = decoders.get(key);
  if (cached !== undefined) return cached;
  let decoder = key === "" ? null : tryDecoder(ALIASES[key] ?? key);
  if (decoder === null && key !== "") {
    const windows = /^(?:cp|ms|x-cp|win|windows)[-_]?(125\d)$/.exec(key);
    const iso = /^iso[-_ ]?8859[-_ ]?(\d{1,2})(?:[:-_].*)?$/.exec(key);
    const alias = windows ? `windows-${windows[1]}` : iso ? `iso-8859-${iso[1]}` : key.replace(/_/g, "-");
    decoder = tryDecoder(alias);
  }
  if (decoders.size < 256) decoders.set(key, decoder);
  return decoder;
}

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextDecoder("utf-8");
const windows1252 = new TextDecoder("windows-1252");

/**
 * True when every byte is below 0x80.
 *
 * @param bytes input
 * @returns whether the bytes are plain US-ASCII
 */
export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/**
 * Decodes bytes as UTF-8 when they are valid UTF-8, otherwise as Latin-1 (one char per byte, so
 * the bytes stay recoverable). Used for raw header values (RFC 6532 allows UTF-8 headers).
 *
 * @param bytes header bytes
 * @returns the decoded string
 */
export function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  if (isAscii(bytes)) return utf8.decode(bytes);
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/**
 * Decodes bytes one char per byte (ISO-8859-1 proper, not windows-1252).
 *
 * @param bytes input
 * @returns a string whose char codes are the bytes
 */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + CHUNK)));
  }
  return out;
}

/**
 * Decodes MIME text to a string. Unknown or missing charsets, and US-ASCII (which real mail
 * routinely violates), fall back to UTF-8 when the bytes are valid UTF-8 and to windows-1252
 * otherwise. Never throws.
 *
 * @param bytes the (transfer-decoded) text
 * @param charset the declared charset, if any
 * @returns the decoded text
 */
export function decodeText(bytes: Uint8Array, charset?: string | null): string {
  const key = (charset ?? "").trim().toLowerCase();
  if (key !== "" && key !== "us-ascii" && key !== "ascii") {
    const text = decodeCharset(bytes, key);
    if (text !== null) return text;
  }
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return windows1252.decode(bytes);
  }
}

/**
 * Decodes UTF-8 leniently (invalid sequences become U+FFFD).
 *
 * @param bytes input
 * @returns the decoded string
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * Repairs a header value that {@link decodeUtf8OrLatin1} had to decode as Latin-1 (invalid UTF-8)
 * for display: when the bytes are mostly UTF-8 with a few broken sequences, lossy UTF-8 is used;
 * otherwise windows-1252. Strings with characters above U+00FF are returned unchanged.
 *
 * @param value a header value
 * @returns text for display
 */
export function repairHeaderText(value: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[\x80-\xff]/.test(value) || /[^\x00-\xff]/.test(value)) return value;
  const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0));
  const lossy = utf8.decode(bytes);
  let bad = 0;
  for (const ch of lossy) if (ch === "\ufffd") bad++;
  let high = 0;
  for (const b of bytes) if (b >= 0x80) high++;
  return bad * 8 < high ? lossy : windows1252.decode(bytes);
}
