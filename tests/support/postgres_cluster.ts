/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a temp dir, `pg_ctl start` on a free
 * loopback port with trust authentication, one fresh database per `createDatabase()`, and
 * `stop()` (or process exit) stops the server and removes the directory.
 *
 * The server binaries come from Debian's `postgresql` package (`/usr/lib/postgresql/<v>/bin`, or
 * `PATH`). PostgreSQL refuses to run as root, so when the tests run as root the cluster runs as
 * the `postgres` system user (created by the package) through `runuser`.
 *
 * One cluster per test process is shared through `sharedPostgresCluster()`; it is stopped when the
 * process unloads.
 *
 * @module
 */

/** A running cluster. */
export interface PostgresCluster {
  /** Loopback port the server listens on. */
  readonly port: number;
  /** Connection URL of a database of the cluster (`postgres://tern@127.0.0.1:<port>/<db>`). */
  url(database: string): string;
  /**
   * Creates a database with a fresh name and returns its URL: empty, or a copy of `template` (the
   * URL of a database of this cluster with no open connection).
   */
  createDatabase(template?: string): Promise<string>;
  /** Drops a database made by `createDatabase` (connections to it must be closed). */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = "tern";

/** Directory of the PostgreSQL server binaries, or null when none is installed. */
export function postgresBinDir(): string | null {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")]
      .map((e) => e.name)
      .filter((n) => /^\d+$/.test(n))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      try {
        Deno.statSync(`${dir}/initdb`);
        return dir;
      } catch { /* next */ }
    }
  } catch { /* not Debian's layout */ }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      Deno.statSync(`${dir}/initdb`);
      return dir;
    } catch { /* next */ }
  }
  return null;
}

function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** Runs a server binary, as the `postgres` user when we are root. */
function command(bin: string, args: string[]): Deno.Command {
  if (isRoot()) {
    return new Deno.Command("runuser", { args: ["-u", "postgres", "--", bin, ...args], stdin: "null" });
  }
  return new Deno.Command(bin, { args, stdin: "null" });
}

async function run(bin: string, args: string[]): Promise<void> {
  const out = await command(bin, args).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(`${bin} ${args.join(" ")} failed: ${dec.decode(out.stderr)}${dec.decode(out.stdout)}`);
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts a fresh cluster. Throws when PostgreSQL is not installed. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries not found (apt-get install postgresql)");
  const root = await Deno.makeTempDir({ prefix: "tern-pg-" });
  const dataDir = `${root}/data`;
  if (isRoot()) {
    const pw = await new Deno.Command("id", { args: ["-u", "postgres"] }).output();
    const gw = await new Deno.Command("id", { args: ["-g", "postgres"] }).output();
    if (!pw.success) throw new Error("running as root and no postgres user to run the cluster as");
    const dec = new TextDecoder();
    await Deno.chown(root, Number(dec.decode(pw.stdout).trim()), Number(dec.decode(gw.stdout).trim()));
  }
  await run(`${bin}/initdb`, [
    "-D",
    dataDir,
    "-U",
    SUPERUSER,
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-locale",
    "--no-sync",
    "--no-instructions",
  ]);
  let port = 0;
  let started = false;
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = freePort();
    const opts = [
      `-c listen_addresses=127.0.0.1`,
      `-c port=${port}`,
      `-c unix_socket_directories=${root}`,
      `-c max_connections=200`,
      `-c synchronous_commit=on`,
      `-c fsync=on`,
    ].join(" ");
    const out = await command(`${bin}/pg_ctl`, [
      "-D",
      dataDir,
      "-l",
      `${root}/server.log`,
      "-w",
      "-o",
      opts,
      "start",
    ])
      .output();
    started = out.success;
  }
  if (!started) {
    const log = await Deno.readTextFile(`${root}/server.log`).catch(() => "");
    await Deno.remove(root, { recursive: true }).catch(() => {});
    throw new Error(`pg_ctl start failed: ${log}`);
  }
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      command(`${bin}/pg_ctl`, ["-D", dataDir, "-m", "immediate", "-w", "stop"]).outputSync();
    } catch { /* already gone */ }
    try {
      Deno.removeSync(root, { recursive: true });
    } catch { /* already gone */ }
  };
  globalThis.addEventListener("unload", stopSync);
  const url = (db: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`;
  const psql = async (sql: string) => {
    const out = await new Deno.Command(`${bin}/psql`, {
      args: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url("postgres"), "-c", sql],
      stdin: "null",
    }).output();
    if (!out.success) throw new Error(`psql ${sql}: ${new TextDecoder().decode(out.stderr)}`);
  };
  return {
    port,
    url,
    async createDatabase(template?: string) {
      const name = `t_${crypto.randomUUID().replaceAll("-", "")}`;
      const from = template === undefined ? "" : new URL(template).pathname.slice(1);
      if (from && !/^t_[0-9a-f]+$/.test(from)) throw new Error(`not a test database: ${from}`);
      await psql(from ? `CREATE DATABASE ${name} TEMPLATE ${from}` : `CREATE DATABASE ${name}`);
      return url(name);
    },
    async dropDatabase(dbUrl: string) {
      const name = new URL(dbUrl).pathname.slice(1);
      if (!/^t_[0-9a-f]+$/.test(name)) throw new Error(`not a test database: ${name}`);
      await psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    stop() {
      stopSync();
      globalThis.removeEventListener("unload", stopSync);
      return Promise.resolve();
    },
  };
}

let shared: Promise<PostgresCluster> | null = null;

/** One cluster for the whole test process, started on first use and stopped at unload. */
export function sharedPostgresCluster(): Promise<PostgresCluster> {
  shared ??= startPostgresCluster();
  return shared;
}
