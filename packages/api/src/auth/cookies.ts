/** Cookie names and attributes of the browser transport (docs/architecture.md#transports). */
export const ACCESS_COOKIE = "lh_at";
export const REFRESH_COOKIE = "lh_rt";

export interface CookieOptions {
  secure: boolean;
}

function serialize(name: string, value: string, maxAgeSeconds: number, { secure }: CookieOptions): string {
  const parts = [
    `${name}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

export function authCookies(
  tokens: { accessToken: string; refreshToken: string; accessTokenExpiresAt: Date; refreshTokenExpiresAt: Date },
  now: Date,
  options: CookieOptions,
): string[] {
  return [
    serialize(
      ACCESS_COOKIE,
      tokens.accessToken,
      (tokens.accessTokenExpiresAt.getTime() - now.getTime()) / 1000,
      options,
    ),
    serialize(
      REFRESH_COOKIE,
      tokens.refreshToken,
      (tokens.refreshTokenExpiresAt.getTime() - now.getTime()) / 1000,
      options,
    ),
  ];
}

export function clearedAuthCookies(options: CookieOptions): string[] {
  return [serialize(ACCESS_COOKIE, "", 0, options), serialize(REFRESH_COOKIE, "", 0, options)];
}

export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(index + 1).trim());
  }
  return cookies;
}
