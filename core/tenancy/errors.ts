/**
 * The error the tenancy operations throw, in the user's terms (the CLI turns it into its exit
 * codes, the admin API into its problem responses).
 *
 * @module
 */

/** A refused tenancy operation. */
export class TenancyError extends Error {
  override name = "TenancyError";
  /**
   * @param message what went wrong, for the user
   * @param invalid true when the request itself is malformed (a usage error), false when it cannot be done
   */
  constructor(message: string, readonly invalid = false) {
    super(message);
  }
}
