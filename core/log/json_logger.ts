/**
 * The production `Logger`: one JSON object per line (`timestamp`, `level`, `message`, then the bound
 * and per-call fields) written through LogTape to stdout, stderr or a file.
 *
 * LogTape is configured once per process with a category `["tern"]` whose sink routes each record
 * to the output of the logger instance that made it, so several servers (tests, embedding programs)
 * can log to different places. If the embedding program configured LogTape itself, Tern's records
 * go to whatever it set up for the `["tern"]` category.
 *
 * @module
 */
import { ConfigError, configureSync, getLogger, type LogRecord } from "@logtape/logtape";
import type { LogFields, Logger } from "./logger.ts";
import { redactFields } from "./redact.ts";

/** Log levels, lowest first (the names of the `[log] level` setting). */
export type LogLevelName = "debug" | "info" | "warning" | "error";

const RANK: Record<LogLevelName, number> = { debug: 0, info: 1, warning: 2, error: 3 };

/** Where lines go and from which level on. */
export interface JsonLoggerOptions {
  /** Lowest level written. */
  level: LogLevelName;
  /** "stdout", "stderr" or a file path (appended to, created if missing). */
  output: string;
}

/** A logger plus the handle that releases its output. */
export interface JsonLogHandle {
  /** The root logger (no bound fields). */
  readonly logger: Logger;
  /** Flushes and closes the output (a file); the logger drops lines afterwards. */
  close(): void;
}

interface Output {
  write(line: Uint8Array): void;
  close(): void;
}

const outputs = new Map<string, Output>();
let configured = false;
const encoder = new TextEncoder();

function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}

/** Formats a record as one JSON line: fixed keys first, then the fields in call order. */
export function formatRecord(record: LogRecord): string {
  const message = typeof record.rawMessage === "string"
    ? record.rawMessage
    : record.message.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join("");
  const line: Record<string, unknown> = {
    timestamp: new Date(record.timestamp).toISOString(),
    level: record.level,
    message,
  };
  for (const [key, value] of Object.entries(record.properties)) {
    if (value !== undefined && !(key in line)) line[key] = value;
  }
  return JSON.stringify(line) + "\n";
}

function routeSink(record: LogRecord): void {
  const id = record.category[1];
  const out = id === undefined ? undefined : outputs.get(id);
  if (!out) return;
  try {
    out.write(encoder.encode(formatRecord(record)));
  } catch {
    // A full disk or closed stdout must not take a session down with it.
  }
}

function ensureConfigured(): void {
  if (configured) return;
  configured = true;
  try {
    configureSync({
      sinks: { tern: routeSink },
      loggers: [
        { category: ["tern"], sinks: ["tern"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
      ],
    });
  } catch (err) {
    // The embedding program configured LogTape already: its configuration decides.
    if (!(err instanceof ConfigError)) throw err;
  }
}

function openOutput(output: string): Output {
  if (output === "stdout" || output === "stderr") {
    const stream = output === "stdout" ? Deno.stdout : Deno.stderr;
    return { write: (line) => writeAll(stream, line), close() {} };
  }
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(output, { create: true, append: true, write: true, mode: 0o640 });
  } catch (err) {
    throw new Error(`Cannot open log file "${output}": ${(err as Error).message}`, { cause: err });
  }
  let open = true;
  return {
    write: (line) => open && writeAll(file, line),
    close() {
      if (!open) return;
      open = false;
      file.close();
    },
  };
}

class JsonLogger implements Logger {
  readonly #lt: ReturnType<typeof getLogger>;
  readonly #min: number;
  readonly #bound: LogFields;

  constructor(lt: ReturnType<typeof getLogger>, min: number, bound: LogFields) {
    this.#lt = lt;
    this.#min = min;
    this.#bound = bound;
  }

  #props(fields: LogFields | undefined): Record<string, unknown> {
    return redactFields(fields ? { ...this.#bound, ...fields } : this.#bound);
  }

  debug(message: string, fields?: LogFields): void {
    if (this.#min <= RANK.debug) this.#lt.debug(message, this.#props(fields));
  }
  info(message: string, fields?: LogFields): void {
    if (this.#min <= RANK.info) this.#lt.info(message, this.#props(fields));
  }
  warn(message: string, fields?: LogFields): void {
    if (this.#min <= RANK.warning) this.#lt.warning(message, this.#props(fields));
  }
  error(message: string, fields?: LogFields): void {
    if (this.#min <= RANK.error) this.#lt.error(message, this.#props(fields));
  }
  with(fields: LogFields): Logger {
    return new JsonLogger(this.#lt, this.#min, { ...this.#bound, ...fields });
  }
}

/**
 * Creates a JSON-lines logger. Secret-looking fields (password, token, authorization…) are
 * redacted on every line.
 *
 * @example
 * ```ts
 * import { createJsonLogger } from "./json_logger.ts";
 * const { logger, close } = createJsonLogger({ level: "info", output: "stderr" });
 * logger.with({ session_id: "s1", protocol: "smtp" }).info("connected", { client_ip: "192.0.2.1" });
 * close();
 * ```
 */
export function createJsonLogger(options: JsonLoggerOptions): JsonLogHandle {
  ensureConfigured();
  const id = crypto.randomUUID();
  outputs.set(id, openOutput(options.output));
  const logger = new JsonLogger(getLogger(["tern", id]), RANK[options.level], {});
  return {
    logger,
    close() {
      const out = outputs.get(id);
      outputs.delete(id);
      out?.close();
    },
  };
}
