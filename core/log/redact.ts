/**
 * Keeps secrets out of log lines: any field whose name looks like a credential is replaced before
 * the line is written, whatever the caller passed.
 *
 * @module
 */
import type { LogFields } from "./logger.ts";

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

/** Field names treated as secrets (matched case-insensitively anywhere in the name). */
const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authorization|auth_?data|cookie|credential|api_?key|private_?key/i;

/** True when a field name looks like it holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Returns `fields` with the values of secret-looking keys (password, token, authorization, …)
 * replaced by `REDACTED`. The input is not modified; the same object is returned when nothing
 * needed redaction.
 *
 * @example
 * ```ts
 * import { redactFields } from "./redact.ts";
 * console.log(redactFields({ username: "ann", password: "hunter2" }));
 * // { username: "ann", password: "[redacted]" }
 * ```
 */
export function redactFields(fields: LogFields): LogFields {
  let out: LogFields | null = null;
  for (const key of Object.keys(fields)) {
    if (isSecretKey(key) && fields[key] !== undefined && fields[key] !== null) {
      out ??= { ...fields };
      out[key] = REDACTED;
    }
  }
  return out ?? fields;
}
