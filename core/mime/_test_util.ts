/**
 * Test helpers for core/mime (private to tests).
 *
 * @module
 */
import type { MimePart } from "./types.ts";

const enc = new TextEncoder();

/** Encodes a string as UTF-8 bytes. */
export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** Encodes a string one byte per char (Latin-1), for 8-bit test data. */
export function latin1Bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** A compact picture of a part tree: `section:type/subtype[children]{message}`. */
export function tree(part: MimePart): string {
  let s = `${part.section || "root"}:${part.type}/${part.subtype}`;
  if (part.children.length > 0) s += `[${part.children.map(tree).join(" ")}]`;
  if (part.message !== null) s += `{${tree(part.message)}}`;
  return s;
}

/** The body bytes of a part as a Latin-1 string. */
export function bodyOf(raw: Uint8Array, part: MimePart): string {
  return String.fromCharCode(...raw.subarray(part.bodyStart, part.bodyEnd));
}

/** The header bytes of a part as a Latin-1 string. */
export function headerOf(raw: Uint8Array, part: MimePart): string {
  return String.fromCharCode(...raw.subarray(part.headerStart, part.headerEnd));
}

/**
 * Checks the offset invariants of a tree; returns a list of violations (empty when fine).
 * headerStart <= headerEnd == bodyStart <= bodyEnd <= raw length; children inside the parent's
 * body and ordered; an embedded message spans exactly its part's body.
 */
export function offsetProblems(part: MimePart, length: number, path = "root"): string[] {
  const out: string[] = [];
  const where = `${path}(${part.section})`;
  if (!(0 <= part.headerStart && part.headerStart <= part.headerEnd)) out.push(`${where}: headerStart`);
  if (part.headerEnd !== part.bodyStart) out.push(`${where}: headerEnd != bodyStart`);
  if (!(part.bodyStart <= part.bodyEnd && part.bodyEnd <= length)) out.push(`${where}: body range`);
  for (const h of part.headers) {
    if (!(part.headerStart <= h.start && h.start < h.end && h.end <= part.headerEnd)) {
      out.push(`${where}: header ${h.name} out of range`);
    }
  }
  let prev = part.bodyStart;
  for (const child of part.children) {
    if (child.headerStart < prev || child.bodyEnd > part.bodyEnd) {
      out.push(`${where}: child ${child.section} outside`);
    }
    prev = child.bodyEnd;
    out.push(...offsetProblems(child, length, `${path}/${child.section}`));
  }
  if (part.message !== null) {
    if (part.message.headerStart !== part.bodyStart || part.message.bodyEnd !== part.bodyEnd) {
      out.push(`${where}: embedded message does not span the body`);
    }
    out.push(...offsetProblems(part.message, length, `${path}/msg`));
  }
  return out;
}
