/**
 * Import speed: a 1,000-message mbox (corpus messages, each made unique) brought in with
 * `tern import mbox` against the same messages APPENDed one by one over IMAP with Python's imaplib
 * to a running Tern (the path a client-side migration tool takes). Both in their own processes,
 * alternating rounds (A B A B A B), medians and the ratio printed.
 *
 * Usage: `deno run -A bench/transfer/mod.ts [--messages 1000] [--rounds 3]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatMboxMessage } from "../../core/transfer/mbox.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const CORPUS = new URL("../../../shared/corpus/", import.meta.url).pathname;
const enc = new TextEncoder();

async function corpus(): Promise<Uint8Array[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(CORPUS)) if (e.name.endsWith(".eml")) names.push(e.name);
  names.sort();
  const out: Uint8Array[] = [];
  // Messages up to 256 KiB: the bench measures the import path, not a few huge attachments.
  for (const n of names) {
    const b = await Deno.readFile(`${CORPUS}${n}`);
    // imaplib cannot APPEND a message with NUL bytes (that needs BINARY's literal8): leave them out.
    if (b.length <= 256 * 1024 && !b.includes(0)) out.push(b);
  }
  return out;
}

function unique(raw: Uint8Array, i: number): Uint8Array {
  const head = enc.encode(`X-Bench-Id: ${i}\r\n`);
  const out = new Uint8Array(head.length + raw.length);
  out.set(head);
  out.set(raw, head.length);
  return out;
}

async function tern(args: string[], opts: { stdin?: string } = {}): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(enc.encode(opts.stdin));
    await w.close();
  }
  const r = await child.output();
  if (r.code !== 0) throw new Error(`tern ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function prepared(): Promise<{ dir: string; config: string; port: number }> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-import-" });
  const port = freePort();
  const listeners = [
    "smtp",
    "submission",
    "submissions",
    "lmtp",
    "imaps",
    "pop3",
    "pop3s",
    "managesieve",
    "http",
  ]
    .map((l) => `[listeners.${l}]\nenabled = false\n`).join("");
  const config = `${dir}/tern.toml`;
  await Deno.writeTextFile(
    config,
    `data_dir = "data"\nlocal_domains = ["example.org"]\n[log]\nlevel = "error"\n${listeners}` +
      `[listeners.imap]\naddress = "127.0.0.1"\nport = ${port}\nallow_plaintext_auth = true\n`,
  );
  await tern(["user", "add", "bench@example.org", "--password-stdin", "--config", config], {
    stdin: "bench-pw",
  });
  return { dir, config, port };
}

async function importRound(mbox: string): Promise<number> {
  const { dir, config } = await prepared();
  try {
    const t0 = performance.now();
    await tern(["import", "mbox", "bench@example.org", mbox, "--config", config]);
    return performance.now() - t0;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const APPEND = `
import imaplib, sys, time, os
port, d = int(sys.argv[1]), sys.argv[2]
msgs = [open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))]
for _ in range(200):
    try:
        c = imaplib.IMAP4("127.0.0.1", port); break
    except OSError:
        time.sleep(0.05)
c.login("bench@example.org", "bench-pw")
t0 = time.perf_counter()
for m in msgs:
    typ, _ = c.append("INBOX", None, None, m)
    assert typ == "OK"
print((time.perf_counter() - t0) * 1000)
c.logout()
`;

async function appendRound(emlDir: string): Promise<number> {
  const { dir, config, port } = await prepared();
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve", "--config", config],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const py = await new Deno.Command("python3", {
      args: ["-c", APPEND, String(port), emlDir],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (py.code !== 0) throw new Error(new TextDecoder().decode(py.stderr));
    return Number(new TextDecoder().decode(py.stdout).trim());
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await Deno.remove(dir, { recursive: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { messages: { type: "string" }, rounds: { type: "string" } },
  });
  const n = Number(values.messages ?? 1000);
  const rounds = Number(values.rounds ?? 3);
  const source = await corpus();
  const work = await Deno.makeTempDir({ prefix: "tern-bench-import-src-" });
  try {
    const parts: Uint8Array[] = [];
    await Deno.mkdir(`${work}/eml`);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const raw = unique(source[i % source.length]!, i);
      bytes += raw.length;
      await Deno.writeFile(`${work}/eml/${String(i).padStart(6, "0")}.eml`, raw);
      parts.push(
        formatMboxMessage(raw, {
          sender: "bench@remote.test",
          date: new Date(1.6e12 + i * 1000),
          flags: ["\\Seen"],
        }),
      );
    }
    const file = await Deno.open(`${work}/bench.mbox`, { write: true, create: true });
    for (const p of parts) await file.write(p);
    file.close();
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await importRound(`${work}/bench.mbox`));
      b.push(await appendRound(`${work}/eml`));
      console.log(
        `round ${r + 1}: import ${a.at(-1)!.toFixed(0)} ms, imaplib APPEND ${b.at(-1)!.toFixed(0)} ms`,
      );
    }
    const ma = median(a);
    const mb = median(b);
    console.log(
      `\n${n} messages, ${(bytes / 1024 / 1024).toFixed(1)} MB\n` +
        `tern import mbox (process incl. start): ${ma.toFixed(0)} ms (${
          (n / ma * 1000).toFixed(0)
        } msg/s)\n` +
        `imaplib APPEND to a running Tern:        ${mb.toFixed(0)} ms (${
          (n / mb * 1000).toFixed(0)
        } msg/s)\n` +
        `ratio (APPEND time / import time): ${(mb / ma).toFixed(2)}`,
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) await main();
