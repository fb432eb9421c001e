import { forwardRef, type InputHTMLAttributes } from "react";
import { cn } from "./cn";

export const inputClasses =
  "block min-h-11 w-full rounded-control border border-slate-300 bg-white px-3.5 py-2 text-base text-slate-900 shadow-sm " +
  "placeholder:text-slate-500 transition hover:border-slate-400 focus:border-brand-600 focus:outline-none focus:ring-4 focus:ring-brand-100 " +
  "aria-invalid:border-live-600 aria-invalid:focus:ring-live-100 sm:text-sm";

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>(function Input(
  { className, ...props },
  ref,
) {
  return <input ref={ref} className={cn(inputClasses, className)} {...props} />;
});
