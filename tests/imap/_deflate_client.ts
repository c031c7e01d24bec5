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
  /** Sends raw bytes compressed, with a sync flush. */
  async sendBytes(b: Uint8Array): Promise<void> {
    this.#deflate.write(b);
    await new Promise<void>((r) => this.#deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    const parts = this.#out.splice(0);
    for (const p of parts) {
      let o = 0;
      while (o < p.length) o += await this.conn.write(p.subarray(o));
    }
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

/** Logs in over plain TCP and sends COMPRESS DEFLATE; returns the reply and a deflating client. */
export async function compressedSession(
  port: number,
  user = "u@example.org",
  pass = "s3cret pass",
): Promise<{ reply: string; z: Deflated }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const z = new Deflated(conn);
  const plain = async (line: string, tag: string): Promise<string> => {
    let o = 0;
    const b = enc.encode(line);
    while (o < b.length) o += await conn.write(b.subarray(o));
    let got = "";
    const chunk = new Uint8Array(4096);
    // Only plaintext is read here: the server sends nothing after the tagged reply until asked.
    while (!got.includes(`\r\n${tag} `) && !got.startsWith(`${tag} `) || !got.endsWith("\r\n")) {
      const n = await readWithin(conn, chunk, () => got);
      if (n === null) throw new Error(`EOF; got ${got}`);
      got += dec.decode(chunk.subarray(0, n));
    }
    return got;
  };
  await plain("", "* OK");
  await plain(`l1 LOGIN "${user}" "${pass}"\r\n`, "l1");
  const reply = await plain("c1 COMPRESS DEFLATE\r\n", "c1");
  return { reply, z };
}
