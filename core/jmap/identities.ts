/**
 * JMAP Identity objects (RFC 8621 §6), kept by the store (`Store.identities`).
 *
 * @module
 */
export {
  defaultIdentityId,
  type Identity,
  type IdentityInput,
  type IdentityStore,
} from "../store/records/identities.ts";
