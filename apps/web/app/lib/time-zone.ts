/**
 * The time-zone client hint (as Epic Stack's client hints): the browser's IANA time zone in a cookie,
 * so the server renders times in the viewer's zone and the first paint is already local (no UTC
 * text that changes after hydration). Read by `timeZoneHint` (time-zone.server.ts).
 */
export const TIME_ZONE_COOKIE = "lh_tz";

/**
 * Runs first in <head>, before anything is painted: when the cookie is missing or says another zone,
 * it is set and the page loads again, once (only if the browser kept the cookie, so never in a loop).
 */
export const TIME_ZONE_HINT_SCRIPT = `(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || !navigator.cookieEnabled) return;
    var name = "${TIME_ZONE_COOKIE}=";
    var current = document.cookie.split("; ").filter(function (c) { return c.indexOf(name) === 0; })[0];
    if (current && decodeURIComponent(current.slice(name.length)) === zone) return;
    document.cookie = name + encodeURIComponent(zone) + "; Path=/; Max-Age=31536000; SameSite=Lax";
    if (document.cookie.indexOf(name + encodeURIComponent(zone)) !== -1) window.location.reload();
  } catch (error) {}
})();`;
