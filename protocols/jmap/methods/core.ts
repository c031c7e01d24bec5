/**
 * Core/echo (RFC 8620 §4).
 *
 * @module
 */
import type { MethodHandler } from "../method_context.ts";

/** Core/echo: returns its arguments unchanged. */
export const coreEcho: MethodHandler = (args) => Promise.resolve(args);
