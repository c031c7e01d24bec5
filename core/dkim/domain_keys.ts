/**
 * A domain's DKIM keys as `tern setup` and the admin API manage them: one RSA and one Ed25519 key
 * per domain (RFC 8463 §3: sign with both), created when missing.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { DkimAlgorithm, DkimKey } from "../store/records/dkim_keys.ts";
import { defaultDkimSelector, generateDkimKey } from "./keys.ts";

/** The domain's DKIM keys, creating an RSA and an Ed25519 key when it has none of that algorithm. */
export async function ensureDkimKeys(
  store: Store,
  domain: string,
  base: string,
  now: Date,
): Promise<{ keys: DkimKey[]; created: DkimAlgorithm[] }> {
  const have = await store.dkimKeys.list(domain);
  const created: DkimAlgorithm[] = [];
  for (const algorithm of ["rsa-sha256", "ed25519-sha256"] as const) {
    if (have.some((k) => k.algorithm === algorithm)) continue;
    const key = generateDkimKey(algorithm);
    await store.dkimKeys.put({ ...key, domain, selector: defaultDkimSelector(base, algorithm) }, now);
    created.push(algorithm);
  }
  return { keys: await store.dkimKeys.list(domain), created };
}
