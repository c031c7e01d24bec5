/**
 * Problem details (RFC 9457) for every admin-API error: `application/problem+json` with `type`,
 * `title`, `status`, `detail` and, for validation failures, an `errors` extension listing each
 * offending field (RFC 9457 §3.2).
 *
 * @module
 */

/** Problem types the API uses beyond `about:blank` (RFC 9457 §4.2: `about:blank` means "see the status"). */
export const ProblemType = {
  blank: "about:blank",
  validation: "tag:tern.email,2026:problem/validation",
  preconditionFailed: "tag:tern.email,2026:problem/precondition-failed",
  conflict: "tag:tern.email,2026:problem/conflict",
  throttled: "tag:tern.email,2026:problem/throttled",
  sessionEnded: "tag:tern.email,2026:problem/session-ended",
} as const;

/** RFC 9110 §15 reason phrases of the statuses the API answers with (the `title` of `about:blank`). */
export const STATUS_TITLE: Readonly<Record<number, string>> = Object.freeze({
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
});

/** One invalid field of a request. */
export interface FieldError {
  /** Where: `body.address`, `query.limit`. */
  pointer: string;
  detail: string;
}

/** The JSON body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  requestId?: string;
}

/** An error answered as a problem response; throw it from a route handler. */
export class ApiProblem extends Error {
  override name = "ApiProblem";
  /** Extra response headers (`WWW-Authenticate`, `Retry-After`). */
  readonly headers: Record<string, string>;
  /**
   * @param status HTTP status
   * @param detail human-readable explanation of this occurrence
   * @param opts problem type, title (default: the status phrase), field errors, extra headers
   */
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly opts: {
      type?: string;
      title?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.headers = opts.headers ?? {};
  }

  /** The problem's JSON body. */
  body(requestId?: string): ProblemBody {
    const out: ProblemBody = {
      type: this.opts.type ?? ProblemType.blank,
      title: this.opts.title ?? STATUS_TITLE[this.status] ?? "Error",
      status: this.status,
      detail: this.detail,
    };
    if (this.opts.errors) out.errors = this.opts.errors;
    if (requestId) out.requestId = requestId;
    return out;
  }
}

/** 404 with the same words whether the thing is absent or outside the caller's reach (no leak). */
export function notFound(what = "resource"): ApiProblem {
  return new ApiProblem(404, `No such ${what}.`);
}

/** A problem+json response. */
export function problemResponse(p: ApiProblem, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/problem+json", ...p.headers });
  return new Response(JSON.stringify(p.body(requestId)), { status: p.status, headers });
}
