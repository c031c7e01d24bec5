/**
 * Help texts generated from the command table.
 *
 * @module
 */
import type { CommandSpec, GroupSpec, OptionSpec } from "./spec.ts";

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.arg ? ` ${o.arg}` : ""}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}

/** `tern --help`. */
export function mainHelp(commands: CommandSpec[], groups: GroupSpec[], version: string): string {
  const top = commands.filter((c) => c.path.length === 1);
  const entries: [string, string][] = [
    ...top.map((c): [string, string] => [c.path[0] ?? "", c.summary]),
    ...groups.map((g): [string, string] => [g.name, g.summary]),
  ];
  const width = Math.max(...entries.map(([n]) => n.length));
  return [
    `tern ${version}: a mail server (SMTP, IMAP, POP3, JMAP) in one binary`,
    "",
    "Usage:",
    "  tern <command> [options]",
    "",
    "Commands:",
    ...entries.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    "",
    "Options:",
    "  -h, --help     show help (also after any command: tern user add --help)",
    "  -V, --version  print the version",
    "",
    "Environment:",
    "  TERN_CONFIG    configuration file used when --config is not given",
    "",
    "Examples:",
    "  tern serve --config tern.toml",
    "  tern domain add example.com",
    "  tern user add ada@example.com",
    "  tern config check --config tern.toml",
    "",
    "Exit status: 0 success, 1 failure, 2 usage or configuration error.",
    "",
  ].join("\n");
}

/** `tern user --help`. */
export function groupHelp(group: GroupSpec, commands: CommandSpec[]): string {
  const subs = commands.filter((c) => c.path[0] === group.name);
  const width = Math.max(...subs.map((c) => (c.path[1] ?? "").length));
  return [
    `tern ${group.name}: ${group.summary}`,
    "",
    "Usage:",
    `  tern ${group.name} <command> [options]`,
    "",
    "Commands:",
    ...subs.map((c) => `  ${(c.path[1] ?? "").padEnd(width)}  ${c.summary}`),
    "",
    "Examples:",
    ...subs.flatMap((c) => c.examples.slice(0, 1)).map((e) => `  ${e}`),
    "",
    `Run "tern ${group.name} <command> --help" for a command's options.`,
    "",
  ].join("\n");
}

/** `tern user add --help`. */
export function commandHelp(cmd: CommandSpec, common: Record<string, OptionSpec>): string {
  const name = `tern ${cmd.path.join(" ")}`;
  return [
    `${name}: ${cmd.summary}`,
    "",
    "Usage:",
    `  ${name}${cmd.args ? ` ${cmd.args}` : ""} [options]`,
    ...(cmd.description ? ["", ...wrap(cmd.description, 100)] : []),
    "",
    "Options:",
    ...optionLines({ ...cmd.options, ...common }),
    "",
    "Examples:",
    ...cmd.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
