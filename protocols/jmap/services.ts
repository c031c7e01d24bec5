/**
 * Server-wide JMAP services built once per HTTP app: the SQL-backed JMAP objects and the limits.
 *
 * @module
 */
import type { ServerContext } from "../../core/context.ts";
import { type JmapSql, sqlFromStore } from "../../core/jmap/sql.ts";
import { ApiTokens } from "../../core/jmap/tokens.ts";
import { Uploads } from "../../core/jmap/uploads.ts";
import { Identities } from "../../core/jmap/identities.ts";
import { Submissions } from "../../core/jmap/submissions.ts";
import { Vacations } from "../../core/jmap/vacation.ts";
import { type CoreLimits, coreLimits } from "./capabilities.ts";
import { QueryCache } from "./query_cache.ts";

/** The JMAP objects kept in the store database. */
export interface JmapServices {
  readonly server: ServerContext;
  readonly sql: JmapSql;
  readonly tokens: ApiTokens;
  readonly uploads: Uploads;
  readonly identities: Identities;
  readonly submissions: Submissions;
  readonly vacations: Vacations;
  readonly limits: CoreLimits;
  /** Email/query results by state. */
  readonly queryCache: QueryCache;
}

/** Builds the services; `sql` defaults to the store's database. */
export function createJmapServices(
  server: ServerContext,
  sql: JmapSql = sqlFromStore(server.store),
): JmapServices {
  return {
    server,
    sql,
    tokens: new ApiTokens(sql, server.clock),
    uploads: new Uploads(sql, server.clock),
    identities: new Identities(sql, server.clock),
    submissions: new Submissions(sql),
    vacations: new Vacations(sql),
    limits: coreLimits(server.config),
    queryCache: new QueryCache(),
  };
}
