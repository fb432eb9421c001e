import { useCallback, useEffect, useId, useRef, useState } from "react";
import {
  describeDeviceError,
  listDevices,
  loadDeviceChoice,
  openCameraAndMicrophone,
  saveDeviceChoice,
  stopStream,
  watchLevel,
  type DeviceChoice,
  type DeviceLists,
} from "../../../lib/media/devices";
import type { MediaProblem } from "../../../lib/media/media-state";
import { Alert, Button, Card, Label, Spinner, cn } from "../../ui";
import { MicIcon, VideoIcon } from "../../icons";
import { VideoTile } from "./video-tile";

type CheckState =
  | { phase: "idle" }
  | { phase: "starting" }
  | { phase: "on"; stream: MediaStream }
  | { phase: "problem"; problem: MediaProblem };

/**
 * The pre-join device check of whoever will go live: camera preview (mirrored), camera and microphone
 * pickers, a microphone level meter, and — when the browser blocks the devices or there are none — what
 * to do about it, and that joining works anyway. The choice is remembered in this browser and used by
 * "Go live". The preview is released when the check goes away (Join) or the page is hidden.
 */
export function DeviceCheck() {
  const [check, setCheck] = useState<CheckState>({ phase: "idle" });
  const [choice, setChoice] = useState<DeviceChoice>({});
  const [devices, setDevices] = useState<DeviceLists>({ cameras: [], microphones: [] });
  const [level, setLevel] = useState(0);
  const streamRef = useRef<MediaStream | null>(null);
  /** Unmounted (Join pressed) or hidden: a camera that opens late is closed at once. */
  const alive = useRef(true);
  const cameraId = useId();
  const microphoneId = useId();

  const release = useCallback(() => {
    stopStream(streamRef.current);
    streamRef.current = null;
  }, []);

  const start = useCallback(
    async (next: DeviceChoice) => {
      release();
      setCheck({ phase: "starting" });
      try {
        const stream = await openCameraAndMicrophone(next);
        if (!alive.current) return stopStream(stream);
        release();
        streamRef.current = stream;
        setCheck({ phase: "on", stream });
        setDevices(await listDevices());
      } catch (error) {
        setCheck({ phase: "problem", problem: describeDeviceError(error) });
        setDevices(await listDevices().catch(() => ({ cameras: [], microphones: [] })));
      }
    },
    [release],
  );

  useEffect(() => {
    alive.current = true;
    const remembered = loadDeviceChoice();
    setChoice(remembered);
    // Permission given before: show the preview at once; otherwise wait for the button.
    void navigator.permissions
      ?.query({ name: "camera" as PermissionName })
      .then((status) => {
        if (status.state === "granted") void start(remembered);
      })
      .catch(() => undefined);
    window.addEventListener("pagehide", release);
    return () => {
      alive.current = false;
      window.removeEventListener("pagehide", release);
      release();
    };
  }, [start, release]);

  const stream = check.phase === "on" ? check.stream : null;
  useEffect(() => {
    if (!stream) return;
    const stop = watchLevel(stream, setLevel);
    return () => {
      stop();
      setLevel(0);
    };
  }, [stream]);

  const pick = (patch: DeviceChoice) => {
    const next = { ...choice, ...patch };
    setChoice(next);
    saveDeviceChoice(next);
    void start(next);
  };

  const percent = Math.round(level * 100);
  const current = (kind: "audio" | "video") =>
    stream
      ?.getTracks()
      .find((track) => track.kind === kind)
      ?.getSettings().deviceId ?? "";

  return (
    <Card as="section" aria-labelledby="device-check-title" className="p-5 sm:p-6" data-testid="device-check">
      <h2 id="device-check-title" className="text-lg font-semibold text-slate-900">
        Check your camera and microphone
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Nothing is sent until you press Go live in the room. Your choice is remembered in this browser.
      </p>
      <div className="mt-4 grid gap-4 sm:grid-cols-2">
        <div>
          {stream ? (
            <VideoTile
              stream={stream}
              label="Your camera preview (mirrored)"
              mirrored
              local
              className="aspect-video rounded-xl"
              testId="device-preview"
            />
          ) : (
            <div className="flex aspect-video flex-col items-center justify-center gap-3 rounded-xl bg-slate-900 p-4 text-center text-sm text-slate-200">
              {check.phase === "starting" ? <Spinner className="size-5" /> : <VideoIcon className="size-7" />}
              {check.phase === "starting" ? "Starting the camera…" : "Camera preview"}
            </div>
          )}
        </div>
        <div className="space-y-4">
          {check.phase === "idle" ? (
            <Button variant="secondary" onClick={() => void start(choice)} data-testid="start-device-check">
              <VideoIcon className="size-4" />
              Check camera and microphone
            </Button>
          ) : null}
          {check.phase === "problem" ? (
            <Alert tone="error" title="Camera or microphone not available" className="p-4">
              <p data-testid="device-check-problem">{check.problem.message}</p>
              <p className="mt-1">You can still join the class now and go live later.</p>
              <Button variant="secondary" size="sm" onClick={() => void start(choice)} className="mt-3">
                Try again
              </Button>
            </Alert>
          ) : null}
          <div>
            <Label htmlFor={cameraId}>Camera</Label>
            <select
              id={cameraId}
              className={SELECT}
              value={current("video") || choice.videoInput || ""}
              onChange={(event) => pick({ videoInput: event.target.value })}
              disabled={devices.cameras.length === 0}
              data-testid="camera-picker"
            >
              {devices.cameras.length === 0 ? <option value="">No camera found yet</option> : null}
              {devices.cameras.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `Camera ${index + 1}`}
                </option>
              ))}
            </select>
          </div>
          <div>
            <Label htmlFor={microphoneId}>Microphone</Label>
            <select
              id={microphoneId}
              className={SELECT}
              value={current("audio") || choice.audioInput || ""}
              onChange={(event) => pick({ audioInput: event.target.value })}
              disabled={devices.microphones.length === 0}
              data-testid="microphone-picker"
            >
              {devices.microphones.length === 0 ? <option value="">No microphone found yet</option> : null}
              {devices.microphones.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `Microphone ${index + 1}`}
                </option>
              ))}
            </select>
          </div>
          <div>
            <p className="flex items-center gap-2 text-sm font-medium text-slate-700" id={`${microphoneId}-level`}>
              <MicIcon className="size-4" />
              Microphone level
            </p>
            <div
              role="meter"
              aria-labelledby={`${microphoneId}-level`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              className="mt-2 h-2.5 w-full overflow-hidden rounded-full bg-slate-200"
              data-testid="microphone-level"
            >
              <div
                className={cn("h-full rounded-full bg-success-600 transition-[width] duration-75")}
                style={{ width: `${percent}%` }}
              />
            </div>
            <p className="mt-1 text-xs text-slate-600">Speak: the bar should move.</p>
          </div>
        </div>
      </div>
    </Card>
  );
}

const SELECT =
  "mt-1.5 block min-h-11 w-full rounded-control border border-slate-300 bg-white px-3 text-sm text-slate-900 shadow-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-500/30 focus:outline-none disabled:bg-slate-100 disabled:text-slate-600";
