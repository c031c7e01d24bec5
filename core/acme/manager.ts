/**
 * Certificates from an ACME CA (RFC 8555) with the maintained `acme-client` package: an account key
 * and the certificate kept in `<data_dir>/acme/`, issued when missing, when the wanted names
 * change, or when it expires within `renew_before_days`; checked at start and every
 * `check_interval`. HTTP-01 challenges (RFC 8555 §8.3) are answered on port 80 (http_responder.ts)
 * and by the http listener; after an issue `onIssued` reloads every TLS listener (the SIGHUP path),
 * so no connection is dropped.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import https from "node:https";
import type { Config } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { AcmeChallenges } from "./challenges.ts";
import { loadAcmeClient } from "./load_client.ts";

/** Where the ACME files live under a data directory. */
export function acmePaths(dataDir: string): { dir: string; account: string; cert: string; key: string } {
  const dir = `${dataDir.replace(/\/+$/, "")}/acme`;
  return { dir, account: `${dir}/account.key`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

/** What a check did. */
export type AcmeOutcome =
  | { action: "issued"; reason: string; names: string[]; notAfter: Date }
  | { action: "current"; notAfter: Date };

/** Everything the manager needs from the server. */
export interface AcmeManagerOptions {
  config: Config;
  clock: Clock;
  log: Logger;
  challenges: AcmeChallenges;
  /** The local domains (for the default names). */
  localDomains(): Promise<string[]>;
  /** Called after a new certificate is on disk: reload the TLS listeners. */
  onIssued(): Promise<void>;
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true, mode });
  try {
    await f.write(new TextEncoder().encode(data));
    await f.sync();
  } finally {
    f.close();
  }
  await Deno.rename(tmp, path);
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** DNS names of a certificate's subjectAltName. */
export function certificateNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "").split(",").map((s) => s.trim()).filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4).toLowerCase());
}

/** Keeps the ACME certificate current. */
export class AcmeManager {
  readonly #o: AcmeManagerOptions;
  #running: Promise<AcmeOutcome> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  /** @param options configuration, clock, log, the shared challenges and the reload hook */
  constructor(options: AcmeManagerOptions) {
    this.#o = options;
  }

  /** The names the certificate must cover: `[acme] names`, else the hostname and mta-sts./autoconfig. names. */
  async names(): Promise<string[]> {
    const c = this.#o.config;
    if (c.acme.names.length > 0) return [...new Set(c.acme.names.map((n) => n.toLowerCase()))];
    const out = [c.hostname.toLowerCase()];
    for (const d of await this.#o.localDomains()) {
      if (d === "localhost" || !d.includes(".")) continue;
      out.push(`mta-sts.${d}`, `autoconfig.${d}`);
    }
    return [...new Set(out)];
  }

  /** Why a new certificate is needed now, or null when the current one will do. */
  async #why(names: string[], now: Date): Promise<{ reason: string | null; notAfter?: Date }> {
    const pem = await readOrNull(acmePaths(this.#o.config.data_dir).cert);
    if (!pem) return { reason: "no certificate yet" };
    const cert = new X509Certificate(pem);
    const have = certificateNames(cert);
    const missing = names.filter((n) => !have.includes(n));
    if (missing.length > 0) return { reason: `names not covered: ${missing.join(", ")}` };
    const notAfter = new Date(cert.validTo);
    const renewAt = notAfter.getTime() - this.#o.config.acme.renew_before_days * 86_400_000;
    if (now.getTime() >= renewAt) return { reason: `expires ${notAfter.toISOString()}`, notAfter };
    return { reason: null, notAfter };
  }

  /** Checks the certificate and issues a new one when needed. One check at a time; callers share it. */
  ensure(): Promise<AcmeOutcome> {
    this.#running ??= this.#ensure().finally(() => this.#running = null);
    return this.#running;
  }

  async #ensure(): Promise<AcmeOutcome> {
    const names = await this.names();
    const { reason, notAfter } = await this.#why(names, this.#o.clock.now());
    if (!reason) return { action: "current", notAfter: notAfter! };
    this.#o.log.info("requesting an ACME certificate", { names: names.join(","), reason });
    const issued = await this.#issue(names);
    this.#o.log.info("ACME certificate issued", { names: names.join(","), not_after: issued.toISOString() });
    await this.#o.onIssued();
    return { action: "issued", reason, names, notAfter: issued };
  }

  async #issue(names: string[]): Promise<Date> {
    const c = this.#o.config;
    const paths = acmePaths(c.data_dir);
    await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
    // Loaded on first use, with a scoped process.env (load_client.ts).
    const acme = await loadAcmeClient();
    if (c.acme.ca_file) {
      // A private CA for the directory's HTTPS (Pebble in tests); acme-client sends through axios.
      acme.axios.defaults.httpsAgent = new https.Agent({ ca: await Deno.readTextFile(c.acme.ca_file) });
    }
    let accountKey = await readOrNull(paths.account);
    if (!accountKey) {
      accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
      await writeAtomic(paths.account, accountKey, 0o600);
    }
    const client = new acme.Client({ directoryUrl: c.acme.directory_url, accountKey });
    const [key, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: names });
    const ch = this.#o.challenges;
    const cert = await client.auto({
      csr,
      email: c.acme.email,
      termsOfServiceAgreed: true,
      challengePriority: ["http-01"],
      // The CA checks from outside; a self-check would need this host's public DNS name to resolve here.
      skipChallengeVerification: true,
      challengeCreateFn: (_authz, challenge, keyAuthorization) => {
        if (challenge.type === "http-01") ch.addHttp(challenge.token, keyAuthorization);
        return Promise.resolve();
      },
      challengeRemoveFn: (_authz, challenge) => {
        if (challenge.type === "http-01") ch.removeHttp(challenge.token);
        return Promise.resolve();
      },
    });
    // The key first: the pair on disk mismatches only between the two renames, and a reload then
    // fails and keeps the current certificate (core/tls/provider.ts checks the pair).
    await writeAtomic(paths.key, key.toString(), 0o600);
    await writeAtomic(paths.cert, cert, 0o644);
    return new Date(new X509Certificate(cert).validTo);
  }

  /** Checks now and then every `check_interval` seconds; failures are logged and retried next time. */
  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      let failed = false;
      this.ensure().catch((e) => {
        failed = true;
        this.#o.log.error("ACME certificate check failed", { error: (e as Error).message ?? String(e) });
      }).finally(() => {
        // After a failure (DNS not published yet, CA unreachable) try again within the hour.
        const every = this.#o.config.acme.check_interval;
        if (!this.#stopped) this.#timer = setTimeout(tick, (failed ? Math.min(every, 3600) : every) * 1000);
      });
    };
    tick();
  }

  /** Stops the periodic checks (an issue in progress finishes). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
