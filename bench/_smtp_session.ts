/**
 * The SMTP client of the ingest benches: `connectSmtp`, one connection that reads replies and
 * writes bytes (bench/smtp, bench/peers/smtp_ingest), `session`, the pipelined session of
 * bench/mailauth, bench/spam and bench/tenancy: EHLO, then each payload (already dot-terminated)
 * with MAIL, RCPT and DATA pipelined (RFC 2920) to `user<n>@example.org`, n rotating over
 * `accounts`, then QUIT, and `ingestRate`, payloads spread over concurrent sessions. All throw on
 * any unexpected reply.
 *
 * @module
 */
import { ByteReader } from "../core/net/reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One client connection to an SMTP server. */
export interface SmtpConnection {
  /** The next reply's last line (`ddd text`); continuation lines (`ddd-`) are skipped, 1000 at most. */
  reply(): Promise<string>;
  /** Writes all of `data`. */
  write(data: Uint8Array | string): Promise<void>;
  /** Writes `data`, then reads the reply; throws unless it starts with `expect`. */
  send(data: Uint8Array | string, expect: string): Promise<string>;
  /** Closes the connection. */
  close(): void;
}

/** Connects to 127.0.0.1:`port` (the greeting is the first `reply()`). */
export async function connectSmtp(port: number): Promise<SmtpConnection> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(16384);
  const reader = new ByteReader({
    read: async () => {
      const n = await conn.read(buf);
      return n === null ? null : buf.slice(0, n);
    },
  });
  const reply = async (): Promise<string> => {
    for (let i = 0; i < 1000; i++) {
      const r = await reader.readLine(4096);
      if (r === null) throw new Error("connection closed");
      const line = dec.decode(r.line);
      if (/^\d{3} /.test(line)) return line;
    }
    throw new Error("reply too long");
  };
  const write = async (data: Uint8Array | string): Promise<void> => {
    const b = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < b.length) off += await conn.write(b.subarray(off));
  };
  return {
    reply,
    write,
    async send(data, expect) {
      await write(data);
      const line = await reply();
      if (!line.startsWith(expect)) throw new Error(`expected ${expect}, got: ${line}`);
      return line;
    },
    close: () => conn.close(),
  };
}

/** Sends `payloads` over one connection to 127.0.0.1:`port`; recipient n is `(offset + i) % accounts`. */
export async function session(
  port: number,
  payloads: Uint8Array[],
  offset: number,
  accounts: number,
): Promise<void> {
  const c = await connectSmtp(port);
  try {
    await c.reply();
    await c.send("EHLO mail.sender.test\r\n", "250");
    for (const [m, payload] of payloads.entries()) {
      // PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write.
      await c.write(
        `MAIL FROM:<bench@sender.test>\r\nRCPT TO:<user${(offset + m) % accounts}@example.org>\r\nDATA\r\n`,
      );
      for (const want of ["250", "250", "354"]) {
        const l = await c.reply();
        if (!l.startsWith(want)) throw new Error(`unexpected reply: ${l}`);
      }
      await c.send(payload, "250");
    }
    await c.write("QUIT\r\n");
    await c.reply();
  } finally {
    c.close();
  }
}

/**
 * Sends `payloads` over `sessions` concurrent sessions (consecutive slices, recipients rotating over
 * `accounts`); returns messages per second of wall time.
 */
export async function ingestRate(
  port: number,
  payloads: Uint8Array[],
  sessions: number,
  accounts: number,
): Promise<number> {
  const per = Math.ceil(payloads.length / sessions);
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: sessions },
      (_, s) => session(port, payloads.slice(s * per, (s + 1) * per), s, accounts),
    ),
  );
  return payloads.length / ((performance.now() - started) / 1000);
}
