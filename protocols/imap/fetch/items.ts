/**
 * FETCH data items (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 8474 OBJECTID, RFC 8970 PREVIEW, RFC 8514
 * SAVEDATE): parsed once per
 * command into a plan of what to load and what to send.
 *
 * @module
 */
import type { Token } from "../parser/tokens.ts";
import { bad } from "../errors.ts";
import { parseSection, sectionName, type SectionSpec } from "./section.ts";

/** One requested item. */
export type FetchItem =
  | {
    kind: "simple";
    name: "UID" | "FLAGS" | "INTERNALDATE" | "RFC822.SIZE" | "EMAILID" | "THREADID" | "MODSEQ" | "SAVEDATE";
  }
  | { kind: "envelope" }
  /** RFC 8970 PREVIEW; `lazy` is the LAZY modifier (§4). */
  | { kind: "preview"; lazy: boolean }
  | { kind: "structure"; extended: boolean }
  | {
    kind: "section";
    /** BODY / BINARY / BINARY.SIZE */
    type: "BODY" | "BINARY" | "BINARY.SIZE";
    peek: boolean;
    spec: SectionSpec;
    partial?: { origin: number; count: number | null };
    /** Name echoed in the response, e.g. `BODY[HEADER]<0>` or `RFC822.HEADER`. */
    label: string;
  };

/** The parsed request. */
export interface FetchPlan {
  /** Items to send, in request order (UID first for UID FETCH). */
  items: FetchItem[];
  /** Some item needs the message parsed (ENVELOPE, BODYSTRUCTURE, sections). */
  needsParse: boolean;
  /** Some item sets \Seen implicitly. */
  setsSeen: boolean;
  /** Some item needs the stored Message (EMAILID/THREADID/blob access). */
  needsMessage: boolean;
}

function itemFrom(t: Token): FetchItem[] {
  if (t.type !== "atom") throw bad("Invalid FETCH item");
  const up = t.value.toUpperCase();
  if (t.section !== undefined) {
    const base = up.replace(/\.PEEK$/, "") as "BODY" | "BINARY" | "BINARY.SIZE";
    const peek = up.endsWith(".PEEK");
    if (base !== "BODY" && base !== "BINARY" && base !== "BINARY.SIZE") throw bad("Invalid FETCH item");
    const spec = parseSection(t.section, base !== "BODY");
    if (!spec) throw bad("Invalid section");
    if (base === "BINARY.SIZE" && t.partial) throw bad("BINARY.SIZE takes no partial");
    // RFC 9051 §7.5.2: the response names the section, and only the origin of a partial.
    const label = `${base}[${sectionName(spec)}]${t.partial ? `<${t.partial.origin}>` : ""}`;
    const item: FetchItem = {
      kind: "section",
      type: base,
      peek: peek || base === "BINARY.SIZE",
      spec,
      label,
    };
    if (t.partial) item.partial = t.partial;
    return [item];
  }
  if (t.partial) throw bad("Invalid FETCH item");
  switch (up) {
    case "UID":
    case "FLAGS":
    case "INTERNALDATE":
    case "RFC822.SIZE":
    case "EMAILID":
    case "THREADID":
    case "MODSEQ":
    // RFC 8514 §3: the date-time the message was saved into the mailbox.
    case "SAVEDATE":
      return [{ kind: "simple", name: up }];
    case "ENVELOPE":
      return [{ kind: "envelope" }];
    case "PREVIEW":
      return [{ kind: "preview", lazy: false }];
    case "BODY":
      return [{ kind: "structure", extended: false }];
    case "BODYSTRUCTURE":
      return [{ kind: "structure", extended: true }];
    case "RFC822":
      return [{
        kind: "section",
        type: "BODY",
        peek: false,
        spec: { path: [], text: null, fields: [] },
        label: "RFC822",
      }];
    case "RFC822.HEADER":
      return [{
        kind: "section",
        type: "BODY",
        peek: true,
        spec: { path: [], text: "HEADER", fields: [] },
        label: "RFC822.HEADER",
      }];
    case "RFC822.TEXT":
      return [{
        kind: "section",
        type: "BODY",
        peek: false,
        spec: { path: [], text: "TEXT", fields: [] },
        label: "RFC822.TEXT",
      }];
    case "ALL":
      return [
        ...itemFrom(atom("FLAGS")),
        ...itemFrom(atom("INTERNALDATE")),
        ...itemFrom(atom("RFC822.SIZE")),
        {
          kind: "envelope",
        },
      ];
    case "FAST":
      return [
        ...itemFrom(atom("FLAGS")),
        ...itemFrom(atom("INTERNALDATE")),
        ...itemFrom(atom("RFC822.SIZE")),
      ];
    case "FULL":
      return [...itemFrom(atom("ALL")), { kind: "structure", extended: false }];
    default:
      throw bad(`Unknown FETCH item ${t.value}`);
  }
}

function atom(value: string): Token {
  return { type: "atom", value };
}

const MACROS = new Set(["ALL", "FAST", "FULL"]);

/**
 * RFC 8970 §7: `"PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]`, preview-mod = "LAZY".
 * True when `t` is such a modifier list (it follows a PREVIEW item).
 */
export function isPreviewModifiers(t: Token | undefined): boolean {
  return t?.type === "list" && t.items.length > 0 && t.items[0]!.type === "atom" &&
    t.items[0]!.value.toUpperCase() === "LAZY";
}

function previewModifiers(t: Token): boolean {
  if (t.type !== "list" || t.items.length === 0) throw bad("Invalid PREVIEW modifiers");
  for (const m of t.items) {
    if (m.type !== "atom" || m.value.toUpperCase() !== "LAZY") throw bad("Unknown PREVIEW modifier");
  }
  return true;
}

/** True when `t` is the PREVIEW item's atom. */
export function isPreviewAtom(t: Token | undefined): boolean {
  return t?.type === "atom" && t.section === undefined && t.partial === undefined &&
    t.value.toUpperCase() === "PREVIEW";
}

/**
 * Builds the plan from the FETCH argument (one item or a list); `uid` adds UID (RFC 9051 §6.4.9),
 * `modseq` adds MODSEQ (RFC 7162 §3.1.4.1: CHANGEDSINCE implies it).
 */
export function planFetch(arg: Token, uid: boolean, modseq = false): FetchPlan {
  let items: FetchItem[];
  if (arg.type === "list") {
    if (arg.items.length === 0) throw bad("Empty FETCH item list");
    items = [];
    for (let i = 0; i < arg.items.length; i++) {
      const t = arg.items[i]!;
      if (t.type === "atom" && MACROS.has(t.value.toUpperCase())) {
        throw bad("Macros are not allowed in lists");
      }
      if (isPreviewAtom(t) && arg.items[i + 1]?.type === "list") {
        items.push({ kind: "preview", lazy: previewModifiers(arg.items[++i]!) });
        continue;
      }
      items.push(...itemFrom(t));
    }
  } else {
    items = itemFrom(arg);
  }
  if (uid && !items.some((i) => i.kind === "simple" && i.name === "UID")) {
    items.unshift({ kind: "simple", name: "UID" });
  }
  if (modseq && !items.some((i) => i.kind === "simple" && i.name === "MODSEQ")) {
    items.push({ kind: "simple", name: "MODSEQ" });
  }
  const needsParse = items.some((i) =>
    i.kind === "envelope" || i.kind === "structure" ||
    (i.kind === "section" && !(i.spec.path.length === 0 && i.spec.text === null && i.type === "BODY"))
  );
  return {
    items,
    needsParse,
    setsSeen: items.some((i) => i.kind === "section" && !i.peek),
    needsMessage: items.some((i) => i.kind !== "simple" || i.name === "THREADID"),
  };
}
