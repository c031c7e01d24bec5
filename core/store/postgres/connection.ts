/**
 * The PostgreSQL connection pool of `PostgresStore`, on the `postgres` npm driver (porsager's),
 * which runs under Deno's Node compatibility. Every session runs with `synchronous_commit = on`:
 * a COMMIT returns only after its WAL record is flushed to disk, which is the store's durability
 * contract (core/store/store.ts). 64-bit integers (MODSEQs, row ids, sizes) come back as numbers.
 *
 * The driver reads libpq's environment variables (PGPASSWORD, PGHOST, PGSSLMODE…), which is why the
 * `start`/`tern` tasks allow `PG*`: a password can stay out of the configuration file.
 *
 * @module
 */
import postgres from "postgres";

/** The driver's connection pool (tagged-template SQL). */
export type Sql = postgres.Sql<Record<string, never>>;
/** A transaction's connection. */
export type Tx = postgres.TransactionSql<Record<string, never>>;
/** Either: what query helpers accept. */
export type Queryable = Sql | Tx;

/** Options of `connect`. */
export interface ConnectOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Application name shown in pg_stat_activity (default "tern"). */
  applicationName?: string;
}

/** An environment variable, or undefined when unset or not allowed (scoped `--allow-env`). */
function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Opens a pool. Connections are made lazily, on the first query. The URL must name the user (or
 * PGUSER be set): the driver's fallback, the OS user name, needs a permission Tern does not ask for.
 */
export function connect(opts: ConnectOptions): Sql {
  let username = "";
  try {
    username = new URL(opts.url).username;
  } catch {
    throw new Error("[store] url is not a URL (postgres://user:password@host:port/database)");
  }
  if (!username && !envVar("PGUSERNAME") && !envVar("PGUSER")) {
    throw new Error("[store] url needs a user name (postgres://user@host/database) or PGUSER");
  }
  return postgres(opts.url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    // Transactions are explicit (sql.begin); prepared statements are cached per connection.
    prepare: true,
    connection: {
      application_name: opts.applicationName ?? "tern",
      synchronous_commit: "on",
    },
    types: {
      // int8 and numeric as JS numbers: every value the store keeps fits in 2^53.
      bigint: {
        to: 20,
        from: [20, 1700],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  }) as unknown as Sql;
}
