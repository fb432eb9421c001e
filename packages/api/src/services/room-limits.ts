import type { RoomProcedure } from "../config";
import type { Services } from "../context";
import { Reason, appError } from "../errors";

/**
 * The room's budgets (config `roomRates`): a token bucket per user and procedure in Redis, one
 * script call per request. Heartbeats spend theirs inside the heartbeat's own script (presence.ts),
 * so a heartbeat stays one round trip.
 *
 * The bucket's state is "tokens:at" (at in ms, from the services clock, so tests can freeze it),
 * expiring once it would be full again: an idle user costs no key. Returns 0 when a token was spent,
 * else the ms until one is back.
 */
export const TAKE_TOKEN_LUA = `
local function take_token(key, burst, perSecond, now)
  local tokens = burst
  local state = redis.call('GET', key)
  if state then
    local sep = string.find(state, ':', 1, true)
    local elapsed = math.max(0, now - tonumber(string.sub(state, sep + 1)))
    tokens = math.min(burst, tonumber(string.sub(state, 1, sep - 1)) + elapsed * perSecond / 1000)
  end
  if tokens < 1 then return math.ceil((1 - tokens) * 1000 / perSecond) end
  redis.call('SET', key, (tokens - 1) .. ':' .. now, 'PX', math.ceil(burst * 1000 / perSecond))
  return 0
end
`;

// KEYS: the bucket. ARGV: burst, per second, now (ms).
const TAKE_TOKEN = `${TAKE_TOKEN_LUA}
return take_token(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))`;

const withScript = new WeakSet<Services["redis"]>();

type LimitServices = Pick<Services, "redis" | "keys" | "config" | "clock">;

/** The answer to a call over its budget: 429 RATE_LIMITED, with when to retry. */
export function roomRateLimited(
  retryAfterMs: number,
  message = "Too many requests from this account. Try again shortly.",
) {
  return appError("TOO_MANY_REQUESTS", Reason.RATE_LIMITED, message, { retryAfterMs });
}

/**
 * Spends one call of `userId`'s budget for `procedure`, or throws 429 RATE_LIMITED with a retry hint
 * (and `message`, when the procedure has words of its own for it).
 */
export async function spendRoomBudget(
  services: LimitServices,
  procedure: RoomProcedure,
  userId: string,
  message?: string,
): Promise<void> {
  const { redis } = services;
  if (!withScript.has(redis)) {
    redis.defineCommand("roomTakeToken", { numberOfKeys: 1, lua: TAKE_TOKEN });
    withScript.add(redis);
  }
  const { burst, perSecond } = services.config.roomRates[procedure];
  const wait = await (
    redis as unknown as { roomTakeToken(key: string, ...args: (string | number)[]): Promise<number> }
  ).roomTakeToken(services.keys.rateLimit(`room-${procedure}`, userId), burst, perSecond, services.clock().getTime());
  if (wait > 0) throw roomRateLimited(wait, message);
}
