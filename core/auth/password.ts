/**
 * Password hashing with scrypt (RFC 7914) from `node:crypto`. The stored string carries its own
 * parameters, `scrypt$N$r$p$saltB64$hashB64`, so the cost can be raised later without invalidating
 * existing hashes.
 *
 * @module
 */
import { randomBytes, scrypt } from "node:crypto";
import { Buffer } from "node:buffer";
import { constantTimeEqual } from "./constant_time.ts";
import { preparePassword } from "./saslprep.ts";

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelization. */
  p: number;
}

/** Default cost: N=2^14, r=8, p=1 (16 MiB, tens of ms), the scrypt paper's interactive-login setting. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 16384, r: 8, p: 1 });

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const PREFIX = "scrypt";
// Bounds on parameters read back from storage, so a corrupt or hostile row cannot make one
// verification allocate gigabytes or run for minutes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;

/** A parsed `scrypt$N$r$p$salt$hash` string. */
export interface ParsedPasswordHash {
  params: ScryptParams;
  salt: Uint8Array;
  hash: Uint8Array;
}

function validParams(params: ScryptParams): boolean {
  const { N, r, p } = params;
  return Number.isInteger(N) && N >= 2 && N <= MAX_N && (N & (N - 1)) === 0 &&
    Number.isInteger(r) && r >= 1 && r <= MAX_R && Number.isInteger(p) && p >= 1 && p <= MAX_P &&
    128 * N * r * p <= MAX_MEMORY;
}

function derive(
  password: string,
  salt: Uint8Array,
  params: ScryptParams,
  length: number,
): Promise<Uint8Array> {
  const input = new TextEncoder().encode(preparePassword(password));
  // node's default maxmem (32 MiB) is below what some valid parameters need (128 * N * r * p).
  const maxmem = 128 * params.N * params.r * params.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(input, salt, length, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

/**
 * Hashes a password with a fresh random salt. The password is SASLprep'ed first (RFC 4013) so that
 * PLAIN, LOGIN and SCRAM see the same password.
 *
 * @example
 * ```ts
 * const stored = await hashPassword("correct horse");
 * await verifyPasswordHash("correct horse", stored); // true
 * ```
 */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  if (!validParams(params)) throw new RangeError(`Invalid scrypt parameters: ${JSON.stringify(params)}`);
  const salt = new Uint8Array(randomBytes(SALT_BYTES));
  const hash = await derive(password, salt, params, HASH_BYTES);
  return formatPasswordHash({ params, salt, hash });
}

/** Formats a parsed hash back to its stored form. */
export function formatPasswordHash(parsed: ParsedPasswordHash): string {
  const { params, salt, hash } = parsed;
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return `${PREFIX}$${params.N}$${params.r}$${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Parses a stored `scrypt$N$r$p$saltB64$hashB64` string; null when malformed or out of bounds. */
export function parsePasswordHash(stored: string): ParsedPasswordHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== PREFIX) return null;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const number = (s: string) => /^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : Number.NaN;
  const params = { N: number(n), r: number(r), p: number(p) };
  if (!validParams(params)) return null;
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!base64.test(saltB64) || !base64.test(hashB64)) return null;
  const salt = new Uint8Array(Buffer.from(saltB64, "base64"));
  const hash = new Uint8Array(Buffer.from(hashB64, "base64"));
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { params, salt, hash };
}

let dummy: Promise<ParsedPasswordHash> | null = null;

/** A hash of a random password at the default cost, made once, verified against for unknown users. */
function dummyHash(): Promise<ParsedPasswordHash> {
  dummy ??= (async () => {
    const salt = new Uint8Array(randomBytes(SALT_BYTES));
    const secret = Buffer.from(randomBytes(24)).toString("base64");
    return {
      params: { ...DEFAULT_SCRYPT_PARAMS },
      salt,
      hash: await derive(secret, salt, DEFAULT_SCRYPT_PARAMS, 32),
    };
  })();
  return dummy;
}

/**
 * Verifies a password against a stored hash, comparing in constant time. With `stored` undefined
 * (unknown user, no secrets) or malformed, a dummy hash at the default cost is verified instead and
 * the answer is false, so the time taken does not reveal whether the account exists.
 */
export async function verifyPasswordHash(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? null : parsePasswordHash(stored);
  const target = parsed ?? await dummyHash();
  const computed = await derive(password, target.salt, target.params, target.hash.length);
  return constantTimeEqual(computed, target.hash) && parsed !== null;
}
