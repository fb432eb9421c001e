import { RATING_COMMENT_MAX_LENGTH } from "@livehall/api/limits";
import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";
import { Alert, Button, Card, FieldError, Label, cn, inputClasses } from "../ui";
import { CheckCircleIcon } from "../icons";

export interface SavedRating {
  stars: number;
  comment: string | null;
  updatedAt: Date | string;
}

export type RateAnswer = { ok: true; rating: SavedRating } | { ok: false; error: string; field?: "stars" | "comment" };

const STAR = "M10 1.5l2.6 5.3 5.9.86-4.25 4.14 1 5.85L10 14.9l-5.25 2.75 1-5.85L1.5 7.66l5.9-.86L10 1.5Z";
const WORDS = ["", "Poor", "Fair", "Good", "Very good", "Excellent"];

/**
 * The rating of an ended session: five stars as a native radio group (arrow keys move and select,
 * each star is labelled "n stars"), an optional comment, saved through the route's action (works
 * without JavaScript too). Attendees can change it any time; the API says who may rate.
 */
export function RatingForm({ sessionId, saved }: { sessionId: string; saved: SavedRating | null }) {
  const fetcher = useFetcher<RateAnswer>();
  const answer = fetcher.data;
  const pending = fetcher.state !== "idle";
  const [stars, setStars] = useState(saved?.stars ?? 0);
  const [hovered, setHovered] = useState(0);
  const errorRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const shown = hovered || stars;
  const current = answer?.ok ? answer.rating : saved;

  useEffect(() => {
    if (answer && !answer.ok) errorRef.current?.focus();
  }, [answer]);

  const starsError = answer && !answer.ok && answer.field === "stars" ? answer.error : null;
  const formError = answer && !answer.ok && answer.field !== "stars" ? answer.error : null;

  return (
    <Card
      as="section"
      aria-labelledby={`${id}-title`}
      className="scroll-mt-24 p-5 sm:p-6"
      id="rate"
      data-testid="rating"
    >
      <h2 id={`${id}-title`} className="text-lg font-semibold text-slate-900">
        {current ? "Your rating" : "Rate this session"}
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        {current
          ? "Thanks for your feedback. You can change it any time."
          : "How was it? Your rating helps the instructor and other students."}
      </p>

      {answer?.ok ? (
        <Alert tone="success" className="mt-4">
          <span className="inline-flex items-center gap-2">
            <CheckCircleIcon className="size-5" />
            Saved: {answer.rating.stars} {answer.rating.stars === 1 ? "star" : "stars"}.
          </span>
        </Alert>
      ) : null}
      {formError ? (
        <Alert ref={errorRef} tone="error" className="mt-4">
          {formError}
        </Alert>
      ) : null}

      <fetcher.Form
        method="post"
        action={`/sessions/${sessionId}`}
        className="mt-5 space-y-5"
        aria-label="Rate this session"
      >
        <input type="hidden" name="intent" value="rate" />
        <fieldset aria-describedby={starsError ? `${id}-stars-error` : undefined}>
          <legend className="text-sm font-medium text-slate-800">Stars</legend>
          <div className="mt-2 flex flex-wrap items-center gap-3">
            <div className="flex gap-1" onMouseLeave={() => setHovered(0)}>
              {[1, 2, 3, 4, 5].map((value) => (
                <label
                  key={value}
                  className={cn(
                    "relative flex size-11 items-center justify-center rounded-control transition",
                    "has-[:focus-visible]:outline-3 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-brand-600 has-[:focus-visible]:outline-solid",
                    value <= shown ? "text-amber-500" : "text-slate-300 hover:text-amber-300",
                  )}
                  onMouseEnter={() => setHovered(value)}
                >
                  {/* The native radio covers the star (transparent), so a click or tap on the star is on it. */}
                  <input
                    type="radio"
                    name="stars"
                    value={value}
                    defaultChecked={saved?.stars === value}
                    onChange={() => setStars(value)}
                    aria-invalid={starsError ? true : undefined}
                    className="absolute inset-0 size-full cursor-pointer appearance-none rounded-control opacity-0 focus-visible:outline-none"
                  />
                  <svg
                    viewBox="0 0 20 20"
                    className="pointer-events-none size-8 drop-shadow-sm"
                    fill="currentColor"
                    aria-hidden="true"
                  >
                    <path d={STAR} />
                  </svg>
                  <span className="sr-only">{value === 1 ? "1 star" : `${value} stars`}</span>
                </label>
              ))}
            </div>
            <span className="min-w-24 text-sm font-medium text-slate-700" aria-hidden="true">
              {WORDS[shown]}
            </span>
          </div>
          {starsError ? <FieldError id={`${id}-stars-error`}>{starsError}</FieldError> : null}
        </fieldset>

        <div>
          <Label htmlFor={`${id}-comment`}>
            Comment <span className="font-normal text-slate-600">(optional)</span>
          </Label>
          <textarea
            id={`${id}-comment`}
            name="comment"
            rows={3}
            maxLength={RATING_COMMENT_MAX_LENGTH}
            defaultValue={saved?.comment ?? ""}
            placeholder="What worked well? What could be better?"
            className={cn(inputClasses, "mt-1.5 resize-y")}
          />
        </div>

        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" pending={pending}>
            {pending ? "Saving…" : current ? "Update rating" : "Save rating"}
          </Button>
          {current ? (
            <p className="text-sm text-slate-600" data-testid="saved-rating">
              Saved rating: <span className="font-semibold text-slate-900">{current.stars} out of 5</span>
            </p>
          ) : null}
        </div>
      </fetcher.Form>
    </Card>
  );
}
