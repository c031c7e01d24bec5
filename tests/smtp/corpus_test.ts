/**
 * Delivers every message of ../shared/corpus/ over SMTP twice, with BDAT (bytes exactly as in the
 * file) and with DATA (line endings normalised to CRLF and dot-stuffed, as a real client sends
 * it), and reads each back from the store byte-identical after the added trace fields.
 */
import assert from "node:assert/strict";
import { ByteReader } from "../../core/net/reader.ts";
import { startServer, stripTrace } from "./_server.ts";
import { TimedSource } from "../support/timed_source.ts";

const corpusDir = new URL("../../../shared/corpus/", import.meta.url);

function corpusFiles(): string[] {
  try {
    return [...Deno.readDirSync(corpusDir)].filter((e) => e.name.endsWith(".eml")).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

const files = corpusFiles();
const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** CRLF-normalised form a client would send with DATA (bare CRs kept). */
function normalise(raw: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x0a && raw[i - 1] !== 0x0d) out.push(0x0d);
    out.push(b);
  }
  if (out.length < 2 || out[out.length - 2] !== 0x0d || out[out.length - 1] !== 0x0a) out.push(0x0d, 0x0a);
  return new Uint8Array(out);
}

/** Dot-stuffing (RFC 5321 §4.5.2) of a CRLF-normalised body. */
function stuff(body: Uint8Array): Uint8Array {
  const out: number[] = [];
  let lineStart = true;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (lineStart && b === 0x2e) out.push(0x2e);
    out.push(b);
    lineStart = b === 0x0a && body[i - 1] === 0x0d;
  }
  return new Uint8Array(out);
}

Deno.test({
  name: "smtp corpus: every corpus message reads back byte-identical via BDAT and DATA",
  ignore: files.length === 0,
  async fn() {
    // 772 messages from one IP and sender: the per-minute rate limit is not under test here.
    const env = await startServer({ smtp: { rate_limit_per_minute: 0 } });
    /** Queue id (from the 250 reply, also in Received:) → the bytes that must come back. */
    const expected = new Map<string, { name: string; bytes: Uint8Array }>();
    // Several sessions at once, so the store's group commit keeps the test quick.
    const WORKERS = 8;
    const worker = async (k: number) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: env.port("smtp") });
      // Every read bounded (10 s): a hung server fails with the last bytes instead of hanging.
      const reader = new ByteReader(new TimedSource(conn.readable));
      const reply = async () => {
        for (;;) {
          const r = await reader.readLine(10_000);
          if (r === null) throw new Error("connection closed");
          const line = dec.decode(r.line);
          if (/^\d{3} /.test(line)) return line;
        }
      };
      const write = async (data: Uint8Array) => {
        let off = 0;
        while (off < data.length) off += await conn.write(data.subarray(off));
      };
      const queued = (line: string, name: string, bytes: Uint8Array) => {
        const m = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(line);
        assert.ok(m, `${name}: ${line}`);
        expected.set(m[1]!, { name, bytes });
      };
      try {
        await reply();
        await write(enc.encode("EHLO corpus.test\r\n"));
        assert.match(await reply(), /^250 /);
        for (let i = k; i < files.length; i += WORKERS) {
          const name = files[i]!;
          const raw = await Deno.readFile(new URL(name, corpusDir));
          // BDAT: the exact bytes of the file, pipelined with MAIL and RCPT (RFC 2920, RFC 3030).
          await write(concat(
            enc.encode(
              `MAIL FROM:<corpus@remote.test> BODY=BINARYMIME\r\nRCPT TO:<alice@example.org>\r\nBDAT ${raw.length} LAST\r\n`,
            ),
            raw,
          ));
          for (const step of ["MAIL", "RCPT"]) assert.match(await reply(), /^250 /, `${name} ${step}`);
          queued(await reply(), `${name} BDAT`, raw);
          // DATA: what a client sends for the same message.
          const norm = normalise(raw);
          await write(
            enc.encode("MAIL FROM:<corpus@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"),
          );
          for (const step of ["MAIL", "RCPT"]) assert.match(await reply(), /^250 /, `${name} ${step}`);
          assert.match(await reply(), /^354 /, name);
          await write(concat(stuff(norm), enc.encode(".\r\n")));
          queued(await reply(), `${name} DATA`, norm);
        }
        await write(enc.encode("QUIT\r\n"));
        assert.match(await reply(), /^221 /);
      } finally {
        conn.close();
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, k) => worker(k)));
      const got = await env.inbox(env.alice);
      assert.equal(got.length, files.length * 2);
      assert.equal(expected.size, files.length * 2);
      for (const raw of got) {
        const { trace, body } = stripTrace(raw);
        const id = / id (\S+?)[;\r]/.exec(trace)?.[1];
        const want = expected.get(id ?? "");
        assert.ok(want, `unknown queue id in ${trace}`);
        assert.ok(
          body.length === want.bytes.length && body.every((b, j) => b === want.bytes[j]),
          `${want.name} differs`,
        );
        expected.delete(id!);
      }
    } finally {
      await env.close();
    }
  },
});
