import { useEffect, useRef, useState, type ReactNode, type RefObject } from "react";
import { cn } from "../../ui";

/**
 * One video on the stage. A remote video first tries to play with sound; where the browser's
 * autoplay policy wants a click first it plays muted and says so (`onNeedsSound`): the click
 * handler then unmutes `videoRef`'s element itself (inside the gesture).
 */
export function VideoTile({
  stream,
  label,
  mirrored = false,
  local = false,
  onNeedsSound,
  videoRef,
  className,
  testId,
  children,
}: {
  stream: MediaStream | null;
  /** What the video shows, for screen readers ("Instructor's camera"). */
  label: string;
  /** The instructor's own camera preview, mirrored like a mirror. */
  mirrored?: boolean;
  /** Never plays sound (the instructor's own microphone, a screen). */
  local?: boolean;
  onNeedsSound?: () => void;
  videoRef?: RefObject<HTMLVideoElement>;
  className?: string;
  testId?: string;
  children?: ReactNode;
}) {
  const ownRef = useRef<HTMLVideoElement>(null);
  const ref = videoRef ?? ownRef;
  const [muted, setMuted] = useState(true);

  useEffect(() => {
    const video = ref.current;
    if (!video || !stream) return;
    if (video.srcObject !== stream) video.srcObject = stream;
    const wantsSound = !local;
    video.muted = !wantsSound;
    setMuted(!wantsSound);
    video.play().catch((error: unknown) => {
      if (!(error instanceof DOMException) || error.name !== "NotAllowedError") return;
      // Autoplay with sound refused: play muted and ask for a click.
      video.muted = true;
      setMuted(true);
      onNeedsSound?.();
      void video.play().catch(() => undefined);
    });
  }, [ref, stream, local, onNeedsSound]);

  useEffect(() => {
    const video = ref.current;
    return () => {
      if (video) video.srcObject = null;
    };
  }, [ref]);

  return (
    <div className={cn("relative overflow-hidden bg-slate-950", className)} data-testid={testId}>
      <video
        ref={ref}
        autoPlay
        playsInline
        muted={muted}
        aria-label={label}
        className={cn("size-full object-contain", mirrored && "-scale-x-100")}
      />
      {children}
    </div>
  );
}
