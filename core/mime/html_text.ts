/**
 * A small HTML-to-text conversion for previews and search (RFC 8621 §4.1.4 preview from HTML).
 * Not a renderer: it drops markup, scripts and styles, and decodes common entities.
 *
 * @module
 */

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  laquo: "«",
  raquo: "»",
  euro: "€",
  rsquo: "’",
  lsquo: "‘",
  rdquo: "”",
  ldquo: "“",
  bull: "•",
  middot: "·",
  eacute: "é",
  egrave: "è",
  agrave: "à",
  auml: "ä",
  ouml: "ö",
  uuml: "ü",
  szlig: "ß",
};

/** Elements whose content is not text. */
const SKIP_CONTENT = new Set(["script", "style", "head", "title", "template"]);
/** Elements that break lines. */
const BLOCK = new Set([
  "br",
  "p",
  "div",
  "tr",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "table",
  "blockquote",
  "hr",
]);

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/**
 * Converts HTML to plain text in one linear pass: `<script>`, `<style>`, `<head>` and comments
 * removed, block elements become line breaks, other tags are dropped, entities decoded. Unclosed
 * elements never make it scan the rest of the document again.
 *
 * @param html HTML source
 * @returns plain text (whitespace not collapsed)
 */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  const out: string[] = [];
  // Memo of the last search for each closing tag: keeps repeated searches linear.
  const closing = new Map<string, number>();
  const findClose = (name: string, from: number): number => {
    const last = closing.get(name);
    if (last !== undefined && (last === -1 || last >= from)) return last;
    const at = lower.indexOf(`</${name}`, from);
    closing.set(name, at);
    return at;
  };
  const tagName = /<\/?([a-z][a-z0-9]*)/y;
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, lt));
    if (lower.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? n : end + 3;
      out.push(" ");
      continue;
    }
    tagName.lastIndex = lt;
    const m = tagName.exec(lower);
    if (m === null) {
      out.push("<");
      i = lt + 1;
      continue;
    }
    const gt = html.indexOf(">", lt);
    if (gt < 0) break; // an unterminated tag swallows the rest, as browsers do
    const name = m[1]!;
    const isClosing = html[lt + 1] === "/";
    i = gt + 1;
    if (!isClosing && SKIP_CONTENT.has(name) && html[gt - 1] !== "/") {
      const close = findClose(name, i);
      if (close >= 0) {
        const end = html.indexOf(">", close);
        i = end < 0 ? n : end + 1;
      }
    }
    out.push(BLOCK.has(name) ? "\n" : " ");
  }
  return decodeEntities(out.join(""));
}
