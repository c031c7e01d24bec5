/**
 * Helpers for the CLI tests: run the real main.ts in a child Deno with the permission flags of a
 * deno.json task, in a temporary working directory (so `./data` is the test's own).
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);
/** Absolute path of the repository's deno.json. */
export const DENO_JSON = new URL("deno.json", ROOT).pathname;
/** Absolute path of main.ts. */
export const MAIN_TS = new URL("main.ts", ROOT).pathname;

/** The `--allow-*` flags of a deno.json task (`deno run … main.ts`). */
export async function taskPermissionFlags(task: string): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(DENO_JSON)) as { tasks: Record<string, string> };
  const command = json.tasks[task];
  if (!command) throw new Error(`No task ${task} in deno.json`);
  const flags = command.split(/\s+/).filter((t) => t.startsWith("--allow-"));
  if (flags.some((f) => f === "-A" || f === "--allow-all")) throw new Error(`Task ${task} uses --allow-all`);
  return flags;
}

/**
 * The start task's flags with read access to the repository added to its `--allow-read`: the
 * compiled binary carries its worker modules (the compile task's `--include`s), but a `deno run`
 * child whose working directory is not the repository must be able to read them and what they
 * import, or a worker fails to start (the server goes on without it, but Deno prints the error on
 * standard error, which is not a log record).
 */
async function serveFlags(): Promise<string[]> {
  const root = ROOT.pathname.replace(/\/$/, "");
  return (await taskPermissionFlags("start")).map((f) => f.startsWith("--allow-read=") ? `${f},${root}` : f);
}

/**
 * Spawns `tern serve --config tern.toml` in `dir` with the start task's permissions (and read
 * access to the repository: `serveFlags`); its log
 * (standard error) is piped, standard output dropped. `env` adds to `NO_COLOR=1`.
 */
export async function spawnServe(dir: string, env: Record<string, string> = {}): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--config",
      DENO_JSON,
      ...(await serveFlags()),
      MAIN_TS,
      "serve",
      "--config",
      "tern.toml",
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
}

/** Result of one `tern` run. */
export interface TernResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tern <args>` with the `tern` task's permissions in `cwd`, feeding `stdin` when given. */
export async function tern(cwd: string, args: string[], stdin?: string): Promise<TernResult> {
  const flags = await taskPermissionFlags("tern");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--config", DENO_JSON, ...flags, MAIN_TS, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
