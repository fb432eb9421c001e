/** Soft brand-coloured light at the top of a page, behind its content (decorative). */
export function Backdrop() {
  return (
    <div className="pointer-events-none absolute inset-0 -z-10 overflow-hidden" aria-hidden="true">
      <div className="absolute inset-x-0 top-0 h-[28rem] bg-[radial-gradient(ellipse_60%_70%_at_30%_0%,var(--color-brand-100),transparent)] opacity-80" />
      <div className="absolute inset-x-0 top-0 h-[28rem] bg-[radial-gradient(ellipse_40%_60%_at_80%_0%,var(--color-accent-100),transparent)] opacity-70" />
    </div>
  );
}
