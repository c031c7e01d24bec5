/**
 * The key that signs admin-API access tokens (HMAC-SHA256, 256 random bits), kept in
 * `<data_dir>/api/jwt-signing.key` (mode 0600). Created on first use; two processes starting at
 * once agree on the first one written.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";

/** Where the key lives under the data directory. */
export const SIGNING_KEY_PATH = "api/jwt-signing.key";

function decode(text: string): Uint8Array | null {
  const t = text.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(t)) return null;
  return new Uint8Array(Buffer.from(t, "base64url"));
}

/** Reads the signing key, creating it when absent. Throws on a damaged key file. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<Uint8Array> {
  const dir = `${dataDir.replace(/\/+$/, "")}/api`;
  const path = `${dir}/jwt-signing.key`;
  try {
    const key = decode(await Deno.readTextFile(path));
    if (!key) throw new Error(`The admin-API signing key ${path} is damaged: remove it to make a new one`);
    return key;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(32).toString("base64url");
  try {
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    try {
      await file.write(new TextEncoder().encode(fresh + "\n"));
      await file.sync();
    } finally {
      file.close();
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    // Another process wrote it first: use theirs.
    return await loadOrCreateSigningKey(dataDir);
  }
  return decode(fresh)!;
}
