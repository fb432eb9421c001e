import { forwardRef, useId, useRef, type ReactNode } from "react";
import { Button, type ButtonVariant } from "./button";
import { cn } from "./cn";

/**
 * A button that asks first: it opens a modal dialog (the native <dialog>: focus moves into it, the page
 * behind is inert, Escape closes it and focus returns to the button) with the consequence spelled out
 * and a confirm button that runs `onConfirm`.
 */
export function ConfirmButton({
  children,
  title,
  description,
  confirmLabel,
  cancelLabel = "Cancel",
  variant = "secondary",
  confirmVariant = "primary",
  pending = false,
  onConfirm,
  className,
  "aria-label": ariaLabel,
}: {
  children: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  variant?: ButtonVariant;
  confirmVariant?: ButtonVariant;
  pending?: boolean;
  onConfirm: () => void;
  className?: string;
  "aria-label"?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <Button
        variant={variant}
        size="sm"
        pending={pending}
        className={className}
        aria-label={ariaLabel}
        aria-haspopup="dialog"
        onClick={() => dialog.current?.showModal()}
      >
        {children}
      </Button>
      <ConfirmDialog
        ref={dialog}
        title={title}
        description={description}
        confirmLabel={confirmLabel}
        cancelLabel={cancelLabel}
        confirmVariant={confirmVariant}
        onConfirm={onConfirm}
      />
    </>
  );
}

export interface ConfirmDialogProps {
  title: string;
  description: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  confirmVariant?: ButtonVariant;
  onConfirm: () => void;
}

/**
 * The question itself, for a caller that opens it (`ref.current.showModal()`) when it needs to ask:
 * ConfirmButton's, or one an answer from the server asks for (an early start).
 */
export const ConfirmDialog = forwardRef<HTMLDialogElement, ConfirmDialogProps>(function ConfirmDialog(
  { title, description, confirmLabel, cancelLabel = "Cancel", confirmVariant = "primary", onConfirm },
  ref,
) {
  const id = useId();
  const close = (event: { currentTarget: HTMLElement }) => event.currentTarget.closest("dialog")?.close();
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-description`}
      className={cn(
        "m-auto w-[calc(100%-2rem)] max-w-md rounded-card border border-white/70 bg-white p-6 text-slate-900 shadow-card-hover",
        "backdrop:bg-slate-900/40 backdrop:backdrop-blur-sm",
      )}
      // A click on the backdrop (the dialog element itself, outside its content) closes it.
      onClick={(event) => {
        if (event.target === event.currentTarget) event.currentTarget.close();
      }}
    >
      <h2 id={`${id}-title`} className="text-lg font-semibold tracking-tight">
        {title}
      </h2>
      <div id={`${id}-description`} className="mt-2 text-sm text-slate-600">
        {description}
      </div>
      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" autoFocus onClick={close}>
          {cancelLabel}
        </Button>
        <Button
          variant={confirmVariant}
          onClick={(event) => {
            close(event);
            onConfirm();
          }}
        >
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
});
