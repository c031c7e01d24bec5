/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for AUTH to a relay. Crypto from
 * `node:crypto` (PBKDF2, HMAC, SHA-256); never hand-written.
 *
 * @module
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";

/** One SCRAM exchange. */
export interface ScramClient {
  /** client-first-message. */
  first(): string;
  /** client-final-message for the server-first-message. */
  final(serverFirst: string): Promise<string>;
  /** True when the server-final-message proves the server knows the password. */
  verify(serverFinal: string): boolean;
}

function saslName(s: string): string {
  // RFC 5802 §5.1: "," and "=" are escaped in names.
  return s.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/** Starts a SCRAM-SHA-256 exchange for `username` / `password`. */
export function scramClient(username: string, password: string, nonce?: string): ScramClient {
  const cnonce = nonce ?? randomBytes(18).toString("base64");
  const bare = `n=${saslName(username)},r=${cnonce}`;
  let serverSignature: Buffer | null = null;
  return {
    first: () => `n,,${bare}`,
    async final(serverFirst: string): Promise<string> {
      const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
      const r = attrs.get("r") ?? "";
      const salt = Buffer.from(attrs.get("s") ?? "", "base64");
      const i = Number(attrs.get("i"));
      if (!r.startsWith(cnonce) || !Number.isInteger(i) || i < 1 || i > 1_000_000) {
        throw new Error("Invalid SCRAM server-first-message");
      }
      const salted = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(password.normalize("NFKC"), salt, i, 32, "sha256", (e, k) => (e ? reject(e) : resolve(k)))
      );
      const clientKey = createHmac("sha256", salted).update("Client Key").digest();
      const storedKey = createHash("sha256").update(clientKey).digest();
      const withoutProof = `c=biws,r=${r}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const clientSig = createHmac("sha256", storedKey).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, k) => b ^ clientSig[k]!));
      const serverKey = createHmac("sha256", salted).update("Server Key").digest();
      serverSignature = createHmac("sha256", serverKey).update(authMessage).digest();
      return `${withoutProof},p=${proof.toString("base64")}`;
    },
    verify(serverFinal: string): boolean {
      const m = /(?:^|,)v=([^,]*)/.exec(serverFinal);
      if (!m || !serverSignature) return false;
      const got = Buffer.from(m[1]!, "base64");
      return got.length === serverSignature.length && timingSafeEqual(got, serverSignature);
    },
  };
}
