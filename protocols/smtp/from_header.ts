/**
 * Extracts the addresses of the `From:` header field from a message's first bytes, for the
 * submission sender check (RFC 6409 §8 lets an MSA refuse a From: the user may not use). Pure and
 * deliberately small: it only needs addr-specs, not display names.
 *
 * @module
 */

const decoder = new TextDecoder();

/** The header section of `head` (up to the first empty line), as text. */
function headerSection(head: Uint8Array): string {
  const text = decoder.decode(head);
  const m = /\r?\n\r?\n/.exec(text);
  return m ? text.slice(0, m.index) : text;
}

/**
 * Addresses (lower-cased) in every `From:` field of the header section. Group syntax and
 * comments are handled well enough for the check: anything in angle brackets, else bare
 * addr-specs separated by commas.
 */
export function fromAddresses(head: Uint8Array): string[] {
  const unfolded = headerSection(head).replace(/\r?\n[ \t]/g, " ");
  const out: string[] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^from[ \t]*:(.*)$/i.exec(line);
    if (!m) continue;
    // Remove quoted display names and comments so that their "@" or "," do not confuse us.
    const value = m[1]!.replace(/"(?:[^"\\]|\\.)*"/g, "").replace(/\((?:[^()\\]|\\.)*\)/g, "");
    const angled = [...value.matchAll(/<([^<>]*)>/g)].map((x) => x[1]!.trim());
    const bare = value.replace(/<[^<>]*>/g, "").split(/[,;:]/).map((s) => s.trim()).filter((s) =>
      /^[^\s@]+@[^\s@]+$/.test(s)
    );
    for (const a of [...angled, ...bare]) if (a !== "") out.push(a.toLowerCase());
  }
  return out;
}
