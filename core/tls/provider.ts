/**
 * Hands out the current server certificate of each TLS-capable listener and reloads them from
 * disk on demand (SIGHUP). A listener uses its own `cert`/`key`, else the global `[tls]` pair, else
 * the ACME certificate in `<data_dir>/acme/` (when `[acme]` is enabled and it has been issued), else
 * the self-signed certificate in `<data_dir>/tls/`.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import type { Config, ListenerName } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import { ensureSelfSigned } from "./self_signed.ts";
import { acmePaths } from "../acme/manager.ts";

/** A PEM certificate chain and its private key. */
export interface TlsMaterial {
  /** PEM certificate chain, leaf first. */
  cert: string;
  /** PEM private key. */
  key: string;
}

/** What a listener's transports ask for at handshake time; the answer changes after a reload. */
export interface TlsSource {
  /** The `node:tls` context for the next handshake. */
  secureContext(): SecureContext;
  /** The PEM material (for `Deno.serve` and `Deno.listenTls`). */
  material(): TlsMaterial;
}

interface Loaded {
  paths: { cert: string; key: string };
  material: TlsMaterial;
  context: SecureContext;
}

/** Thrown when a configured certificate or key cannot be read or does not match. */
export class TlsConfigError extends Error {
  /** Error name. */
  override name = "TlsConfigError";
}

async function load(paths: { cert: string; key: string }): Promise<Loaded> {
  let material: TlsMaterial;
  try {
    material = { cert: await Deno.readTextFile(paths.cert), key: await Deno.readTextFile(paths.key) };
  } catch (err) {
    throw new TlsConfigError(
      `Cannot read certificate "${paths.cert}" or key "${paths.key}": ${(err as Error).message}`,
    );
  }
  let matches: boolean;
  try {
    matches = new X509Certificate(material.cert).checkPrivateKey(createPrivateKey(material.key));
  } catch (err) {
    throw new TlsConfigError(
      `Invalid certificate "${paths.cert}" or key "${paths.key}": ${(err as Error).message}`,
    );
  }
  if (!matches) {
    throw new TlsConfigError(`The key "${paths.key}" does not belong to the certificate "${paths.cert}"`);
  }
  try {
    const context = createSecureContext({ cert: material.cert, key: material.key, minVersion: "TLSv1.2" });
    return { paths, material, context };
  } catch (err) {
    throw new TlsConfigError(
      `Invalid certificate "${paths.cert}" or key "${paths.key}": ${(err as Error).message}`,
    );
  }
}

/** Certificates of every TLS-capable listener, reloadable. */
export class TlsProvider {
  readonly #config: Config;
  readonly #clock: Clock;
  readonly #loaded = new Map<ListenerName, Loaded>();

  private constructor(config: Config, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
  }

  /**
   * Loads the certificates of the enabled listeners that use TLS (`starttls` or `implicit`),
   * generating the self-signed one when a listener has none configured.
   *
   * @example
   * ```ts
   * import { TlsProvider } from "./provider.ts";
   * import { testConfig } from "../config/test_config.ts";
   * const dir = await Deno.makeTempDir();
   * const tls = await TlsProvider.create(testConfig(dir));
   * console.log(tls.forListener("imaps") !== null); // true
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async create(config: Config, clock: Clock = systemClock): Promise<TlsProvider> {
    const provider = new TlsProvider(config, clock);
    const loaded = await provider.#loadAll();
    for (const [name, l] of loaded) provider.#loaded.set(name, l);
    return provider;
  }

  async #pathsFor(name: ListenerName): Promise<{ cert: string; key: string }> {
    const l = this.#config.listeners[name];
    if (l.cert && l.key) return { cert: l.cert, key: l.key };
    if (this.#config.tls.cert && this.#config.tls.key) {
      return { cert: this.#config.tls.cert, key: this.#config.tls.key };
    }
    // Issued by the ACME manager (core/acme); the self-signed one serves until the first issue.
    if (this.#config.acme.enabled) {
      const acme = acmePaths(this.#config.data_dir);
      try {
        await Deno.stat(acme.cert);
        await Deno.stat(acme.key);
        return { cert: acme.cert, key: acme.key };
      } catch {
        // not issued yet
      }
    }
    return await ensureSelfSigned(this.#config.data_dir, this.#config.hostname, this.#clock);
  }

  async #loadAll(): Promise<Map<ListenerName, Loaded>> {
    const out = new Map<ListenerName, Loaded>();
    const byPath = new Map<string, Loaded>();
    for (
      const [name, l] of Object.entries(this.#config.listeners) as [
        ListenerName,
        Config["listeners"][ListenerName],
      ][]
    ) {
      if (!l.enabled || l.tls === "none") continue;
      const paths = await this.#pathsFor(name);
      const key = `${paths.cert}\0${paths.key}`;
      let loaded = byPath.get(key);
      if (!loaded) {
        loaded = await load(paths);
        byPath.set(key, loaded);
      }
      out.set(name, loaded);
    }
    return out;
  }

  /** The certificate source of a listener, or null when the listener does not use TLS. */
  forListener(name: ListenerName): TlsSource | null {
    if (!this.#loaded.has(name)) return null;
    return {
      secureContext: () => this.#get(name).context,
      material: () => this.#get(name).material,
    };
  }

  #get(name: ListenerName): Loaded {
    const l = this.#loaded.get(name);
    if (!l) throw new TlsConfigError(`Listener "${name}" has no certificate`);
    return l;
  }

  /**
   * Re-reads every certificate and key. All or nothing: when one pair fails to load, the current
   * ones stay in use and the error is thrown. Connections already established are not affected.
   */
  async reload(): Promise<void> {
    const loaded = await this.#loadAll();
    this.#loaded.clear();
    for (const [name, l] of loaded) this.#loaded.set(name, l);
  }
}
