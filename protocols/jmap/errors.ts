/**
 * JMAP errors: request-level problems (RFC 8620 §3.6.1, RFC 7807 problem JSON) and method-level
 * errors (RFC 8620 §3.6.2), plus SetError objects (§5.3).
 *
 * @module
 */

/** Request-level error types (RFC 8620 §3.6.1). */
export const ProblemType = {
  unknownCapability: "urn:ietf:params:jmap:error:unknownCapability",
  notJSON: "urn:ietf:params:jmap:error:notJSON",
  notRequest: "urn:ietf:params:jmap:error:notRequest",
  limit: "urn:ietf:params:jmap:error:limit",
} as const;

/** An RFC 7807 problem answered instead of a JMAP response. */
export class ProblemError extends Error {
  override name = "ProblemError";
  /**
   * @param status HTTP status
   * @param type problem type URI
   * @param detail human-readable detail
   * @param limit for `limit` problems, the name of the limit exceeded
   */
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly limit?: string,
  ) {
    super(detail);
  }

  /** The problem JSON body. */
  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { type: this.type, status: this.status, detail: this.detail };
    if (this.limit !== undefined) body.limit = this.limit;
    return body;
  }
}

/** Method-level error types (RFC 8620 §3.6.2, §5, RFC 8621). */
export type MethodErrorType =
  | "serverUnavailable"
  | "serverFail"
  | "serverPartialFail"
  | "unknownMethod"
  | "invalidArguments"
  | "invalidResultReference"
  | "forbidden"
  | "accountNotFound"
  | "accountNotSupportedByMethod"
  | "accountReadOnly"
  | "requestTooLarge"
  | "stateMismatch"
  | "cannotCalculateChanges"
  | "anchorNotFound"
  | "unsupportedFilter"
  | "unsupportedSort"
  | "tooManyChanges"
  | "fromAccountNotFound"
  | "fromAccountNotSupportedByMethod"
  // RFC 9404 §4.4 (Blob/lookup).
  | "unknownDataType";

/** Thrown by a method; becomes an `["error", {type, description}, callId]` response. */
export class MethodError extends Error {
  override name = "MethodError";
  /**
   * @param type error type
   * @param description optional human-readable detail
   * @param extra further properties of the error object
   */
  constructor(
    readonly type: MethodErrorType,
    readonly description?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(description ?? type);
  }

  /** The error response arguments. */
  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { type: this.type, ...this.extra };
    if (this.description !== undefined) body.description = this.description;
    return body;
  }
}

/** SetError types (RFC 8620 §5.3, RFC 8621). */
export type SetErrorType =
  | "forbidden"
  | "invalidArguments"
  | "overQuota"
  | "tooLarge"
  | "rateLimit"
  | "notFound"
  | "invalidPatch"
  | "willDestroy"
  | "invalidProperties"
  | "singleton"
  | "alreadyExists"
  | "mailboxHasChild"
  | "mailboxHasEmail"
  | "blobNotFound"
  | "tooManyKeywords"
  | "tooManyMailboxes"
  | "invalidEmail"
  | "tooManyRecipients"
  | "noRecipients"
  | "invalidRecipients"
  | "forbiddenMailFrom"
  | "forbiddenFrom"
  | "forbiddenToSend"
  | "cannotUnsend"
  // RFC 9007 §2.1: the email already has the $mdnsent keyword.
  | "mdnAlreadySent"
  // RFC 9661 §2.4: the script does not compile; the active script cannot be destroyed.
  | "invalidSieve"
  | "sieveIsActive";

/** A SetError object. */
export interface SetError {
  type: SetErrorType;
  description?: string;
  properties?: string[];
  [extra: string]: unknown;
}

/** Thrown inside one create/update/destroy; caught per object and reported in notCreated etc. */
export class SetErrorException extends Error {
  override name = "SetErrorException";
  /**
   * @param type SetError type
   * @param description detail
   * @param extra e.g. `{ properties: ["name"] }`
   */
  constructor(
    readonly type: SetErrorType,
    readonly description?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(description ?? type);
  }

  /** The SetError object. */
  toSetError(): SetError {
    const error: SetError = { type: this.type, ...this.extra };
    if (this.description !== undefined) error.description = this.description;
    return error;
  }
}

/** Shorthand for an invalidProperties SetError exception. */
export function invalidProperties(properties: string[], description?: string): SetErrorException {
  return new SetErrorException("invalidProperties", description, { properties });
}
