/**
 * Server-wide JMAP services built once per HTTP app: the store's JMAP records, API token checks and
 * the limits.
 *
 * @module
 */
import type { ServerContext } from "../../core/context.ts";
import { ApiTokens } from "../../core/jmap/tokens.ts";
import type { UploadStore } from "../../core/store/records/uploads.ts";
import type { IdentityStore } from "../../core/store/records/identities.ts";
import type { SubmissionStore } from "../../core/store/records/submissions.ts";
import type { VacationStore } from "../../core/store/records/vacations.ts";
import { type CoreLimits, coreLimits } from "./capabilities.ts";
import { QueryCache } from "./query_cache.ts";

/** The JMAP objects kept by the store, and what the API needs besides. */
export interface JmapServices {
  readonly server: ServerContext;
  readonly tokens: ApiTokens;
  readonly uploads: UploadStore;
  readonly identities: IdentityStore;
  readonly submissions: SubmissionStore;
  readonly vacations: VacationStore;
  readonly limits: CoreLimits;
  /** Email/query results by state. */
  readonly queryCache: QueryCache;
}

/** Builds the services over the server's store. */
export function createJmapServices(server: ServerContext): JmapServices {
  const store = server.store;
  return {
    server,
    tokens: new ApiTokens(store.tokens, server.clock),
    uploads: store.uploads,
    identities: store.identities,
    submissions: store.submissions,
    vacations: store.vacations,
    limits: coreLimits(server.config),
    queryCache: new QueryCache(),
  };
}
