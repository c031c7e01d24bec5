/**
 * The terminal as the CLI sees it: output streams, stdin and the environment, behind an interface
 * so commands run in-process in tests and against the real process in main.ts.
 *
 * @module
 */

/** What a command may use from its process. */
export interface CliIo {
  /** Writes text to standard output. */
  out(text: string): void;
  /** Writes text to standard error. */
  err(text: string): void;
  /** Writes bytes to standard output as they are (exports). */
  outBytes(bytes: Uint8Array): Promise<void>;
  /** True when standard error is an interactive terminal (progress bars go there). */
  stderrIsTerminal(): boolean;
  /** Reads all of standard input (bounded by `max` bytes; more is an error). */
  readStdin(max: number): Promise<Uint8Array>;
  /** True when standard input is an interactive terminal. */
  stdinIsTerminal(): boolean;
  /**
   * Reads one line from the terminal without echoing it (raw mode), after writing `prompt` to
   * standard error. Null when the user aborts (Ctrl-C, Ctrl-D on an empty line).
   */
  readSecret(prompt: string): Promise<string | null>;
  /** Reads one line from the terminal with echo (confirmations). Null at end of input. */
  readLine(prompt: string): Promise<string | null>;
  /** An environment variable (only the ones Tern documents are read). */
  env(name: string): string | undefined;
}

const encoder = new TextEncoder();

async function readAll(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) throw new RangeError(`Standard input is longer than ${max} bytes`);
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const DELETE = 0x7f;
const CR = 0x0d;
const LF = 0x0a;
const MAX_SECRET = 4096;

/** Reads a line from the terminal in raw mode so the typed characters are never echoed. */
async function readSecretFromTerminal(prompt: string): Promise<string | null> {
  Deno.stderr.writeSync(encoder.encode(prompt));
  const bytes: number[] = [];
  const buf = new Uint8Array(64);
  Deno.stdin.setRaw(true);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return null;
      for (const b of buf.subarray(0, n)) {
        if (b === CTRL_C) return null;
        if (b === CTRL_D && bytes.length === 0) return null;
        if (b === CR || b === LF) return new TextDecoder().decode(new Uint8Array(bytes));
        if (b === BACKSPACE || b === DELETE) {
          // Drop the last UTF-8 character (its continuation bytes first).
          while (bytes.length > 0 && ((bytes.pop() ?? 0) & 0xc0) === 0x80) { /* continue */ }
          continue;
        }
        if (bytes.length < MAX_SECRET) bytes.push(b);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}

/** The real process: Deno.stdout/stderr/stdin and Deno.env. */
export const denoIo: CliIo = {
  out(text) {
    Deno.stdout.writeSync(encoder.encode(text));
  },
  err(text) {
    Deno.stderr.writeSync(encoder.encode(text));
  },
  async outBytes(bytes) {
    for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
  },
  stderrIsTerminal() {
    return Deno.stderr.isTerminal();
  },
  readStdin(max) {
    return readAll(Deno.stdin.readable, max);
  },
  stdinIsTerminal() {
    return Deno.stdin.isTerminal();
  },
  readSecret: readSecretFromTerminal,
  async readLine(prompt) {
    Deno.stderr.writeSync(encoder.encode(prompt));
    const bytes: number[] = [];
    const buf = new Uint8Array(1);
    while (bytes.length < MAX_SECRET) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return bytes.length ? new TextDecoder().decode(new Uint8Array(bytes)) : null;
      if (buf[0] === LF) break;
      if (buf[0] !== CR) bytes.push(buf[0] ?? 0);
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  },
  env(name) {
    return Deno.env.get(name);
  },
};

/** An in-memory CliIo for tests: captures output, serves fixed stdin. */
export class MemoryIo implements CliIo {
  /** Everything written to standard output. */
  stdout = "";
  /** Everything written to standard error. */
  stderr = "";
  #stdin: Uint8Array;
  #env: Record<string, string>;
  #secrets: (string | null)[];

  /** `stdin` is the whole input; `secrets` answer successive readSecret/readLine calls. */
  constructor(opts: { stdin?: string; env?: Record<string, string>; secrets?: (string | null)[] } = {}) {
    this.#stdin = encoder.encode(opts.stdin ?? "");
    this.#env = opts.env ?? {};
    this.#secrets = [...(opts.secrets ?? [])];
  }
  out(text: string): void {
    this.stdout += text;
  }
  err(text: string): void {
    this.stderr += text;
  }
  /** Bytes written with `outBytes`. */
  stdoutBytes: Uint8Array[] = [];
  outBytes(bytes: Uint8Array): Promise<void> {
    this.stdoutBytes.push(bytes.slice());
    return Promise.resolve();
  }
  stderrIsTerminal(): boolean {
    return false;
  }
  readStdin(max: number): Promise<Uint8Array> {
    if (this.#stdin.byteLength > max) return Promise.reject(new RangeError("too long"));
    return Promise.resolve(this.#stdin);
  }
  stdinIsTerminal(): boolean {
    return this.#secrets.length > 0;
  }
  readSecret(prompt: string): Promise<string | null> {
    this.stderr += prompt + "\n";
    return Promise.resolve(this.#secrets.shift() ?? null);
  }
  readLine(prompt: string): Promise<string | null> {
    return this.readSecret(prompt);
  }
  env(name: string): string | undefined {
    return this.#env[name];
  }
}
