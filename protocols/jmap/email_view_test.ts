import assert from "node:assert/strict";
import { keywordsObject, utcDate } from "./email_view.ts";

Deno.test("utcDate: RFC 8620 UTCDate in whole seconds, the same for a remembered instant and after many", () => {
  const cases: [number, string][] = [
    [Date.UTC(2020, 0, 1, 12, 30, 45, 999), "2020-01-01T12:30:45Z"],
    [Date.UTC(2020, 0, 1, 12, 30, 45, 0), "2020-01-01T12:30:45Z"],
    [Date.UTC(2020, 0, 1, 12, 31, 45, 0), "2020-01-01T12:31:45Z"],
    [Date.UTC(1999, 11, 31, 23, 59, 59, 1), "1999-12-31T23:59:59Z"],
    [0, "1970-01-01T00:00:00Z"],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [t, want] of cases) assert.equal(utcDate(new Date(t)), want);
  }
  // Past the number remembered: still right.
  for (let i = 0; i < 25_000; i++) utcDate(new Date(Date.UTC(2021, 0, 1) + i * 1000));
  for (const [t, want] of cases) assert.equal(utcDate(new Date(t)), want);
  assert.equal(utcDate(new Date(Date.UTC(2021, 0, 1) + 24_999_000)), "2021-01-01T06:56:39Z");
  assert.throws(() => utcDate(new Date(NaN)), RangeError);
});

Deno.test("keywordsObject: every keyword an own true property, __proto__ included", () => {
  const o = keywordsObject(["$seen", "__proto__", "x"]);
  assert.deepEqual(Object.keys(o), ["$seen", "__proto__", "x"]);
  assert.equal(JSON.stringify(o), '{"$seen":true,"__proto__":true,"x":true}');
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(keywordsObject([]), {});
});
