/**
 * Loads `acme-client` the first time a certificate is requested. Its logging dependency (`debug`)
 * lists every environment variable when it loads (`Object.keys(process.env)`), and the server runs
 * with a named list of variables (`--allow-env=...`), where listing them all is refused. So while
 * the module loads, `process.env` is a plain copy of the variables this process may read; the real
 * one is put back right after. Nothing else runs in between (one dynamic import).
 *
 * @module
 */
import process from "node:process";

/** The acme-client module. */
export type AcmeClientModule = typeof import("acme-client");

/** Names a library may look up while loading (read only when allowed). */
const VISIBLE = ["DEBUG", "DEBUG_COLORS", "DEBUG_DEPTH", "NO_COLOR", "FORCE_COLOR"];

let loaded: Promise<AcmeClientModule> | null = null;

/** The acme-client module, loaded once with a scoped `process.env`. */
export function loadAcmeClient(): Promise<AcmeClientModule> {
  loaded ??= (async () => {
    const real = Object.getOwnPropertyDescriptor(process, "env");
    const visible: Record<string, string> = {};
    for (const name of VISIBLE) {
      try {
        const v = Deno.env.get(name);
        if (v !== undefined) visible[name] = v;
      } catch {
        // not an allowed variable: the library sees it unset
      }
    }
    Object.defineProperty(process, "env", {
      value: visible,
      configurable: true,
      writable: true,
      enumerable: true,
    });
    try {
      const mod = await import("acme-client");
      return (mod as { default?: AcmeClientModule }).default ?? mod;
    } finally {
      if (real) Object.defineProperty(process, "env", real);
    }
  })();
  return loaded;
}
