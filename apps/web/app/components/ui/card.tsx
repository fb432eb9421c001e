import type { HTMLAttributes } from "react";
import { cn } from "./cn";

export interface CardProps extends HTMLAttributes<HTMLElement> {
  /** Lifts with a deeper shadow on hover (cards that are, or contain, a main action). */
  interactive?: boolean;
  as?: "div" | "article" | "section";
}

/** The glass card: translucent white over the slate gradient, blurred behind. */
export function Card({ interactive = false, as: Tag = "div", className, ...props }: CardProps) {
  return (
    <Tag
      className={cn(
        "rounded-card border border-white/70 bg-white/50 shadow-card backdrop-blur-sm",
        interactive &&
          "transition duration-200 ease-out hover:-translate-y-1 hover:bg-white/70 hover:shadow-card-hover",
        className,
      )}
      {...props}
    />
  );
}
