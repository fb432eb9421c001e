import { describe, expect, test } from "vitest";
import {
  DEVICE_CHOICE_KEY,
  constraintsFor,
  describeDeviceError,
  levelOf,
  loadDeviceChoice,
  saveDeviceChoice,
} from "./devices";

function memoryStore(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
  };
}

describe("the device choice, remembered per browser", () => {
  test("saved and read back; junk reads as the defaults", () => {
    const store = memoryStore();
    expect(loadDeviceChoice(store)).toEqual({});
    saveDeviceChoice({ audioInput: "mic-2", videoInput: "cam-1" }, store);
    expect(loadDeviceChoice(store)).toEqual({ audioInput: "mic-2", videoInput: "cam-1" });
    expect(loadDeviceChoice(memoryStore({ [DEVICE_CHOICE_KEY]: "{not json" }))).toEqual({});
    expect(loadDeviceChoice(memoryStore({ [DEVICE_CHOICE_KEY]: '{"audioInput":5,"videoInput":"c"}' }))).toEqual({
      videoInput: "c",
    });
    expect(loadDeviceChoice(null)).toEqual({});
  });

  test("constraints prefer the chosen device without requiring it", () => {
    const constraints = constraintsFor({ videoInput: "cam-1" });
    expect(constraints.video).toMatchObject({ deviceId: { ideal: "cam-1" } });
    expect(constraints.audio).not.toHaveProperty("deviceId");
    expect(constraintsFor({}, { audio: false }).audio).toBe(false);
  });
});

describe("device problems in plain words", () => {
  const named = (name: string) => Object.assign(new Error(name), { name });
  test("blocked, missing, busy, insecure; a cancelled screen share", () => {
    expect(describeDeviceError(named("NotAllowedError"))).toMatchObject({ kind: "blocked" });
    expect(describeDeviceError(named("NotAllowedError")).message).toMatch(/address bar/);
    expect(describeDeviceError(named("NotFoundError"))).toMatchObject({ kind: "missing" });
    expect(describeDeviceError(named("NotReadableError"))).toMatchObject({ kind: "busy" });
    expect(describeDeviceError(new TypeError("mediaDevices unavailable"))).toMatchObject({ kind: "insecure" });
    expect(describeDeviceError("??")).toMatchObject({ kind: "unknown" });
    expect(describeDeviceError(named("NotAllowedError"), "screen")).toMatchObject({ kind: "cancelled" });
  });
});

describe("the microphone level", () => {
  test("silence is 0, a loud signal reaches 1", () => {
    expect(levelOf(new Uint8Array(64).fill(128))).toBe(0);
    expect(levelOf(new Uint8Array(64).map((_, index) => (index % 2 ? 255 : 0)))).toBe(1);
    const quiet = levelOf(new Uint8Array(64).map((_, index) => (index % 2 ? 136 : 120)));
    expect(quiet).toBeGreaterThan(0);
    expect(quiet).toBeLessThan(0.5);
    expect(levelOf(new Uint8Array(0))).toBe(0);
  });
});
