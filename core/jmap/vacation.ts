/**
 * The VacationResponse singleton of each account (RFC 8621 §8), kept by the store
 * (`Store.vacations`); replies are composed in vacation_reply.ts.
 *
 * @module
 */
export type { VacationResponse, VacationStore } from "../store/records/vacations.ts";
