/**
 * THE HTML sanitiser: every HTML body that Tern hands to something that may render it (webhook
 * payloads, the admin API's message endpoints) goes through `sanitizeHtml` and its one allow-list.
 *
 * A strict allow-list over npm `sanitize-html` (an htmlparser2 tokenizer, so malformed markup is
 * parsed the way browsers recover from it):
 * - only text-formatting, list, table, link and image elements survive; `script`, `style`,
 *   `iframe`, `object`, `embed`, `form` and its controls, `svg`, `math`, `link`, `meta`, `base` are
 *   dropped, the first group with their content;
 * - no event handlers (`on*`) or other attributes beyond a per-element list;
 * - links only to `http:`, `https:` and `mailto:` (never `javascript:`, `data:`, `vbscript:`, or
 *   protocol-relative), opened with `rel="noopener noreferrer nofollow"`;
 * - inline `style` keeps only listed presentational properties, and never a value that loads a
 *   resource (`url(`, `image-set(`, `expression(`);
 * - images only from `cid:` (the message's own parts) unless the caller allows remote resources,
 *   so that rendering a message does not tell its sender it was read.
 *
 * @module
 */
// @deno-types="@types/sanitize-html"
import sanitize from "sanitize-html";

/** What the caller allows beyond the strict default. */
export interface SanitizeHtmlOptions {
  /** Keep `http:`/`https:` image sources (remote resources). Default false: only `cid:` images. */
  allowRemoteResources?: boolean;
  /**
   * Rewrites a `cid:` image reference (RFC 2392) to a URL the reader can fetch (e.g. a signed
   * attachment URL); returning null drops the image. Without it `cid:` sources are kept as they are.
   */
  cidUrl?: (contentId: string) => string | null;
}

const TEXT_TAGS = [
  "a",
  "abbr",
  "address",
  "b",
  "bdi",
  "bdo",
  "blockquote",
  "br",
  "caption",
  "center",
  "cite",
  "code",
  "col",
  "colgroup",
  "dd",
  "del",
  "dfn",
  "div",
  "dl",
  "dt",
  "em",
  "figcaption",
  "figure",
  "font",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "i",
  "img",
  "ins",
  "kbd",
  "li",
  "mark",
  "ol",
  "p",
  "pre",
  "q",
  "s",
  "samp",
  "small",
  "span",
  "strike",
  "strong",
  "sub",
  "sup",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "time",
  "tr",
  "tt",
  "u",
  "ul",
  "var",
  "wbr",
];

/** A CSS value that cannot load anything or run script. */
const SAFE_CSS_VALUE =
  /^(?!.*(?:url|image-set|image|cross-fade|element|expression|var|env)\s*\()(?!.*[\\<>])[^;]*$/i;

const STYLE_PROPERTIES = [
  "color",
  "background-color",
  "text-align",
  "text-decoration",
  "text-transform",
  "text-indent",
  "font-weight",
  "font-style",
  "font-size",
  "font-family",
  "line-height",
  "letter-spacing",
  "white-space",
  "vertical-align",
  "width",
  "max-width",
  "height",
  "margin",
  "margin-top",
  "margin-right",
  "margin-bottom",
  "margin-left",
  "padding",
  "padding-top",
  "padding-right",
  "padding-bottom",
  "padding-left",
  "border",
  "border-top",
  "border-right",
  "border-bottom",
  "border-left",
  "border-color",
  "border-style",
  "border-width",
  "border-collapse",
  "border-radius",
  "display",
];

const ALLOWED_STYLES: Record<string, RegExp[]> = Object.fromEntries(
  STYLE_PROPERTIES.map((p) => [p, [SAFE_CSS_VALUE]]),
);

const CELL_ATTRIBUTES = ["colspan", "rowspan", "align", "valign", "width", "height", "bgcolor"];

function buildOptions(opts: SanitizeHtmlOptions): sanitize.IOptions {
  const remote = opts.allowRemoteResources === true;
  return {
    allowedTags: TEXT_TAGS,
    // Dropped together with their content (everything else not allowed keeps its text).
    nonTextTags: [
      "script",
      "style",
      "textarea",
      "option",
      "noscript",
      "title",
      "head",
      "template",
      "xmp",
      "iframe",
    ],
    disallowedTagsMode: "discard",
    allowedAttributes: {
      "*": ["dir", "lang", "title", "style", "align"],
      a: ["href", "name", "target", "rel"],
      img: ["src", "alt", "width", "height"],
      font: ["color", "face", "size"],
      table: ["border", "cellpadding", "cellspacing", "width", "bgcolor"],
      col: ["span", "width"],
      colgroup: ["span", "width"],
      td: CELL_ATTRIBUTES,
      th: CELL_ATTRIBUTES,
      tr: ["valign", "bgcolor"],
      ol: ["start", "type", "reversed"],
      li: ["value"],
      time: ["datetime"],
      blockquote: ["cite"],
      q: ["cite"],
    },
    allowedStyles: { "*": ALLOWED_STYLES },
    allowedSchemes: ["http", "https", "mailto"],
    // Image sources are decided by the img transform below (cid:, rewritten cid:, remote if allowed).
    allowedSchemesByTag: { img: ["http", "https", "cid"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    allowedClasses: {},
    allowVulnerableTags: false,
    enforceHtmlBoundary: false,
    parseStyleAttributes: true,
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: {
          ...attribs,
          // Links leave the reader's context without referrer or opener.
          target: "_blank",
          rel: "noopener noreferrer nofollow",
        },
      }),
      img: (tagName, attribs) => {
        const src = (attribs.src ?? "").trim();
        const next = { ...attribs };
        delete next.src;
        if (/^cid:/i.test(src)) {
          // RFC 2392: cid:<content-id>, URL-encoded.
          const url = opts.cidUrl ? opts.cidUrl(decodeCid(src.slice(4))) : src;
          if (url !== null) next.src = url;
        } else if (remote && /^https?:/i.test(src)) {
          next.src = src;
        }
        return { tagName, attribs: next };
      },
    },
    // An image left without a source shows nothing: drop it.
    exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
  };
}

function decodeCid(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Sanitises an HTML body with the strict allow-list (see the module comment). Pure; the result is
 * an HTML fragment safe to render in a page of another origin's choosing.
 */
export function sanitizeHtml(html: string, opts: SanitizeHtmlOptions = {}): string {
  return sanitize(html, buildOptions(opts));
}
