/**
 * RFC 8621 §4.1.4 body selection: which leaf parts are the text body, the HTML body and the
 * attachments of a message (the `parseStructure` algorithm), plus `hasAttachment`.
 *
 * @module
 */
import type { MimePart } from "./types.ts";

/** The three lists of RFC 8621 §4.1.4. */
export interface BodyParts {
  /** Parts to show as the body, preferring text/plain in alternatives. */
  textBody: MimePart[];
  /** Parts to show as the body, preferring text/html in alternatives. */
  htmlBody: MimePart[];
  /** Every other leaf part (message/rfc822 included, not descended into). */
  attachments: MimePart[];
}

function isInlineMedia(part: MimePart): boolean {
  return part.type === "image" || part.type === "audio" || part.type === "video";
}

/** The part's file name: Content-Disposition filename, else Content-Type name. */
export function partName(part: MimePart): string | null {
  return part.disposition?.params["filename"] ?? part.params["name"] ?? null;
}

function walk(
  parts: MimePart[],
  multipartType: string,
  inAlternative: boolean,
  lists: { html: MimePart[] | null; text: MimePart[] | null; attachments: MimePart[] },
): void {
  let html = lists.html;
  let text = lists.text;
  const textLength = text ? text.length : -1;
  const htmlLength = html ? html.length : -1;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const mime = `${part.type}/${part.subtype}`;
    const isInline = part.disposition?.value !== "attachment" &&
      (mime === "text/plain" || mime === "text/html" || isInlineMedia(part)) &&
      (i === 0 || (multipartType !== "related" && (isInlineMedia(part) || partName(part) === null)));
    if (part.type === "multipart") {
      walk(part.children, part.subtype, inAlternative || part.subtype === "alternative", {
        html,
        text,
        attachments: lists.attachments,
      });
    } else if (isInline) {
      if (multipartType === "alternative") {
        if (mime === "text/plain") text?.push(part);
        else if (mime === "text/html") html?.push(part);
        else lists.attachments.push(part);
        continue;
      } else if (inAlternative) {
        if (mime === "text/plain") html = null;
        if (mime === "text/html") text = null;
      }
      text?.push(part);
      html?.push(part);
      if ((!text || !html) && isInlineMedia(part)) lists.attachments.push(part);
    } else {
      lists.attachments.push(part);
    }
  }
  if (multipartType === "alternative" && text && html) {
    // Only HTML found: use it as the text body too; only text found: the reverse.
    if (textLength === text.length && htmlLength !== html.length) {
      for (let i = htmlLength; i < html.length; i++) text.push(html[i]!);
    }
    if (htmlLength === html.length && textLength !== text.length) {
      for (let i = textLength; i < text.length; i++) html.push(text[i]!);
    }
  }
}

/**
 * Computes textBody, htmlBody and attachments as RFC 8621 §4.1.4 specifies.
 *
 * @param root the parsed message
 * @returns the three lists (parts appear in message order)
 */
export function bodyParts(root: MimePart): BodyParts {
  const textBody: MimePart[] = [];
  const htmlBody: MimePart[] = [];
  const attachments: MimePart[] = [];
  walk([root], "mixed", false, { html: htmlBody, text: textBody, attachments });
  return { textBody, htmlBody, attachments };
}

/**
 * RFC 8621 §4.1.4 hasAttachment: true when the attachments list holds a part that is not
 * `Content-Disposition: inline` (the SHOULD of the RFC). Parts with a Content-ID and no
 * disposition are taken as embedded images referenced from HTML (the MAY of the RFC).
 *
 * @param parts lists from {@link bodyParts}
 * @returns whether a client should offer a download
 */
export function hasAttachment(parts: BodyParts): boolean {
  return parts.attachments.some((p) =>
    p.disposition?.value !== "inline" && !(p.disposition === null && p.contentId !== null)
  );
}
