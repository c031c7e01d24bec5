/**
 * Exit codes and the errors commands throw to choose one.
 *
 * @module
 */

/** Process exit codes of the `tern` command. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** The command failed (not found, already exists, store error, server failure). */
  failure: 1,
  /** Bad usage: unknown command or option, missing argument, invalid configuration. */
  usage: 2,
} as const;

/** One of the `ExitCode` values. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** An error reported to the user as `tern: <message>` with an exit code. */
export class CliError extends Error {
  override name = "CliError";
  /**
   * @param message what went wrong, for the user
   * @param exitCode 1 for a failure, 2 for a usage error
   */
  constructor(message: string, readonly exitCode: ExitCodeValue = ExitCode.failure) {
    super(message);
  }
}

/** What was asked for does not exist (exit code 1; the admin API answers 404). */
export class NotFoundError extends CliError {
  override name = "NotFoundError";
}

/** The change conflicts with what exists (exit code 1; the admin API answers 409). */
export class ConflictError extends CliError {
  override name = "ConflictError";
}

/** A usage error (exit code 2): the command line itself is wrong. */
export class UsageError extends CliError {
  override name = "UsageError";
  /** @param message what is wrong with the command line */
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}
