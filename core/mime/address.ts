/**
 * RFC 5322 §3.4 address lists, leniently: groups, comments, quoted local parts and display names,
 * RFC 2047 display names (also inside quotes, a common violation), obsolete routes (§4.4), and
 * garbage that still yields something useful.
 *
 * @module
 */
import type { EmailAddress } from "./types.ts";
import { decodeEncodedWords } from "./encoded_words.ts";

/** A group of addresses (RFC 8621 §4.1.2.4 GroupedAddresses); `name` is null outside groups. */
export interface AddressGroup {
  /** Decoded group display name; null for addresses outside any group. */
  name: string | null;
  /** The group's mailboxes in order (possibly empty: `undisclosed-recipients:;`). */
  addresses: EmailAddress[];
}

type Token =
  | { kind: "atom"; text: string }
  | { kind: "quoted"; text: string }
  | { kind: "comment"; text: string }
  | { kind: "angle"; text: string }
  | { kind: "special"; text: string }
  | { kind: "space"; text: string };

const MAX_INPUT = 256 * 1024;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const s = input.length > MAX_INPUT ? input.slice(0, MAX_INPUT) : input;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      let j = i;
      while (j < n && /[ \t\r\n]/.test(s[j]!)) j++;
      tokens.push({ kind: "space", text: " " });
      i = j;
    } else if (c === '"') {
      let text = "";
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < n) i++;
        text += s[i++];
      }
      i++;
      tokens.push({ kind: "quoted", text });
    } else if (c === "(") {
      let depth = 1;
      let text = "";
      i++;
      while (i < n && depth > 0) {
        const d = s[i]!;
        if (d === "\\" && i + 1 < n) {
          text += s[i + 1];
          i += 2;
          continue;
        }
        if (d === "(") depth++;
        else if (d === ")" && --depth === 0) break;
        text += d;
        i++;
      }
      i++;
      tokens.push({ kind: "comment", text });
    } else if (c === "<") {
      const close = s.indexOf(">", i + 1);
      const stop = close < 0 ? n : close;
      tokens.push({ kind: "angle", text: s.slice(i + 1, stop) });
      i = stop + 1;
    } else if (c === "," || c === ";" || c === ":" || c === ">") {
      tokens.push({ kind: "special", text: c });
      i++;
    } else {
      let j = i;
      while (j < n && !/[ \t\r\n"(<,;:>]/.test(s[j]!)) j++;
      tokens.push({ kind: "atom", text: s.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function cleanAddrSpec(text: string): string {
  let s = text.replace(/\([^)]*\)/g, "").trim();
  // Obsolete route (RFC 5322 §4.4): <@a.example,@b.example:user@c.example>
  const route = /^@[^:]*:(.*)$/.exec(s);
  if (route) s = route[1]!;
  s = s.replace(/^mailto:/i, "");
  // Whitespace is only meaningful inside a quoted local part.
  if (!s.includes('"')) s = s.replace(/\s+/g, "");
  return s.trim();
}

function phrase(tokens: Token[]): string {
  let out = "";
  for (const t of tokens) {
    if (t.kind === "space") out += " ";
    else if (t.kind === "atom" || t.kind === "quoted") out += t.text;
    else if (t.kind === "special" && t.text === ":") out += ":";
  }
  // Decoded as a whole so that adjacent encoded words join (RFC 2047 §6.2).
  return decodeEncodedWords(out).replace(/\s+/g, " ").trim();
}

/** Turns the tokens of one mailbox into an address, or null when there is nothing. */
function mailbox(tokens: Token[]): EmailAddress | null {
  const angleIdx = tokens.findIndex((t) => t.kind === "angle");
  const comments = tokens.filter((t) => t.kind === "comment").map((t) => decodeEncodedWords(t.text).trim());
  if (angleIdx >= 0) {
    const email = cleanAddrSpec(tokens[angleIdx]!.text);
    const nameTokens = tokens.filter((t, i) => i !== angleIdx && t.kind !== "comment");
    let name = phrase(nameTokens);
    if (name === "" && comments.length > 0) name = comments.join(" ").trim();
    return { name: name === "" ? null : name, email };
  }
  const content = tokens.filter((t) => t.kind !== "comment");
  const text = content.map((t) => (t.kind === "quoted" ? `"${t.text}"` : t.text)).join("").trim();
  if (text === "") return null; // nothing but comments
  if (text.includes("@")) {
    // addr-spec, perhaps with an old-style "(Display Name)" comment.
    const words = content.filter((t) => t.kind !== "space");
    const at = text.lastIndexOf("@");
    const spaced = /\s/.test(text.slice(0, at).replace(/"[^"]*"/g, "")) && words.length > 1;
    if (spaced) {
      // "Name user@example.com": the last word with "@" is the address.
      const lastAt = content.map((t) => t.kind === "atom" && t.text.includes("@")).lastIndexOf(true);
      if (lastAt > 0) {
        const name = phrase(content.slice(0, lastAt));
        return { name: name === "" ? null : name, email: cleanAddrSpec(content[lastAt]!.text) };
      }
    }
    const name = comments.join(" ").trim();
    return { name: name === "" ? null : name, email: cleanAddrSpec(text) };
  }
  // No "@": a bare local name, or only a display name.
  const words = content.filter((t) => t.kind !== "space");
  if (words.length === 1 && words[0]!.kind === "atom" && !words[0]!.text.includes("=?")) {
    const name = comments.join(" ").trim();
    return { name: name === "" ? null : name, email: words[0]!.text };
  }
  const name = phrase(content) || comments.join(" ").trim();
  return name === "" ? null : { name, email: "" };
}

/**
 * Parses an address-list header value into groups (RFC 8621 §4.1.2.4 `asGroupedAddresses`):
 * mailboxes outside any group are collected in groups with a null name. Never throws.
 *
 * @param value the raw (unfolded) header value
 * @returns groups in order
 */
export function parseAddressGroups(value: string): AddressGroup[] {
  const tokens = tokenize(value);
  const groups: AddressGroup[] = [];
  let current: AddressGroup | null = null; // open named group
  let pending: Token[] = [];
  const push = (addr: EmailAddress | null) => {
    if (addr === null) return;
    if (current !== null) {
      current.addresses.push(addr);
      return;
    }
    const last = groups[groups.length - 1];
    if (last !== undefined && last.name === null) last.addresses.push(addr);
    else groups.push({ name: null, addresses: [addr] });
  };
  for (const t of tokens) {
    if (
      t.kind === "special" && t.text === ":" && current === null && !pending.some((p) => p.kind === "angle")
    ) {
      // "Group name:" starts a group (RFC 5322 §3.4).
      current = { name: phrase(pending) || null, addresses: [] };
      groups.push(current);
      pending = [];
    } else if (t.kind === "special" && t.text === ";" && current !== null) {
      push(mailbox(pending));
      pending = [];
      current = null;
    } else if (t.kind === "special" && (t.text === "," || t.text === ";")) {
      push(mailbox(pending));
      pending = [];
    } else if (!(t.kind === "special" && t.text === ">")) {
      pending.push(t);
    }
  }
  push(mailbox(pending));
  return groups;
}

/**
 * Parses an address-list header value into a flat list (groups flattened, RFC 8621 §4.1.2.3
 * `asAddresses`). Encoded-word display names are decoded. Never throws.
 *
 * @example
 * ```ts
 * import { parseAddressList } from "./address.ts";
 * parseAddressList('"Doe, Jane" <jane@example.org>, bob@example.org (Bob)');
 * // [{ name: "Doe, Jane", email: "jane@example.org" }, { name: "Bob", email: "bob@example.org" }]
 * ```
 *
 * @param value the raw (unfolded) header value
 * @returns the addresses in order
 */
export function parseAddressList(value: string): EmailAddress[] {
  return parseAddressGroups(value).flatMap((g) => g.addresses);
}

/**
 * Formats one address for a header: `"Name" <email>` with RFC 2047 encoding when needed is the
 * composer's job; this gives the plain display form `Name <email>`.
 *
 * @param address the address
 * @returns display text
 */
export function formatAddress(address: EmailAddress): string {
  if (address.name === null || address.name === "") return address.email;
  const name = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/.test(address.name)
    ? address.name
    : `"${address.name.replace(/["\\]/g, "\\$&")}"`;
  return `${name} <${address.email}>`;
}
