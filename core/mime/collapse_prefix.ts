/**
 * The first characters of a text with its whitespace collapsed, computed without touching more
 * of the text than the result needs (a preview of a long body costs its length, not the body's).
 *
 * @module
 */

/** Whether a UTF-16 code unit is whitespace as the RegExp `\s` class defines it. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * `Array.from(s.replace(/\s+/g, " ").trim()).slice(0, max).join("")`, in time proportional to
 * the output: leading and trailing whitespace dropped, each inner run of whitespace one space,
 * at most `max` code points (a surrogate pair is never split).
 *
 * @param s the text
 * @param max the most code points returned
 */
export function collapsedPrefix(s: string, max: number): string {
  let out = "";
  let count = 0;
  let pendingSpace = false;
  for (let i = 0; i < s.length && count < max; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      if (count > 0) pendingSpace = true;
      continue;
    }
    if (pendingSpace) {
      out += " ";
      pendingSpace = false;
      if (++count >= max) break;
    }
    // A high surrogate followed by a low one is one code point: copy both.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        count++;
        continue;
      }
    }
    out += s[i]!;
    count++;
  }
  return out;
}
