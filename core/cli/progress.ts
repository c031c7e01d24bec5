/**
 * Progress of a long command (import): a bar with messages, bytes, rate and ETA on a terminal
 * (the maintained `cli-progress` package, drawn on standard error), plain lines elsewhere (logs,
 * pipes, tests): one every `lineEvery` messages and one at the end.
 *
 * @module
 */
// @ts-types="npm:@types/cli-progress@^3.11.6"
import cliProgress from "cli-progress";
import type { CliIo } from "./io.ts";
import { formatSize } from "./directory_ops.ts";

/** What is reported. */
export interface ProgressState {
  messages: number;
  bytes: number;
  /** Known totals: either bytes (an mbox) or messages (Maildir, IMAP). */
  totalBytes?: number;
  totalMessages?: number;
}

/** A progress display. */
export interface ProgressReporter {
  update(state: ProgressState): void;
  stop(state: ProgressState): void;
}

/** Bytes for people (the CLI's one size format), whole bytes. */
function size(bytes: number): string {
  return formatSize(Math.round(bytes));
}

/** The reporter for `io`: a bar when standard error is a terminal, lines otherwise. */
export function progressReporter(
  io: CliIo,
  label: string,
  opts: { lineEvery?: number; now?: () => number } = {},
): ProgressReporter {
  const now = opts.now ?? (() => Date.now());
  const started = now();
  const rate = (s: ProgressState) => {
    const secs = Math.max((now() - started) / 1000, 0.001);
    return `${(s.messages / secs).toFixed(0)} msg/s, ${size(s.bytes / secs)}/s`;
  };
  if (!io.stderrIsTerminal()) {
    const every = opts.lineEvery ?? 1000;
    let next = every;
    return {
      update(s) {
        if (s.messages < next) return;
        next = s.messages + every;
        const of = s.totalMessages ? `/${s.totalMessages}` : "";
        io.err(`${label}: ${s.messages}${of} messages, ${size(s.bytes)}, ${rate(s)}\n`);
      },
      stop(s) {
        io.err(`${label}: done, ${s.messages} messages, ${size(s.bytes)}, ${rate(s)}\n`);
      },
    };
  }
  const byBytes = (s: ProgressState) => s.totalBytes !== undefined && s.totalMessages === undefined;
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {messages} msgs | {size} | {rate} | ETA {eta_formatted}`,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let started2 = false;
  const payload = (s: ProgressState) => ({ messages: s.messages, size: size(s.bytes), rate: rate(s) });
  return {
    update(s) {
      const total = byBytes(s) ? s.totalBytes! : s.totalMessages ?? 0;
      const value = byBytes(s) ? s.bytes : s.messages;
      if (!started2) {
        bar.start(Math.max(total, 1), value, payload(s));
        started2 = true;
      }
      bar.setTotal(Math.max(total, value, 1));
      bar.update(value, payload(s));
    },
    stop(s) {
      if (started2) bar.stop();
      io.err(`${label}: done, ${s.messages} messages, ${size(s.bytes)}, ${rate(s)}\n`);
    },
  };
}
