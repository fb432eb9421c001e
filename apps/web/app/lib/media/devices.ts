import type { MediaProblem } from "./media-state";

/**
 * Cameras, microphones and screens: the choice remembered per browser (localStorage), opening them with
 * that choice, plain words for what went wrong, and the pieces the device check and the broadcast
 * share (the microphone level, the "camera off" picture). Browser only, except the pure helpers.
 */

export interface DeviceChoice {
  /** deviceId of the chosen microphone; absent: the browser's default. */
  audioInput?: string;
  /** deviceId of the chosen camera; absent: the browser's default. */
  videoInput?: string;
}

export const DEVICE_CHOICE_KEY = "livehall:media:devices";

type KeyValueStore = Pick<Storage, "getItem" | "setItem">;

function localStore(): KeyValueStore | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The devices chosen in this browser (nothing chosen, or unreadable: the defaults). */
export function loadDeviceChoice(store: KeyValueStore | null = localStore()): DeviceChoice {
  try {
    const parsed: unknown = JSON.parse(store?.getItem(DEVICE_CHOICE_KEY) ?? "{}");
    if (!parsed || typeof parsed !== "object") return {};
    const choice: DeviceChoice = {};
    const { audioInput, videoInput } = parsed as Record<string, unknown>;
    if (typeof audioInput === "string" && audioInput.length <= 256) choice.audioInput = audioInput;
    if (typeof videoInput === "string" && videoInput.length <= 256) choice.videoInput = videoInput;
    return choice;
  } catch {
    return {};
  }
}

export function saveDeviceChoice(choice: DeviceChoice, store: KeyValueStore | null = localStore()): void {
  try {
    store?.setItem(DEVICE_CHOICE_KEY, JSON.stringify(choice));
  } catch {
    // Storage full or blocked: the choice lasts for this page only.
  }
}

/** getUserMedia constraints for the choice: the chosen device when it still exists, else the default. */
export function constraintsFor(choice: DeviceChoice, { audio = true, video = true } = {}): MediaStreamConstraints {
  const videoConstraints: MediaTrackConstraints = {
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 30, max: 30 },
    ...(choice.videoInput ? { deviceId: { ideal: choice.videoInput } } : {}),
  };
  const audioConstraints: MediaTrackConstraints = {
    echoCancellation: true,
    noiseSuppression: true,
    ...(choice.audioInput ? { deviceId: { ideal: choice.audioInput } } : {}),
  };
  return { audio: audio ? audioConstraints : false, video: video ? videoConstraints : false };
}

export type DeviceProblemKind = "blocked" | "missing" | "busy" | "insecure" | "cancelled" | "unknown";

/** What went wrong opening a device, in words a person can act on. */
export function describeDeviceError(
  error: unknown,
  what: "devices" | "screen" = "devices",
): MediaProblem & {
  kind: DeviceProblemKind;
} {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  if (what === "screen") {
    if (name === "NotAllowedError" || name === "AbortError")
      return { kind: "cancelled", reason: name, message: "Screen sharing was cancelled or blocked by the browser." };
    return {
      kind: "unknown",
      reason: name || null,
      message: "Your screen could not be shared. Try again, or choose a single window instead of the whole screen.",
    };
  }
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return {
        kind: "blocked",
        reason: name,
        message:
          "Your browser is blocking the camera and microphone for this site. Click the camera icon in the address bar (or the site settings), allow both, then press Try again.",
      };
    case "NotFoundError":
    case "OverconstrainedError":
      return {
        kind: "missing",
        reason: name,
        message: "No camera or microphone was found. Plug one in (or switch it on), then press Try again.",
      };
    case "NotReadableError":
    case "AbortError":
      return {
        kind: "busy",
        reason: name,
        message:
          "The camera or microphone is in use by another app, or the system blocks it. Close other video apps, then press Try again.",
      };
    case "TypeError":
      return {
        kind: "insecure",
        reason: name,
        message: "Camera and microphone only work on a secure (https) address. Open Livehall through https.",
      };
    default:
      return {
        kind: "unknown",
        reason: name || null,
        message: "The camera or microphone could not be started. Press Try again, or restart the browser.",
      };
  }
}

/** Opens camera and microphone with the remembered choice. */
export async function openCameraAndMicrophone(choice: DeviceChoice = loadDeviceChoice()): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new TypeError("mediaDevices unavailable");
  return navigator.mediaDevices.getUserMedia(constraintsFor(choice));
}

/** Opens only the camera (turning it back on during a broadcast). */
export async function openCamera(choice: DeviceChoice = loadDeviceChoice()): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia(constraintsFor(choice, { audio: false }));
  return stream.getVideoTracks()[0]!;
}

export async function openScreen(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new Error("Screen sharing is not supported by this browser.");
  return navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
}

export function stopStream(stream: MediaStream | null | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
}

/** The cameras and microphones (with names once permission was given). */
export async function listDevices(): Promise<DeviceLists> {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return {
    cameras: devices.filter((device) => device.kind === "videoinput" && device.deviceId),
    microphones: devices.filter((device) => device.kind === "audioinput" && device.deviceId),
  };
}

/** Root mean square of time-domain samples (bytes centred on 128) scaled to 0–1: the level meter's value. */
export function levelOf(samples: Uint8Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) {
    const centred = (sample - 128) / 128;
    sum += centred * centred;
  }
  return Math.min(1, Math.sqrt(sum / samples.length) * 4);
}

/** Calls `onLevel` (0–1) about 15 times a second with the microphone's level; returns the stop function. */
export function watchLevel(stream: MediaStream, onLevel: (level: number) => void): () => void {
  const AudioContextClass = window.AudioContext;
  if (!AudioContextClass || stream.getAudioTracks().length === 0) return () => undefined;
  const context = new AudioContextClass();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    onLevel(levelOf(samples));
  }, 66);
  return () => {
    clearInterval(timer);
    source.disconnect();
    void context.close().catch(() => undefined);
  };
}

/**
 * What students see while the camera is off: a still "Camera off" picture, repainted once a second so
 * a student who arrives later still gets a frame. Its `stop` ends the track and the repainting.
 */
export function cameraOffTrack(): MediaStreamTrack {
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 360;
  const context = canvas.getContext("2d")!;
  let tick = 0;
  const paint = () => {
    context.fillStyle = "#0f172a";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#e2e8f0";
    context.font = "600 28px system-ui, sans-serif";
    context.textAlign = "center";
    context.fillText("Camera off", canvas.width / 2, canvas.height / 2 + 10);
    // A pixel that changes: the canvas only yields a frame when it was drawn on.
    context.fillStyle = tick++ % 2 ? "#0f172a" : "#111a2e";
    context.fillRect(0, 0, 1, 1);
  };
  paint();
  const track = canvas.captureStream(1).getVideoTracks()[0]!;
  const timer = setInterval(paint, 1000);
  const stop = track.stop.bind(track);
  track.stop = () => {
    clearInterval(timer);
    stop();
  };
  return track;
}
