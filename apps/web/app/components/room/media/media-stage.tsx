import type { MediaStateView } from "@livehall/api";
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from "react";
import type { MediaConnection } from "../../../lib/media/media-connection";
import { mediaIndicator, stageFeeds, type MediaConnectionState } from "../../../lib/media/media-state";
import { RefreshIcon } from "../../icons";
import { Alert, Button, Card, Spinner, cn } from "../../ui";
import { BroadcastControls } from "./broadcast-controls";
import { ExpandIcon, SoundIcon, VideoOffIcon } from "../../icons";
import { VideoTile } from "./video-tile";

/** Development builds only: the production bundle never references the media debug panel. */
const MediaDebugPanel = import.meta.env.DEV ? lazy(() => import("./media-debug")) : null;

/**
 * The class's video, above the participant list. Students see the instructor's camera; when a
 * screen is shared, the screen large with the camera small (stacked below it on narrow screens).
 * The instructor sees the same layout with their own camera mirrored, and the broadcast controls.
 */
export function MediaStage({
  connection,
  state,
  media,
  publisher,
  instructorName,
}: {
  connection: MediaConnection | null;
  state: MediaConnectionState;
  media: MediaStateView | null;
  /** The course's instructor or an admin: may go live. */
  publisher: boolean;
  instructorName: string;
}) {
  const feeds = stageFeeds(media);
  const localCamera = state.local.camera.state !== "off" ? state.local.camera.stream : null;
  const localScreen = state.local.screen.state !== "off" ? state.local.screen.stream : null;
  const remoteCamera = feeds.camera ? (state.remote[feeds.camera.id]?.stream ?? null) : null;
  const remoteScreen = feeds.screen ? (state.remote[feeds.screen.id]?.stream ?? null) : null;
  const camera = localCamera ?? remoteCamera;
  const screen = localScreen ?? remoteScreen;
  const indicator = mediaIndicator(state, media);

  const cameraVideo = useRef<HTMLVideoElement>(null);
  const [needsSound, setNeedsSound] = useState(false);
  const onNeedsSound = useCallback(() => setNeedsSound(true), []);
  const turnOnSound = () => {
    const video = cameraVideo.current;
    if (video) {
      video.muted = false;
      void video.play().catch(() => undefined);
    }
    setNeedsSound(false);
  };
  useEffect(() => {
    if (!remoteCamera) setNeedsSound(false);
  }, [remoteCamera]);

  const stageRef = useRef<HTMLDivElement>(null);
  const fullScreen = useFullScreen(stageRef);

  const cameraTile = camera ? (
    <VideoTile
      stream={camera}
      label={localCamera ? "Your camera (mirrored for you)" : `${instructorName}'s camera`}
      mirrored={camera === localCamera}
      local={camera === localCamera}
      onNeedsSound={onNeedsSound}
      videoRef={cameraVideo}
      testId="stage-camera"
      className={cn(
        "aspect-video w-full rounded-xl",
        screen && "mt-3 sm:absolute sm:right-3 sm:bottom-3 sm:mt-0 sm:w-1/4 sm:shadow-lg sm:ring-2 sm:ring-white/80",
      )}
    >
      {needsSound && camera === remoteCamera ? (
        <div className="absolute inset-0 flex items-center justify-center bg-slate-950/50">
          <Button onClick={turnOnSound} data-testid="turn-on-sound" autoFocus={false}>
            <SoundIcon className="size-5" />
            Click to turn on sound
          </Button>
        </div>
      ) : null}
    </VideoTile>
  ) : null;

  return (
    <Card as="section" aria-labelledby="stage-title" className="overflow-hidden p-0" data-testid="media-stage">
      <div className="flex flex-wrap items-center justify-between gap-3 px-5 pt-4 sm:px-6 sm:pt-5">
        <h2 id="stage-title" className="text-lg font-semibold text-slate-900">
          {publisher ? "Your broadcast" : "Class video"}
        </h2>
        {screen ? (
          <Button variant="secondary" size="sm" onClick={fullScreen.toggle} data-testid="full-screen">
            <ExpandIcon className="size-4" />
            {fullScreen.active ? "Exit full screen" : "Full screen"}
          </Button>
        ) : null}
      </div>
      <div className="p-3 sm:p-4">
        <div
          ref={stageRef}
          className={cn("relative", fullScreen.active && "flex items-center justify-center bg-slate-950")}
          data-layout={screen ? "screen" : camera ? "camera" : "placeholder"}
          data-testid="stage-layout"
        >
          {screen ? (
            <VideoTile
              stream={screen}
              label={localScreen ? "Your shared screen" : `${instructorName}'s shared screen`}
              local
              testId="stage-screen"
              className={cn("aspect-video w-full rounded-xl", fullScreen.active && "size-full rounded-none")}
            />
          ) : null}
          {cameraTile}
          {!screen && !camera ? (
            <Placeholder publisher={publisher} state={state} indicatorHint={indicator.hint} />
          ) : null}
        </div>
      </div>
      {publisher && connection ? <BroadcastControls connection={connection} state={state} /> : null}
      {state.deviceProblem ? (
        <div className="px-5 pb-5 sm:px-6">
          <Alert tone="error" title="Camera, microphone or screen" className="p-4">
            <p data-testid="device-problem">{state.deviceProblem.message}</p>
          </Alert>
        </div>
      ) : null}
      {indicator.hint && (screen || camera) ? (
        <p className="px-5 pb-5 text-sm text-slate-700 sm:px-6" data-testid="media-hint">
          {indicator.hint}
        </p>
      ) : null}
      {connection && (indicator.kind === "reconnecting" || indicator.kind === "cannot-connect") ? (
        <div className="px-5 pb-5 sm:px-6">
          <Button
            variant="secondary"
            size="sm"
            onClick={() => connection.retryNow()}
            disabled={state.retryAt === null}
            data-testid="media-retry"
          >
            <RefreshIcon className="size-4" />
            Try the video again now
          </Button>
        </div>
      ) : null}
      {MediaDebugPanel && connection ? (
        <Suspense fallback={null}>
          <MediaDebugPanel connection={connection} state={state} />
        </Suspense>
      ) : null}
    </Card>
  );
}

function Placeholder({
  publisher,
  state,
  indicatorHint,
}: {
  publisher: boolean;
  state: MediaConnectionState;
  indicatorHint: string | null;
}) {
  const connecting = state.status === "connecting" || (state.status === "reconnecting" && indicatorHint === null);
  let title: string;
  let detail: string;
  if (publisher) {
    title = "You're not live yet";
    detail = "Press Go live to send your camera and microphone to the students. You can share your screen too.";
  } else {
    title = "The instructor hasn't started the video yet";
    detail = "You'll see and hear them here as soon as they go live.";
  }
  return (
    <div
      className="flex aspect-video w-full flex-col items-center justify-center gap-3 rounded-xl bg-slate-900 px-6 text-center text-slate-100"
      data-testid="stage-placeholder"
    >
      {connecting ? <Spinner className="size-6 text-slate-200" /> : <VideoOffIcon className="size-8 text-slate-300" />}
      <p className="text-base font-semibold sm:text-lg">{title}</p>
      <p className="max-w-md text-sm text-slate-300">{indicatorHint ?? detail}</p>
    </div>
  );
}

function useFullScreen(ref: React.RefObject<HTMLElement>) {
  const [active, setActive] = useState(false);
  useEffect(() => {
    const onChange = () => setActive(document.fullscreenElement !== null && document.fullscreenElement === ref.current);
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, [ref]);
  const toggle = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void ref.current?.requestFullscreen?.().catch(() => undefined);
  };
  return { active, toggle };
}
