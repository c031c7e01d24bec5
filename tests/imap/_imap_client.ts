/**
 * Raw IMAP test client: sends tagged commands over a real socket and returns the exact response
 * lines up to and including the tagged reply.
 *
 * @module
 */
import { ByteReader } from "../../core/net/reader.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import type { Account } from "../../core/store/types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw socket with line reads and byte writes. */
export class Conn {
  #reader: ByteReader;
  constructor(readonly conn: Deno.Conn) {
    const r = conn.readable.getReader();
    this.#reader = new ByteReader({
      read: async () => {
        try {
          const { value, done } = await r.read();
          return done ? null : value;
        } catch {
          return null;
        }
      },
    });
  }
  /** Writes bytes fully. */
  async sendBytes(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }
  /** Writes text. */
  send(text: string): Promise<void> {
    return this.sendBytes(enc.encode(text));
  }
  /** Writes a line with CRLF. */
  line(text: string): Promise<void> {
    return this.send(text + "\r\n");
  }
  /** Reads one line without its ending; null at EOF. */
  async read(): Promise<string | null> {
    const l = await this.#reader.readLine(1 << 24);
    return l ? dec.decode(l.line) : null;
  }
  /** Closes (idempotent). */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** A raw IMAP connection. */
export class RawImap {
  #n = 0;
  greeting = "";
  private constructor(readonly c: Conn) {}

  /** Connects and reads the greeting. */
  static async connect(port: number): Promise<RawImap> {
    const c = new RawImap(new Conn(await Deno.connect({ hostname: "127.0.0.1", port })));
    c.greeting = (await c.c.read()) ?? "";
    return c;
  }

  /** Sends `text` with a fresh tag; returns lines through the tagged reply (tag replaced by "TAG"). */
  async cmd(text: string): Promise<string[]> {
    const tag = `a${++this.#n}`;
    await this.c.line(`${tag} ${text}`);
    return await this.until(tag);
  }

  /** Reads lines until the tagged reply for `tag`. */
  async until(tag: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.c.read();
      if (l === null) throw new Error(`EOF; got ${JSON.stringify(out)}`);
      if (l.startsWith(tag + " ")) {
        out.push("TAG" + l.slice(tag.length));
        return out;
      }
      out.push(l);
    }
  }

  /** Logs in with LOGIN. */
  async login(user = "u@example.org", pass = "s3cret pass"): Promise<void> {
    const r = await this.cmd(`LOGIN "${user}" "${pass}"`);
    if (!r.at(-1)!.startsWith("TAG OK")) throw new Error(`login failed: ${r.join("\n")}`);
  }

  /** Closes the connection. */
  close(): void {
    this.c.close();
  }
}

/** A test server with one user `u@example.org`. */
export async function setupImap(
  overrides?: Parameters<typeof startTestServer>[0],
): Promise<{ t: TestServer; user: Account; port: number }> {
  const t = await startTestServer(overrides);
  const user = await t.addUser("u@example.org", "s3cret pass");
  return { t, user, port: t.port("imap") };
}
