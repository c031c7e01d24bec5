/**
 * The error the tenancy operations throw, in the user's terms (the CLI turns it into its exit
 * codes, the admin API into its problem responses: invalid 400, notFound 404, conflict 409,
 * forbidden 403).
 *
 * @module
 */

/** Why a tenancy operation was refused. */
export type TenancyErrorKind = "invalid" | "notFound" | "conflict" | "forbidden";

/** A refused tenancy operation. */
export class TenancyError extends Error {
  override name = "TenancyError";
  /**
   * @param message what went wrong, for the user
   * @param kind invalid: the request itself is malformed; notFound: no such organization, plan or
   *   account; conflict: the current state forbids it (exists, in use); forbidden: a plan limit
   */
  constructor(message: string, readonly kind: TenancyErrorKind = "conflict") {
    super(message);
  }

  /** True when the request itself is malformed (a usage error). */
  get invalid(): boolean {
    return this.kind === "invalid";
  }
}
