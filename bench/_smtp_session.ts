/**
 * One SMTP client session of the ingest benches (bench/mailauth, bench/spam): EHLO, then each
 * payload (already dot-terminated) with MAIL, RCPT and DATA pipelined (RFC 2920) to
 * `user<n>@example.org`, n rotating over `accounts`, then QUIT. Throws on any unexpected reply.
 *
 * @module
 */
import { ByteReader } from "../core/net/reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sends `payloads` over one connection to 127.0.0.1:`port`; recipient n is `(offset + i) % accounts`. */
export async function session(
  port: number,
  payloads: Uint8Array[],
  offset: number,
  accounts: number,
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(16384);
  const reader = new ByteReader({
    read: async () => {
      const n = await conn.read(buf);
      return n === null ? null : buf.slice(0, n);
    },
  });
  const reply = async (): Promise<string> => {
    for (;;) {
      const r = await reader.readLine(4096);
      if (r === null) throw new Error("connection closed");
      const l = dec.decode(r.line);
      if (/^\d{3} /.test(l)) return l;
    }
  };
  const write = async (data: Uint8Array) => {
    let off = 0;
    while (off < data.length) off += await conn.write(data.subarray(off));
  };
  try {
    await reply();
    await write(enc.encode("EHLO mail.sender.test\r\n"));
    await reply();
    for (const [m, payload] of payloads.entries()) {
      // PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write.
      await write(enc.encode(
        `MAIL FROM:<bench@sender.test>\r\nRCPT TO:<user${(offset + m) % accounts}@example.org>\r\nDATA\r\n`,
      ));
      for (const want of ["250", "250", "354"]) {
        const l = await reply();
        if (!l.startsWith(want)) throw new Error(`unexpected reply: ${l}`);
      }
      await write(payload);
      const done = await reply();
      if (!done.startsWith("250")) throw new Error(`unexpected reply: ${done}`);
    }
    await write(enc.encode("QUIT\r\n"));
    await reply();
  } finally {
    conn.close();
  }
}
