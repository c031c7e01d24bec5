/**
 * The message a Sieve run reads, parsed lazily and at most once: its header fields (indexed by
 * lowercase name, each field's decoded value and addresses worked out on first use), its MIME
 * structure and its body texts per RFC 5173 transform. Everything here depends on the message
 * bytes alone, so one `SieveMessage` serves every run on the same delivery (each recipient's
 * script, and the scripts they include). What a run changes (RFC 5293 editheader) stays in the
 * run: the fields here are never edited.
 *
 * @module
 */
import { parseMime } from "../mime/parse.ts";
import { partText } from "../mime/body.ts";
import { latin1 } from "../mime/charset.ts";
import { decodeHeaderText } from "../mime/encoded_words.ts";
import { parseAddressList } from "../mime/address.ts";
import type { MimePart } from "../mime/types.ts";
import { leafBody } from "./body_leaf.ts";
import { headerFields } from "./header_fields.ts";

/** A header field with what tests derive from its value, each derived once (memo fields). */
export interface SieveField {
  readonly name: string;
  readonly key: string;
  readonly value: string;
  /** Where the field's original bytes start in the message, or -1 for an added one. */
  readonly start: number;
  /** Where they end. */
  readonly end: number;
  /** Memo: the value decoded (RFC 2047) and trimmed, as header tests compare it. */
  decoded?: string;
  /** Memo: the addresses of the value, as address tests see them. */
  addresses?: string[];
  /** Memo: {@link decoded} folded for i;ascii-casemap. */
  folded?: string;
  /** Memo: {@link addresses} folded for i;ascii-casemap. */
  foldedAddresses?: string[];
}

/** RFC 5173 §5: which text a body test compares. */
export type BodyTransform = "raw" | "content" | "text";

const NO_FIELDS: readonly SieveField[] = Object.freeze([]);

/** RFC 5173 §5.2: the part types `:text` compares (and what `:raw` passes). */
export const TEXT_TYPES: readonly string[] = Object.freeze(["text"]);

/** A message as Sieve tests read it; see the module comment. */
export class SieveMessage {
  /** The message as it will be stored. */
  readonly raw: Uint8Array;
  #fields: readonly SieveField[] | null = null;
  #byKey: Map<string, SieveField[]> | null = null;
  #headerEnd = 0;
  #mime: MimePart | null = null;
  #bodies: Map<string, readonly string[]> | null = null;

  /** @param raw the message bytes (never changed while this object is in use) */
  constructor(raw: Uint8Array) {
    this.raw = raw;
  }

  /** The header fields in order (parsed on first use). */
  get fields(): readonly SieveField[] {
    if (this.#fields === null) {
      const h = headerFields(this.raw);
      this.#headerEnd = h.headerEnd;
      // The parsed fields are fresh objects: they take the memo fields themselves.
      this.#fields = h.fields as SieveField[];
    }
    return this.#fields;
  }

  /** Offset just past the blank line that ends the header (the body's start). */
  get headerEnd(): number {
    void this.fields; // parsed with the fields
    return this.#headerEnd;
  }

  /** Offset just past the last field (where the blank line starts), or 0 without fields. */
  get lastFieldEnd(): number {
    return this.fields.at(-1)?.end ?? 0;
  }

  /** The fields whose lowercase name is `key`, in order. */
  named(key: string): readonly SieveField[] {
    let byKey = this.#byKey;
    if (byKey === null) {
      byKey = this.#byKey = indexByKey(this.fields);
    }
    return byKey.get(key) ?? NO_FIELDS;
  }

  /** The whole message parsed (RFC 2045/2046), for body tests on multipart mail. */
  root(): MimePart {
    return this.#mime ??= parseMime(this.raw);
  }

  /**
   * RFC 5173 §5: the texts a body test with this transform compares (for `content`, of the parts
   * of these types: "" any, "text", "text/plain"; lowercase), extracted once per transform.
   */
  bodyTexts(transform: BodyTransform, types: readonly string[]): readonly string[] {
    const key = transform === "raw"
      ? "raw"
      : transform === "text" && types === TEXT_TYPES
      ? "text"
      : `${transform}\u0000${types.join("\u0000")}`;
    const memo = this.#bodies ??= new Map();
    let texts = memo.get(key);
    if (texts === undefined) {
      texts = this.#extractBody(transform, types);
      memo.set(key, texts);
    }
    return texts;
  }

  #extractBody(transform: BodyTransform, types: readonly string[]): string[] {
    const raw = this.raw;
    // A single-part message needs no full MIME parse (body_leaf.ts).
    const root = this.#mime ?? leafBody(raw, this.fields, this.headerEnd) ?? this.root();
    if (transform === "raw") return [latin1(raw.subarray(root.bodyStart))];
    const content = transform === "content";
    const out: string[] = [];
    const visit = (p: MimePart, depth: number): void => {
      if (depth > 32) return;
      const full = `${p.type}/${p.subtype}`;
      const wanted = types.some((ty) => ty === "" || ty === p.type || ty === full);
      if (p.children.length > 0) {
        for (const ch of p.children) visit(ch, depth + 1);
        return;
      }
      if (p.message) {
        if (wanted && content) out.push(leafText(raw, p));
        visit(p.message, depth + 1);
        return;
      }
      if (wanted) {
        const text = leafText(raw, p);
        // RFC 5173 §5.2: for :text, HTML is reduced to its text.
        out.push(!content && p.subtype === "html" ? text.replace(/<[^>]*>/g, " ") : text);
      }
    };
    visit(root, 0);
    return out;
  }
}

const utf8 = new TextDecoder("utf-8");

/**
 * A part's text, as `partText` (core/mime/body.ts) gives it, with the usual case done in one
 * decoder call: a body not transfer-encoded (7bit, 8bit, binary) in UTF-8 or US-ASCII. For a
 * `utf-8` label partText's decoder is this one (WHATWG UTF-8, replacement characters for bad
 * bytes). For US-ASCII or none it decodes strict UTF-8 and falls back to windows-1252 when that
 * fails: a lenient decoding without a replacement character is the strict one's result; one with
 * any goes to partText. Every other part goes to partText.
 */
export function leafText(raw: Uint8Array, p: MimePart): string {
  if (p.encoding === "7bit" || p.encoding === "8bit" || p.encoding === "binary") {
    const charset = (p.params["charset"] ?? "").trim().toLowerCase();
    if (charset === "utf-8" || charset === "utf8") return utf8.decode(raw.subarray(p.bodyStart, p.bodyEnd));
    if (charset === "" || charset === "us-ascii" || charset === "ascii") {
      const text = utf8.decode(raw.subarray(p.bodyStart, p.bodyEnd));
      if (!text.includes("\ufffd")) return text;
    }
  }
  return partText(raw, p);
}

/** The fields by lowercase name, each list in message order. */
export function indexByKey(fields: readonly SieveField[]): Map<string, SieveField[]> {
  const byKey = new Map<string, SieveField[]>();
  for (const f of fields) {
    const list = byKey.get(f.key);
    if (list) list.push(f);
    else byKey.set(f.key, [f]);
  }
  return byKey;
}

/** The value a header test compares (RFC 2047 decoded, trimmed), decoded once per field. */
export function decodedValue(f: SieveField): string {
  return f.decoded ??= decodeHeaderText(f.value).trim();
}

/** The addresses of a field's value, as address tests see them (parsed once per field). */
export function fieldAddresses(f: SieveField): string[] {
  return f.addresses ??= simpleAddress(f.value) ?? parseAddressList(f.value).map((a) => a.email);
}

/** `Name <local@domain>` or `<local@domain>`: no quotes, comments, groups, lists or routes. */
const SIMPLE_NAME_ADDR = /^[^"(),;:<>\\]*<([^\s"(),;:<>\\]+@[^\s"(),;:<>\\]+)>[ \t\r\n]*$/;
/** A bare `local@domain`. */
const SIMPLE_ADDR_SPEC = /^[ \t\r\n]*([^\s"(),;:<>\\]+@[^\s"(),;:<>\\]+)[ \t\r\n]*$/;

/**
 * The address of a field value of one plain mailbox, or null for anything else: the same address
 * parseAddressList gives for these shapes (its tokens are then one angle or one atom, the address
 * taken as is), without its tokenizer. The corpus test in tests/sieve/ holds them equal.
 */
export function simpleAddress(value: string): string[] | null {
  if (value.length > 998) return null;
  const m = SIMPLE_NAME_ADDR.exec(value) ?? SIMPLE_ADDR_SPEC.exec(value);
  return m ? [m[1]!] : null;
}
