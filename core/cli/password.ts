/**
 * Getting a new password from the user: a no-echo terminal prompt (typed twice), or the whole of
 * standard input with `--password-stdin` (one trailing newline removed) for scripts.
 *
 * @module
 */
import type { CliIo } from "./io.ts";
import { CliError, UsageError } from "./errors.ts";

/** Longest password accepted (bytes of UTF-8). */
export const MAX_PASSWORD_BYTES = 1024;

/** Null when `password` is acceptable, else why not. */
export function checkPassword(password: string): string | null {
  if (password.length === 0) return "The password is empty";
  if (new TextEncoder().encode(password).byteLength > MAX_PASSWORD_BYTES) {
    return `The password is longer than ${MAX_PASSWORD_BYTES} bytes`;
  }
  // NUL separates SASL PLAIN fields (RFC 4616 §2) and CR/LF end protocol lines: such a password
  // could never be typed into a mail client.
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) return "The password contains control characters";
  return null;
}

/**
 * Reads a new password. With `fromStdin` it reads standard input; otherwise it prompts twice
 * without echo, which needs a terminal.
 */
export async function readNewPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  let password: string;
  if (fromStdin) {
    const bytes = await io.readStdin(MAX_PASSWORD_BYTES + 2).catch(() => {
      throw new CliError(`The password is longer than ${MAX_PASSWORD_BYTES} bytes`);
    });
    password = new TextDecoder("utf-8", { fatal: false }).decode(bytes).replace(/\r?\n$/, "");
  } else {
    if (!io.stdinIsTerminal()) {
      throw new UsageError("Standard input is not a terminal: use --password-stdin to pipe the password");
    }
    const first = await io.readSecret("New password: ");
    if (first === null) throw new CliError("Aborted");
    const problem = checkPassword(first);
    if (problem) throw new CliError(problem);
    const second = await io.readSecret("Repeat password: ");
    if (second === null) throw new CliError("Aborted");
    if (first !== second) throw new CliError("The passwords do not match");
    password = first;
  }
  const problem = checkPassword(password);
  if (problem) throw new CliError(problem);
  return password;
}
