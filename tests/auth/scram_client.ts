/**
 * An independent SCRAM-SHA-256 client (RFC 5802 §3, §7) for tests, written from the RFC with
 * node:crypto primitives only and sharing no code with core/auth, so that a bug in the server's
 * derivation cannot cancel out against the same bug here.
 *
 * @module
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";

/** Options of `ScramClient`. */
export interface ScramClientOptions {
  authzid?: string;
  /** gs2 channel-binding flag (default "n"). */
  flag?: "n" | "y";
  /** Client nonce (default random). */
  nonce?: string;
}

/** One client-side SCRAM-SHA-256 exchange. */
export class ScramClient {
  readonly #password: string;
  readonly #gs2: string;
  readonly #bare: string;
  readonly #nonce: string;
  #expectedServerSignature: string | null = null;

  /** Prepares an exchange for `username` / `password`. */
  constructor(username: string, password: string, opts: ScramClientOptions = {}) {
    const saslname = (s: string) => s.replace(/=/g, "=3D").replace(/,/g, "=2C");
    this.#password = password;
    this.#nonce = opts.nonce ?? Buffer.from(randomBytes(24)).toString("base64").replace(/,/g, "");
    this.#gs2 = `${opts.flag ?? "n"},${opts.authzid === undefined ? "" : `a=${saslname(opts.authzid)}`},`;
    this.#bare = `n=${saslname(username)},r=${this.#nonce}`;
  }

  /** client-first-message. */
  first(): string {
    return this.#gs2 + this.#bare;
  }

  /** client-final-message for a server-first-message; throws when the server's nonce is not ours + more. */
  final(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
    const nonce = attrs.get("r") ?? "";
    if (!nonce.startsWith(this.#nonce) || nonce.length <= this.#nonce.length) {
      throw new Error("bad server nonce");
    }
    const salt = Buffer.from(attrs.get("s") ?? "", "base64");
    const iterations = Number(attrs.get("i"));
    const salted = pbkdf2Sync(this.#password, salt, iterations, 32, "sha256");
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    const withoutProof = `c=${Buffer.from(this.#gs2).toString("base64")},r=${nonce}`;
    const authMessage = `${this.#bare},${serverFirst},${withoutProof}`;
    const clientSignature = createHmac("sha256", storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    this.#expectedServerSignature = createHmac("sha256", serverKey).update(authMessage).digest("base64");
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** True when server-final proves the server knows the ServerKey (RFC 5802 §3). */
  verifyServerFinal(serverFinal: string): boolean {
    return this.#expectedServerSignature !== null && serverFinal === `v=${this.#expectedServerSignature}`;
  }
}
