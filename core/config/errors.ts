/**
 * The error every configuration problem becomes: where (file, line, key path) and what was expected.
 *
 * @module
 */

/** One problem found in a configuration file. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `listeners.imap.port` (empty for a syntax error). */
  keyPath: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based column (syntax errors only). */
  column?: number;
  /** What is wrong, e.g. `expected an integer from 0 to 65535, got 70000`. */
  message: string;
}

/** Formats one issue as `file:line: key.path: message`. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  let where = file;
  if (issue.line !== undefined) where += `:${issue.line}`;
  if (issue.column !== undefined) where += `:${issue.column}`;
  return issue.keyPath ? `${where}: ${issue.keyPath}: ${issue.message}` : `${where}: ${issue.message}`;
}

/**
 * An invalid configuration: a TOML syntax error, an unknown key, a wrong type or a bad value.
 * `message` lists every issue, one per line, each naming the file, the line and the key path.
 */
export class ConfigError extends Error {
  /** The configuration file ("<defaults>" when none). */
  readonly file: string;
  /** Every problem found, in file order. */
  readonly issues: readonly ConfigIssue[];

  /** Builds the error from its issues (at least one). */
  constructor(file: string, issues: ConfigIssue[], options?: ErrorOptions) {
    const sorted = [...issues].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    super(sorted.map((i) => formatIssue(file, i)).join("\n"), options);
    this.name = "ConfigError";
    this.file = file;
    this.issues = sorted;
  }
}
