import type { MediaConnection } from "../../../lib/media/media-connection";
import type { MediaConnectionState } from "../../../lib/media/media-state";
import { BroadcastIcon } from "../../icons";
import { Button, Spinner } from "../../ui";
import { MicIcon, MicOffIcon, ScreenIcon, StopIcon, VideoIcon, VideoOffIcon } from "../../icons";

/** The instructor's controls: Go live, microphone, camera, screen, Stop broadcast. */
export function BroadcastControls({ connection, state }: { connection: MediaConnection; state: MediaConnectionState }) {
  const camera = state.local.camera.state;
  const screen = state.local.screen.state;
  const broadcasting = camera !== "off" || screen !== "off";
  return (
    <div
      className="flex flex-wrap items-center gap-2 border-t border-slate-900/5 px-5 py-4 sm:px-6"
      role="group"
      aria-label="Broadcast controls"
      data-testid="broadcast-controls"
      data-camera={camera}
      data-screen={screen}
    >
      {camera === "off" ? (
        <Button variant="live" onClick={() => void connection.goLive()} data-testid="go-live">
          <BroadcastIcon className="size-4" />
          Go live
        </Button>
      ) : (
        <>
          {camera === "starting" ? (
            <span className="inline-flex min-h-11 items-center gap-2 px-2 text-sm font-semibold text-slate-700">
              <Spinner className="size-4" />
              Going live…
            </span>
          ) : (
            <span
              className="inline-flex min-h-11 items-center gap-2 rounded-control bg-live-600 px-3 text-sm font-bold text-white"
              data-testid="on-air"
            >
              <span className="size-2 rounded-full bg-white" aria-hidden="true" />
              You're live
            </span>
          )}
          <Button
            variant="secondary"
            onClick={() => connection.setMicrophone(!state.microphoneOn)}
            data-testid="toggle-microphone"
          >
            {state.microphoneOn ? <MicIcon className="size-4" /> : <MicOffIcon className="size-4 text-live-600" />}
            {state.microphoneOn ? "Mute" : "Unmute"}
          </Button>
          <Button
            variant="secondary"
            onClick={() => void connection.setCamera(!state.cameraOn)}
            data-testid="toggle-camera"
          >
            {state.cameraOn ? <VideoIcon className="size-4" /> : <VideoOffIcon className="size-4 text-live-600" />}
            {state.cameraOn ? "Camera off" : "Camera on"}
          </Button>
        </>
      )}
      {screen === "off" ? (
        <Button variant="secondary" onClick={() => void connection.shareScreen()} data-testid="share-screen">
          <ScreenIcon className="size-4" />
          Share screen
        </Button>
      ) : (
        <Button
          variant="secondary"
          onClick={() => connection.stopScreen()}
          disabled={screen === "starting" && !state.local.screen.stream}
          data-testid="stop-screen"
        >
          <ScreenIcon className="size-4" />
          Stop sharing
        </Button>
      )}
      {broadcasting ? (
        <Button variant="ghost" onClick={() => connection.stopBroadcast()} data-testid="stop-broadcast">
          <StopIcon className="size-4" />
          Stop broadcast
        </Button>
      ) : null}
    </div>
  );
}
