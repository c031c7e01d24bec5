/**
 * IMAP section-number resolution over a parsed part tree (RFC 9051 §6.4.5).
 *
 * @module
 */
import type { MimePart } from "./types.ts";

/** Parts numbered directly under a message (the root or an embedded message/rfc822 body). */
function messageChildren(message: MimePart): MimePart[] {
  return message.type === "multipart" ? message.children : [message];
}

/** Parts numbered under a part: a multipart's children, or an embedded message's parts. */
function partChildren(part: MimePart): MimePart[] {
  if (part.type === "multipart") return part.children;
  if (part.message !== null) return messageChildren(part.message);
  return [];
}

/**
 * Finds the part a section number designates, or null when there is none.
 *
 * - `""` is the whole message (the root).
 * - In a non-multipart message, `"1"` is the root itself (its body is the only part).
 * - Under a message/rfc822 part `n`, `"n.1"` is the first part of the embedded message, or the
 *   embedded message itself when it is not multipart. `n.HEADER`/`n.TEXT` use `part.message`
 *   while `n.MIME` uses the part's own header.
 *
 * @param root the root returned by `parseMime`
 * @param section dotted numbers without a trailing specifier, e.g. `"1.2"`
 * @returns the part, or null
 */
export function findSection(root: MimePart, section: string): MimePart | null {
  if (section === "") return root;
  if (!/^[1-9][0-9]{0,8}(\.[1-9][0-9]{0,8})*$/.test(section)) return null;
  return findPartAt(root, section.split(".").map(Number));
}

/**
 * `findSection` for a section number already split into its numbers (IMAP FETCH parses them
 * once per command): `[]` is the root, `[1, 2]` is `"1.2"`.
 *
 * @param root the root returned by `parseMime`
 * @param path the part numbers, each from 1
 * @returns the part, or null
 */
export function findPartAt(root: MimePart, path: readonly number[]): MimePart | null {
  let list = messageChildren(root);
  let current: MimePart = root;
  for (const n of path) {
    const next = list[n - 1];
    if (next === undefined) return null;
    current = next;
    list = partChildren(current);
  }
  return current;
}

/**
 * Visits every part (children and embedded messages) depth-first, parents first.
 *
 * @param root the root part
 * @param visit called for each part with its nesting depth
 */
export function walkParts(root: MimePart, visit: (part: MimePart, depth: number) => void): void {
  const stack: [MimePart, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [part, depth] = stack.pop()!;
    visit(part, depth);
    if (part.message !== null) stack.push([part.message, depth + 1]);
    for (let i = part.children.length - 1; i >= 0; i--) stack.push([part.children[i]!, depth + 1]);
  }
}
