/**
 * A raw IMAP client for after COMPRESS=DEFLATE (RFC 4978): logs in in plaintext, sends COMPRESS,
 * then deflates its commands and inflates the replies with `node:zlib`.
 *
 * @module
 */
import zlib from "node:zlib";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** How long one read may wait for the server before the test fails instead of hanging. */
const READ_TIMEOUT_MS = 10_000;

/** Reads into `buf`, throwing when nothing arrives within `READ_TIMEOUT_MS`. */
async function readWithin(conn: Deno.Conn, buf: Uint8Array, seen: () => string): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no reply within ${READ_TIMEOUT_MS} ms; got ${JSON.stringify(seen())}`)),
      READ_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([conn.read(buf), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A raw client after COMPRESS: deflates what it sends, inflates what it reads. */
export class Deflated {
  #deflate = zlib.createDeflateRaw();
  #inflate = zlib.createInflateRaw();
  #out: Uint8Array[] = [];
  #buf = new Uint8Array(0);
  #n = 0;
  /** @param conn the connected socket */
  constructor(readonly conn: Deno.Conn) {
    this.#deflate.on("data", (c: Uint8Array) => this.#out.push(c));
    this.#inflate.on("data", (c: Uint8Array) => {
      const m = new Uint8Array(this.#buf.length + c.length);
      m.set(this.#buf);
      m.set(c, this.#buf.length);
      this.#buf = m;
    });
  }
  /** Compresses bytes with a sync flush (without sending them). */
  async deflate(b: Uint8Array): Promise<Uint8Array> {
    this.#deflate.write(b);
    await new Promise<void>((r) => this.#deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    const parts = this.#out.splice(0);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  /** Sends raw bytes compressed, with a sync flush. */
  async sendBytes(b: Uint8Array): Promise<void> {
    const out = await this.deflate(b);
    let o = 0;
    while (o < out.length) o += await this.conn.write(out.subarray(o));
  }
  /** Inflates compressed bytes that were received before this client took over the socket. */
  async feed(b: Uint8Array): Promise<void> {
    if (b.length > 0) await new Promise<void>((r) => this.#inflate.write(b, () => r()));
  }
  /** Sends a tagged command; returns the exact inflated bytes through the tagged reply. */
  async cmd(text: string): Promise<string> {
    const tag = `z${++this.#n}`;
    await this.sendBytes(enc.encode(`${tag} ${text}\r\n`));
    return await this.until(tag);
  }
  /** Reads until a line starting with `tag ` has arrived; returns everything (tag replaced by TAG). */
  async until(tag: string): Promise<string> {
    const chunk = new Uint8Array(16 * 1024);
    for (;;) {
      const s = dec.decode(this.#buf);
      const at = s.startsWith(tag + " ") ? 0 : s.indexOf(`\r\n${tag} `) + 2;
      if (at >= 0 && (at === 0 || at > 1)) {
        const end = s.indexOf("\r\n", at);
        if (end >= 0) {
          this.#buf = this.#buf.subarray(enc.encode(s.slice(0, end + 2)).length);
          return s.slice(0, at) + "TAG" + s.slice(at + tag.length, end + 2);
        }
      }
      const n = await readWithin(this.conn, chunk, () => s);
      if (n === null) throw new Error(`EOF; got ${JSON.stringify(s)}`);
      await new Promise<void>((r) => this.#inflate.write(chunk.slice(0, n), () => r()));
    }
  }
  /** Frees the zlib streams and closes the socket. */
  close(): void {
    this.#deflate.destroy();
    this.#inflate.destroy();
    this.conn.close();
  }
}

/**
 * Logs in over plain TCP and sends COMPRESS DEFLATE; returns the reply and a deflating client.
 * `pipelined` commands (complete lines) are deflated and sent in the same write as COMPRESS, as a
 * client that does not wait for the OK would.
 */
export async function compressedSession(
  port: number,
  user = "u@example.org",
  pass = "s3cret pass",
  pipelined = "",
): Promise<{ reply: string; z: Deflated }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const z = new Deflated(conn);
  const latin1 = new TextDecoder("latin1");
  /** Sends `b` and reads plaintext through the tagged reply of `tag`; bytes after it are returned too. */
  const plain = async (b: Uint8Array, tag: string): Promise<{ text: string; rest: Uint8Array }> => {
    let o = 0;
    while (o < b.length) o += await conn.write(b.subarray(o));
    let got = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    for (;;) {
      const s = latin1.decode(got);
      const at = s.startsWith(`${tag} `) ? 0 : s.indexOf(`\r\n${tag} `);
      const end = at < 0 ? -1 : s.indexOf("\r\n", at === 0 ? 0 : at + 2);
      if (end >= 0) return { text: s.slice(0, end + 2), rest: got.slice(end + 2) };
      const n = await readWithin(conn, chunk, () => s);
      if (n === null) throw new Error(`EOF; got ${s}`);
      const m = new Uint8Array(got.length + n);
      m.set(got);
      m.set(chunk.subarray(0, n), got.length);
      got = m;
    }
  };
  await plain(new Uint8Array(0), "*");
  await plain(enc.encode(`l1 LOGIN "${user}" "${pass}"\r\n`), "l1");
  const head = enc.encode("c1 COMPRESS DEFLATE\r\n");
  const tail = pipelined ? await z.deflate(enc.encode(pipelined)) : new Uint8Array(0);
  const both = new Uint8Array(head.length + tail.length);
  both.set(head);
  both.set(tail, head.length);
  const { text, rest } = await plain(both, "c1");
  await z.feed(rest);
  return { reply: text, z };
}
