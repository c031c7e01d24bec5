/**
 * The errors the shared core operations throw (core/cli/directory_ops.ts, core/tenancy, the store)
 * as problem details: not found 404, conflicts 409, malformed input 400.
 *
 * @module
 */
import { CliError, ConflictError, NotFoundError, UsageError } from "../../core/cli/errors.ts";
import { TenancyError } from "../../core/tenancy/errors.ts";
import { StoreError } from "../../core/store/types.ts";
import { ApiProblem, ProblemType } from "./problem.ts";

/** The problem for an error of a core operation, or null when it is not one (a bug: 500). */
export function problemFromCore(err: unknown): ApiProblem | null {
  if (err instanceof UsageError) return new ApiProblem(400, err.message, { type: ProblemType.validation });
  if (err instanceof NotFoundError) return new ApiProblem(404, err.message);
  if (err instanceof ConflictError) return new ApiProblem(409, err.message, { type: ProblemType.conflict });
  if (err instanceof TenancyError) {
    if (err.invalid) return new ApiProblem(400, err.message, { type: ProblemType.validation });
    if (/^No (organization|plan|domain|account)\b/.test(err.message)) return new ApiProblem(404, err.message);
    return new ApiProblem(409, err.message, { type: ProblemType.conflict });
  }
  // Remaining refusals of the CLI operations (not a local domain, a plan limit): the request
  // conflicts with the current state.
  if (err instanceof CliError) return new ApiProblem(409, err.message, { type: ProblemType.conflict });
  if (err instanceof StoreError) {
    switch (err.code) {
      case "notFound":
        return new ApiProblem(404, err.message);
      case "invalid":
        return new ApiProblem(400, err.message, { type: ProblemType.validation });
      default:
        return new ApiProblem(409, err.message, { type: ProblemType.conflict });
    }
  }
  return null;
}
