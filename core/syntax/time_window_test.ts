import assert from "node:assert/strict";
import { checkTimeWindow, TimeWindows } from "./time_window.ts";

const at = (hhmm: string) => new Date(`2026-01-01T${hhmm}:00Z`);

Deno.test("TimeWindows opens inside a window and closes outside it", () => {
  const w = new TimeWindows(["08:00-18:00"]);
  assert.equal(w.isOpen(at("08:00")), true);
  assert.equal(w.isOpen(at("17:59")), true);
  assert.equal(w.isOpen(at("18:00")), false);
  assert.equal(w.isOpen(at("07:59")), false);
});

Deno.test("TimeWindows wraps past midnight and is always open when empty", () => {
  const w = new TimeWindows(["22:00-06:00"]);
  assert.equal(w.isOpen(at("23:30")), true);
  assert.equal(w.isOpen(at("05:59")), true);
  assert.equal(w.isOpen(at("12:00")), false);
  assert.equal(new TimeWindows([]).isOpen(at("03:00")), true);
  assert.equal(new TimeWindows(["00:00-24:00"]).isOpen(at("23:59")), true);
});

Deno.test("checkTimeWindow rejects malformed windows", () => {
  assert.equal(checkTimeWindow("08:00-18:00"), null);
  assert.notEqual(checkTimeWindow("8-18"), null);
  assert.notEqual(checkTimeWindow("08:00-08:00"), null);
  assert.notEqual(checkTimeWindow("25:00-26:00"), null);
  assert.notEqual(checkTimeWindow("08:00-18:00-19:00"), null);
  assert.throws(() => new TimeWindows(["nope"]), RangeError);
});
