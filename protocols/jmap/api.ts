/**
 * Processing of one JMAP API request (RFC 8620 §3.3–§3.7): capability check, method calls in
 * order, result references, creation ids, and the Response object.
 *
 * @module
 */
import type { Account } from "../../core/store/types.ts";
import type { Logger } from "../../core/log/logger.ts";
import { CannotCalculateChangesError } from "../../core/store/types.ts";
import { MethodError, ProblemError, ProblemType } from "./errors.ts";
import { type Invocation, type JmapRequest, resolveResultReferences } from "./request.ts";
import { SUPPORTED_CAPABILITIES } from "./capabilities.ts";
import type { MethodContext, MethodEntry } from "./method_context.ts";
import type { JmapServices } from "./services.ts";
import { METHODS } from "./methods/mod.ts";

/** Re-exported from method_context.ts, where it is defined. */
export type { MethodEntry };

/** The JMAP Response object (RFC 8620 §3.4). */
export interface JmapResponse {
  methodResponses: Invocation[];
  createdIds?: Record<string, string>;
  sessionState: string;
}

/** Checks request-level limits and capabilities before any method runs (RFC 8620 §3.6.1). */
export function checkRequest(request: JmapRequest, services: JmapServices): void {
  for (const capability of request.using) {
    if (!SUPPORTED_CAPABILITIES.has(capability)) {
      throw new ProblemError(
        400,
        ProblemType.unknownCapability,
        `The capability "${capability}" is not supported by this server.`,
      );
    }
  }
  if (request.methodCalls.length > services.limits.maxCallsInRequest) {
    throw new ProblemError(
      400,
      ProblemType.limit,
      `The request has ${request.methodCalls.length} method calls; the maximum is ${services.limits.maxCallsInRequest}.`,
      "maxCallsInRequest",
    );
  }
}

/** Runs every method call of a checked request in order and builds the Response. */
export async function processRequest(
  request: JmapRequest,
  services: JmapServices,
  account: Account,
  log: Logger,
  sessionState: string,
  client: { sessionId: string; remoteAddress: string } = { sessionId: "", remoteAddress: "" },
  methods: ReadonlyMap<string, MethodEntry> = METHODS,
): Promise<JmapResponse> {
  // RFC 8620 §3.3 (erratum 6606): "urn:ietf:params:jmap:core" must be in `using` like any other
  // capability; nothing is implied, so with an empty `using` every method call is unknownMethod.
  const using = new Set(request.using);
  const ctx: MethodContext = {
    services,
    account,
    using,
    createdIds: new Map(Object.entries(request.createdIds ?? {})),
    log,
    sessionId: client.sessionId,
    remoteAddress: client.remoteAddress,
    callId: "",
  };
  const responses: Invocation[] = [];
  for (const [name, rawArgs, callId] of request.methodCalls) {
    ctx.callId = callId;
    const entry = methods.get(name);
    if (!entry) {
      responses.push(["error", { type: "unknownMethod", description: `Unknown method "${name}".` }, callId]);
      continue;
    }
    if (!using.has(entry.capability)) {
      responses.push([
        "error",
        { type: "unknownMethod", description: `"${name}" needs "${entry.capability}" in "using".` },
        callId,
      ]);
      continue;
    }
    try {
      const args = resolveResultReferences(rawArgs, responses);
      const result = await entry.handler(args, ctx);
      if (Array.isArray(result)) responses.push(...result);
      else responses.push([name, result, callId]);
    } catch (error) {
      responses.push(["error", methodErrorOf(error, name, log).toJSON(), callId]);
    }
  }
  const response: JmapResponse = { methodResponses: responses, sessionState };
  // RFC 8620 §3.4: createdIds is returned only when the request had it.
  if (request.createdIds !== undefined) {
    response.createdIds = Object.fromEntries(ctx.createdIds);
  }
  return response;
}

function methodErrorOf(error: unknown, name: string, log: Logger): MethodError {
  if (error instanceof MethodError) return error;
  if (error instanceof CannotCalculateChangesError) return new MethodError("cannotCalculateChanges");
  // The client gets a generic error; the cause goes to the log (never message contents).
  log.error("JMAP method failed", {
    method: name,
    error: String(error),
    stack: (error as Error)?.stack ?? null,
  });
  return new MethodError("serverFail", "The server failed to process this method call.");
}
