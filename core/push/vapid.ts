/**
 * The server's VAPID key pair (RFC 8292): a P-256 key generated on first use and kept in
 * `<data_dir>/push/vapid.json` (mode 0600), so push services see the same application server
 * identity across restarts.
 *
 * @module
 */
import webpush from "web-push";

/** A VAPID key pair (base64url, as RFC 8292 §3.2 puts the public key in `k=`) and its subject. */
export interface VapidKeys {
  /** Uncompressed P-256 public key, base64url. */
  publicKey: string;
  /** Raw P-256 private scalar, base64url. */
  privateKey: string;
  /** The `sub` claim: a mailto: or https: contact URI (RFC 8292 §2.1). */
  subject: string;
}

function isKeys(v: unknown): v is { publicKey: string; privateKey: string } {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.publicKey === "string" && typeof o.privateKey === "string";
}

/**
 * Loads the key pair from `<dataDir>/push/vapid.json`, creating it (written to a temporary file,
 * fsynced, then renamed) when it does not exist.
 */
export async function loadOrCreateVapidKeys(dataDir: string, subject: string): Promise<VapidKeys> {
  const dir = `${dataDir.replace(/\/+$/, "")}/push`;
  const path = `${dir}/vapid.json`;
  try {
    const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
    if (isKeys(parsed)) return { publicKey: parsed.publicKey, privateKey: parsed.privateKey, subject };
    throw new Error(`${path} is not a VAPID key file`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = webpush.generateVAPIDKeys();
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    await file.write(new TextEncoder().encode(JSON.stringify(keys)));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
  return { ...keys, subject };
}
