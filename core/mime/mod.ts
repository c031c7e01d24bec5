/**
 * Tern's MIME toolkit: pure functions over message bytes.
 *
 * - {@link parseMime}: the part tree with byte offsets (IMAP sections, BODYSTRUCTURE, JMAP bodyStructure).
 * - {@link summarize} / {@link extractText}: what the store keeps per message.
 * - Header, RFC 2047, RFC 2231, transfer encodings, charsets, addresses, dates, message ids.
 *
 * @module
 */
export type { ContentValue, HeaderField, MimePart } from "./types.ts";
export type { EmailAddress, MessageSummary } from "./types.ts";
export { MAX_DEPTH, MAX_PARTS, parseMime } from "./parse.ts";
export { findSection, walkParts } from "./section.ts";
export {
  getHeader,
  getHeaders,
  getLastHeader,
  type HeaderBlock,
  type HeaderBlockOptions,
  parseHeaderBlock,
  rawFieldValue,
} from "./header.ts";
export { decodeEncodedWords, decodeHeaderText, encodeEncodedWords } from "./encoded_words.ts";
export { foldHeader, formatUnstructured } from "./header_format.ts";
export { formatParam, parseContentValue, parseParams, stripComments } from "./rfc2231.ts";
export {
  decodeBase64,
  decodeQuotedPrintable,
  decodeTransfer,
  encodeBase64,
  encodeQuotedPrintable,
  type QpOptions,
} from "./transfer_encoding.ts";
export {
  charsetDecoder,
  decodeCharset,
  decodeText,
  decodeUtf7,
  decodeUtf8OrLatin1,
  repairHeaderText,
} from "./charset.ts";
export { type AddressGroup, formatAddress, parseAddressGroups, parseAddressList } from "./address.ts";
export {
  asDate,
  asMessageIds,
  asText,
  asURLs,
  headerAs,
  headerFormAllowed,
  type HeaderFormName,
  type HeaderFormValue,
} from "./header_forms.ts";
export { formatDate, formatImapDate, parseDate, parseImapDate } from "./date.ts";
export { formatMessageIds, parseMessageIds } from "./message_id.ts";
export { decodedBody, partText } from "./body.ts";
export { type BodyParts, bodyParts, hasAttachment, partName } from "./body_parts.ts";
export { htmlToText } from "./html_text.ts";
export { crlfLength, lfToCrlf, toCrlf } from "./line_endings.ts";
export { extractText, MAX_EXTRACT_CHARS, PREVIEW_LENGTH, summarize, summarizeParsed } from "./summary.ts";
