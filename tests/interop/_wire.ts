/**
 * A byte-exact raw IMAP client and response parser for differential tests against another server.
 * Unlike `tests/imap/_imap_client.ts` (text lines), responses here keep their literals as raw
 * octets, so 8-bit and binary content compares exactly.
 *
 * @module
 */
import { ByteReader } from "../../core/net/reader.ts";
import { DEFAULT_READ_TIMEOUT_MS, TimedSource } from "../support/timed_source.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** One parsed IMAP response value (RFC 9051 §4). */
export type Value =
  | { kind: "atom"; text: string }
  | { kind: "string"; bytes: Uint8Array; literal: boolean }
  | { kind: "nil" }
  | { kind: "list"; items: Value[] };

/** One full response: its bytes (literals inline, CRLFs kept out of the final line end). */
export interface Response {
  /** The response's bytes with literal headers and data inline, without the final CRLF. */
  bytes: Uint8Array;
  /** The response as text: literal octets mapped one to one to code points (latin1). */
  text: string;
}

/** Decodes bytes one octet per character (lossless for any byte). */
export function octets(b: Uint8Array): string {
  return latin1.decode(b);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A raw IMAP connection that reads whole responses, literals included, byte for byte. */
export class ImapWire {
  #reader: ByteReader;
  #n = 0;
  /** The server greeting line. */
  greeting = "";

  private constructor(readonly conn: Deno.Conn, readTimeoutMs: number) {
    // Every read is bounded, so a hung server fails the test (naming the last bytes) instead of
    // hanging the suite.
    this.#reader = new ByteReader(new TimedSource(conn.readable, readTimeoutMs));
  }

  /**
   * Connects to 127.0.0.1:`port` and reads the greeting. `readTimeoutMs` bounds every read
   * (default `DEFAULT_READ_TIMEOUT_MS`).
   */
  static async connect(port: number, readTimeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<ImapWire> {
    const w = new ImapWire(await Deno.connect({ hostname: "127.0.0.1", port }), readTimeoutMs);
    const g = await w.readResponse();
    if (!g) throw new Error("no greeting");
    w.greeting = g.text;
    return w;
  }

  /** Writes bytes fully. */
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Reads one whole response (a line plus any literals it announces); null at EOF. */
  async readResponse(): Promise<Response | null> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const l = await this.#reader.readLine(1 << 26);
      if (!l) return parts.length ? { bytes: concat(parts), text: octets(concat(parts)) } : null;
      parts.push(l.line);
      const m = /~?\{(\d+)\+?\}$/.exec(octets(l.line.subarray(Math.max(0, l.line.length - 24))));
      if (!m) break;
      const data = await this.#reader.readExact(Number(m[1]));
      if (!data) throw new Error("EOF inside literal");
      parts.push(enc.encode("\r\n"), data);
    }
    const bytes = concat(parts);
    return { bytes, text: octets(bytes) };
  }

  /**
   * Sends one command with a fresh tag. `args` is the text after the tag, or a list of pieces where
   * `Uint8Array` pieces are sent as non-synchronizing literals (RFC 7888 LITERAL+). Returns every
   * response through the tagged one, whose tag is replaced by `TAG`.
   */
  async cmd(args: string | (string | Uint8Array)[]): Promise<Response[]> {
    const tag = `w${++this.#n}`;
    const pieces = typeof args === "string" ? [args] : args;
    const out: Uint8Array[] = [enc.encode(tag + " ")];
    for (const p of pieces) {
      if (typeof p === "string") out.push(enc.encode(p));
      else out.push(enc.encode(`{${p.length}+}\r\n`), p);
    }
    out.push(enc.encode("\r\n"));
    await this.write(concat(out));
    return await this.#through(tag, null);
  }

  /**
   * Every response through the one tagged `tag`, whose tag is replaced by `TAG`. With `onContinue`,
   * a continuation request is answered by it and left out; without, it is a response like any.
   */
  async #through(tag: string, onContinue: (() => Promise<void>) | null): Promise<Response[]> {
    const rs: Response[] = [];
    for (;;) {
      const r = await this.readResponse();
      if (!r) throw new Error(`EOF after ${JSON.stringify(rs.map((x) => x.text))}`);
      if (onContinue && r.text.startsWith("+")) await onContinue();
      else if (r.text.startsWith(tag + " ")) {
        const bytes = concat([enc.encode("TAG"), r.bytes.subarray(tag.length)]);
        rs.push({ bytes, text: octets(bytes) });
        return rs;
      } else rs.push(r);
    }
  }

  /**
   * IDLE (RFC 2177) for one round trip: sends IDLE, answers the continuation with DONE and returns
   * every response through the tagged one (the continuation left out, the tag replaced by `TAG`),
   * as `cmd` does. A refused IDLE (no continuation) returns its tagged reply alike.
   */
  async idle(): Promise<Response[]> {
    const tag = `w${++this.#n}`;
    await this.write(enc.encode(`${tag} IDLE\r\n`));
    return await this.#through(tag, () => this.write(enc.encode("DONE\r\n")));
  }

  /** Like `cmd` but throws unless the tagged reply is OK. */
  async ok(args: string | (string | Uint8Array)[]): Promise<Response[]> {
    const rs = await this.cmd(args);
    if (!rs.at(-1)!.text.startsWith("TAG OK")) {
      throw new Error(`${typeof args === "string" ? args : "command"} failed: ${rs.at(-1)!.text}`);
    }
    return rs;
  }

  /** LOGIN with quoted user and password. */
  async login(user: string, pass: string): Promise<void> {
    await this.ok(`LOGIN "${user}" "${pass}"`);
  }

  /**
   * APPENDs `message` to `mailbox` with the given flags and INTERNALDATE (RFC 9051 §6.3.12);
   * returns the tagged reply text.
   */
  async append(
    mailbox: string,
    message: Uint8Array,
    opts: { flags?: string[]; date?: string } = {},
  ): Promise<string> {
    const head = [`APPEND "${mailbox}"`];
    if (opts.flags) head.push(` (${opts.flags.join(" ")})`);
    if (opts.date) head.push(` "${opts.date}"`);
    head.push(" ");
    const rs = await this.cmd([head.join(""), message]);
    return rs.at(-1)!.text;
  }

  /** Closes the socket (idempotent). */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** Parses IMAP response data starting at `pos` of `b`. Tolerant: stops at the end of input. */
export class ValueParser {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  /** True at end of input. */
  get done(): boolean {
    return this.pos >= this.b.length;
  }

  /** Skips spaces. */
  sp(): void {
    while (this.b[this.pos] === 0x20) this.pos++;
  }

  /** Parses one value (atom, number, quoted, literal, NIL or parenthesised list). */
  value(): Value {
    this.sp();
    const c = this.b[this.pos];
    if (c === 0x28) {
      this.pos++;
      const items: Value[] = [];
      for (;;) {
        this.sp();
        if (this.done) break;
        if (this.b[this.pos] === 0x29) {
          this.pos++;
          break;
        }
        items.push(this.value());
      }
      return { kind: "list", items };
    }
    if (c === 0x22) {
      this.pos++;
      const out: number[] = [];
      while (!this.done && this.b[this.pos] !== 0x22) {
        if (this.b[this.pos] === 0x5c) this.pos++;
        out.push(this.b[this.pos]!);
        this.pos++;
      }
      this.pos++;
      return { kind: "string", bytes: new Uint8Array(out), literal: false };
    }
    if (c === 0x7b || (c === 0x7e && this.b[this.pos + 1] === 0x7b)) {
      const close = this.b.indexOf(0x7d, this.pos);
      const n = Number(octets(this.b.subarray(this.pos + (c === 0x7e ? 2 : 1), close)).replace("+", ""));
      const start = close + 3; // "}\r\n"
      this.pos = start + n;
      return { kind: "string", bytes: this.b.slice(start, start + n), literal: true };
    }
    return this.atom();
  }

  /** An atom; a `[...]` inside it (section spec) is kept whole, spaces and parens included. */
  atom(): Value {
    const start = this.pos;
    let depth = 0;
    while (!this.done) {
      const c = this.b[this.pos]!;
      if (c === 0x5b) depth++;
      else if (c === 0x5d) depth--;
      else if (depth === 0 && (c === 0x20 || c === 0x28 || c === 0x29)) break;
      this.pos++;
    }
    const text = octets(this.b.subarray(start, this.pos));
    return text.toUpperCase() === "NIL" ? { kind: "nil" } : { kind: "atom", text };
  }
}

/** The items of a `* n FETCH (...)` response as a map from upper-cased item name to value. */
export function fetchItems(r: Response | Uint8Array): { seq: number; items: Map<string, Value> } | null {
  const b = r instanceof Uint8Array ? r : r.bytes;
  const m = /^\* (\d+) FETCH \(/i.exec(octets(b.subarray(0, 40)));
  if (!m) return null;
  const p = new ValueParser(b);
  p.pos = m[0].length - 1;
  const list = p.value();
  const items = new Map<string, Value>();
  if (list.kind !== "list") return null;
  for (let i = 0; i + 1 < list.items.length; i += 2) {
    const k = list.items[i]!;
    items.set(k.kind === "atom" ? k.text.toUpperCase() : "?", list.items[i + 1]!);
  }
  return { seq: Number(m[1]), items };
}

/** Options for `serialize`. */
export interface SerializeOptions {
  /** Upper-case every string (loose comparison of MIME tokens, RFC 2045 §5.1 case-insensitive). */
  foldCase?: boolean;
}

/**
 * A canonical text form of a value: quoted and literal strings look the same (`"..."`, bytes as
 * latin1 with `"` and `\` escaped), atoms as sent, lists in parentheses.
 */
export function serialize(v: Value, opts: SerializeOptions = {}): string {
  switch (v.kind) {
    case "nil":
      return "NIL";
    case "atom":
      return opts.foldCase ? v.text.toUpperCase() : v.text;
    case "string": {
      const s = octets(v.bytes).replace(/[\\"]/g, (c) => "\\" + c);
      return `"${opts.foldCase ? s.toUpperCase() : s}"`;
    }
    case "list":
      return `(${v.items.map((x) => serialize(x, opts)).join(" ")})`;
  }
}
