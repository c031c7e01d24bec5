/**
 * The tenancy version (table `tenancy_version`, one row): every change to organizations, their
 * domains and roles, platform administrators or plans moves it on, so caches elsewhere compare it.
 *
 * @module
 */
import { type Op, run } from "./db.ts";

/** Moves the tenancy version on (inside the change's transaction). */
export function bumpVersion(): Op<number> {
  return run("UPDATE tenancy_version SET v = v + 1 WHERE id = 1");
}
