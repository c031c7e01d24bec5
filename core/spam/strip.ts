/**
 * Removal of incoming `X-Spam-*` header fields (X-Spam-Score, X-Spam-Status, X-Spam-Flag, …) from
 * MX mail before the spam stage adds its own, so that no sender can claim a verdict (as
 * SpamAssassin does with the fields it writes). Pure over the header bytes; the body is untouched.
 *
 * @module
 */
import type { MessageSource } from "../delivery/spool.ts";
import { concat } from "../delivery/spool.ts";
import { headerEnd, withHeader } from "../mailauth/forged_results.ts";

const latin1 = new TextDecoder("latin1");

/** The header section without its `X-Spam-*` fields, or null when it has none. */
export function stripSpamFields(header: Uint8Array): Uint8Array | null {
  // A field starts at a line not beginning with WSP (RFC 5322 §2.2.3 folding).
  const starts: number[] = [];
  for (let i = 0; i < header.length; i++) {
    if ((i === 0 || header[i - 1] === 0x0a) && header[i] !== 0x20 && header[i] !== 0x09) starts.push(i);
  }
  starts.push(header.length);
  const keep: Uint8Array[] = [];
  let size = 0;
  let removed = false;
  for (let k = 0; k + 1 < starts.length; k++) {
    const field = header.subarray(starts[k]!, starts[k + 1]!);
    if (/^x-spam-[a-z0-9-]*[ \t]*:/i.test(latin1.decode(field.subarray(0, Math.min(field.length, 80))))) {
      removed = true;
      continue;
    }
    keep.push(field);
    size += field.length;
  }
  return removed ? concat(keep, size) : null;
}

/** `message` without incoming `X-Spam-*` fields, or itself when it has none (or its header does not fit in `head()`). */
export function withoutSpamFields(message: MessageSource): MessageSource {
  const head = message.head();
  const end = headerEnd(head);
  if (end === -1) return message;
  const cleaned = stripSpamFields(head.subarray(0, end));
  return cleaned === null ? message : withHeader(message, end, cleaned);
}
