/**
 * The junk filter's tokenizer: a message's distinct words, pure over its bytes. Words of the
 * decoded text parts (HTML as text) and of the Subject, lowercased, 3 to 24 characters; header
 * tokens are prefixed with their field (`subject:`, `from:` for the sender's domain) so the same
 * word in a header and in the body count apart, as in SpamBayes' and mox's tokenizers. Bounded:
 * at most `MAX_TEXT` characters of text are read and `MAX_TOKENS` tokens returned.
 *
 * @module
 */
import { extractText } from "../mime/summary.ts";
import { parseMime } from "../mime/parse.ts";
import { getHeader } from "../mime/header.ts";
import { decodeHeaderText } from "../mime/encoded_words.ts";
import { parseAddressList } from "../mime/address.ts";

/** Most characters of body text tokenized. */
export const MAX_TEXT = 256 * 1024;
/** Most distinct tokens of one message. */
export const MAX_TOKENS = 3000;

// A word may start with a currency sign (prices are strong clues), and keeps inner dots and dashes.
const WORD = /[\p{L}\p{N}$€£][\p{L}\p{N}'$€£.\-]*[\p{L}\p{N}$€£]|[\p{L}\p{N}]/gu;

/** The words of a text: lowercased, 3..24 characters, trailing punctuation dropped. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0];
    if (w.length >= 3 && w.length <= 24 && !/^\d+$/.test(w)) out.push(w);
  }
  return out;
}

/** The distinct tokens of a message (at most `MAX_TOKENS`, in order of first appearance). */
export function tokenize(raw: Uint8Array): string[] {
  const root = parseMime(raw);
  const seen = new Set<string>();
  const add = (t: string) => {
    if (seen.size < MAX_TOKENS) seen.add(t);
  };
  const subject = getHeader(root, "subject");
  if (subject) { for (const w of words(decodeHeaderText(subject))) add(`subject:${w}`); }
  const from = getHeader(root, "from");
  if (from) {
    for (const a of parseAddressList(from)) {
      const domain = a.email.split("@")[1];
      if (domain) add(`from:${domain.toLowerCase()}`);
    }
  }
  let text = extractText(raw, { headers: false });
  if (text.length > MAX_TEXT) text = text.slice(0, MAX_TEXT);
  for (const w of words(text)) add(w);
  return [...seen];
}
