/**
 * One POP3 session per maildrop at a time (RFC 1939 §8: the server acquires an exclusive lock;
 * RFC 2449 §8.1.1 IN-USE). The lock lives in this process, which is the only one serving POP3 for a
 * data directory.
 *
 * @module
 */

const held = new Map<string, string>();

/** Takes the lock of an account's maildrop for a session; false if another session holds it. */
export function acquireMaildrop(accountId: string, sessionId: string): boolean {
  const owner = held.get(accountId);
  if (owner !== undefined && owner !== sessionId) return false;
  held.set(accountId, sessionId);
  return true;
}

/** Releases the lock if this session holds it. */
export function releaseMaildrop(accountId: string, sessionId: string): void {
  if (held.get(accountId) === sessionId) held.delete(accountId);
}
