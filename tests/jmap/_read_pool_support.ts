/**
 * Shared by the read pool's lifecycle test and its child process: an authentication service that
 * is never asked (the pool only runs requests already authenticated).
 *
 * @module
 */
import type { AuthService } from "../../core/auth/types.ts";

/** An `AuthService` whose every use is an error: the read pool never authenticates. */
export const noAuth: AuthService = {
  verifyPassword: () => Promise.reject(new Error("unused")),
  mechanisms: () => [],
  startSasl: () => null,
  deriveSecrets: () => Promise.reject(new Error("unused")),
};
