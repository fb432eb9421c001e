import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Services } from "../context";
import { Reason, appError, type AttemptsLeft } from "../errors";

/**
 * The sign-in and sign-up budgets (numbers in config.limits). Every attempt is taken from its budgets
 * before argon2 runs, atomically in Redis, so however many attempts arrive at once (in parallel or
 * in one request) at most the budget is ever checked; a sign-in that succeeds gets its points back.
 *
 * Sign-in failures are counted per (account, IP) — the hard pause, which a stranger elsewhere cannot
 * trigger for the real user — per IP, and per account with a looser ceiling and a growing delay, which
 * bound an attack spread over many addresses.
 */
type LimitServices = Pick<Services, "redis" | "keys" | "config" | "clock">;

interface Limiters {
  accountAndIp: RateLimiterRedis;
  ip: RateLimiterRedis;
  account: RateLimiterRedis;
  signup: RateLimiterRedis;
  verifyMail: RateLimiterRedis;
  inviteMail: RateLimiterRedis;
  resetAddress: RateLimiterRedis;
  resetIp: RateLimiterRedis;
}

/**
 * Claims the account's next attempt slot: refused (answering the wait) while the previous attempt's
 * delay runs, else the slot moves `delay` ahead. Times come from the caller's clock.
 */
const CLAIM_SLOT = `
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if now < nextAt then return nextAt - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[2]), 'PX', ARGV[3])
return 0`;

const limiters = new WeakMap<Services["redis"], Limiters>();

function limitersFor(services: LimitServices): Limiters {
  let existing = limiters.get(services.redis);
  if (!existing) {
    const { login, signup } = services.config.limits;
    const { verifyRate, inviteRate, resetRate } = services.config.mail;
    const limiter = (bucket: string, id: string, points: number, windowMs: number) =>
      new RateLimiterRedis({
        storeClient: services.redis,
        useRedisPackage: false,
        keyPrefix: services.keys.rateLimit(bucket, id),
        points,
        duration: Math.ceil(windowMs / 1000),
      });
    existing = {
      accountAndIp: limiter("login", "email-ip", login.perAccountAndIp, login.lockMs),
      ip: limiter("login", "ip", login.perIp, login.lockMs),
      account: limiter("login", "email", login.perAccount, login.accountWindowMs),
      signup: limiter("signup", "ip", signup.perIp, signup.windowMs),
      verifyMail: limiter("verify-mail", "user", verifyRate.points, verifyRate.windowMs),
      inviteMail: limiter("invite-mail", "user", inviteRate.points, inviteRate.windowMs),
      resetAddress: limiter("password-reset", "email", resetRate.perAddress, resetRate.windowMs),
      resetIp: limiter("password-reset", "ip", resetRate.perIp, resetRate.windowMs),
    };
    // Registered once per connection, so calls go by EVALSHA.
    services.redis.defineCommand("loginClaimSlot", { numberOfKeys: 1, lua: CLAIM_SLOT });
    limiters.set(services.redis, existing);
  }
  return existing;
}

type SlotScript = { loginClaimSlot(key: string, now: number, delayMs: number, ttlMs: number): Promise<number> };

/** Registered by limitersFor, which every caller goes through first. */
function claimSlot(services: LimitServices, email: string, delayMs: number): Promise<number> {
  return (services.redis as unknown as SlotScript).loginClaimSlot(
    services.keys.rateLimit("login", `delay:${email}`),
    services.clock().getTime(),
    delayMs,
    services.config.limits.login.accountWindowMs,
  );
}

/** Delay before the account's next attempt, once `failures` (this one included) passed the threshold. */
function loginDelayMs(limits: LimitServices["config"]["limits"]["login"], failures: number): number {
  if (failures <= limits.delayAfter) return 0;
  return Math.min(1000 * 2 ** (failures - limits.delayAfter - 1), limits.delayMaxMs);
}

function tooMany(message: string, retryAfterMs: number) {
  return appError("TOO_MANY_REQUESTS", Reason.RATE_LIMITED, message, { retryAfterMs: Math.max(1, retryAfterMs) });
}

/** Without the wait: the answer carries it (retryAfterMs), and forms say it in words. */
const SIGN_IN_PAUSED = "Too many failed sign-ins.";

/**
 * Takes `points` at once (atomically), or answers how long until the budget has room again and how
 * many points it had left. Refused points are given back at once, so a counter counts only the
 * attempts that went on.
 */
async function take(
  limiter: RateLimiterRedis,
  key: string,
  points = 1,
): Promise<RateLimiterRes | { refusedForMs: number; left: number }> {
  try {
    return await limiter.consume(key, points);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    await limiter.reward(key, points);
    return { refusedForMs: error.msBeforeNext, left: Math.max(0, limiter.points - (error.consumedPoints - points)) };
  }
}

export interface LoginAttempt {
  /** If this attempt fails: the failures left before sign-in pauses for this browser, and for how long. */
  ifFailed: AttemptsLeft;
  /** The password was right: the points come back, and this account's failures from this IP are forgotten. */
  succeeded(): Promise<void>;
}

/** Takes a sign-in attempt from every budget, before the password is checked; throws RATE_LIMITED when one is spent. */
export async function beginLogin(services: LimitServices, email: string, ip: string): Promise<LoginAttempt> {
  const { accountAndIp, ip: perIp, account } = limitersFor(services);
  const limits = services.config.limits.login;
  const pairKey = `${email}|${ip}`;
  // Taken one after another, and given back when a later one refuses: each counter counts the
  // passwords actually checked, so the real user's budget is not spent by attempts refused elsewhere.
  const taken: [RateLimiterRedis, string][] = [];
  const refund = () => Promise.all(taken.map(([limiter, key]) => limiter.reward(key, 1)));
  const results: RateLimiterRes[] = [];
  for (const [limiter, key] of [
    [perIp, ip],
    [accountAndIp, pairKey],
    [account, email],
  ] as const) {
    const result = await take(limiter, key);
    if (!(result instanceof RateLimiterRes)) {
      await refund();
      throw tooMany(SIGN_IN_PAUSED, result.refusedForMs);
    }
    taken.push([limiter, key]);
    results.push(result);
  }
  const [ipState, pairState, accountState] = results as [RateLimiterRes, RateLimiterRes, RateLimiterRes];

  const delayMs = loginDelayMs(limits, accountState.consumedPoints);
  if (delayMs > 0) {
    const waitMs = await claimSlot(services, email, delayMs);
    if (waitMs > 0) {
      await refund();
      throw tooMany(SIGN_IN_PAUSED, waitMs);
    }
  }
  return {
    ifFailed: { left: Math.min(pairState.remainingPoints, ipState.remainingPoints), pauseMs: limits.lockMs },
    async succeeded() {
      await Promise.all([perIp.reward(ip, 1), account.reward(email, 1), accountAndIp.delete(pairKey)]);
    },
  };
}

/** Takes a sign-up from the IP's budget, before the password is hashed; throws RATE_LIMITED when it is spent. */
export async function beginSignup(services: LimitServices, ip: string): Promise<void> {
  const result = await take(limitersFor(services).signup, ip);
  if (!(result instanceof RateLimiterRes)) {
    throw tooMany("Too many accounts were created from this network.", result.refusedForMs);
  }
}

/** Takes one verification mail (resend, e-mail change) from the user's budget; throws RATE_LIMITED when it is spent. */
export async function spendVerificationMail(services: LimitServices, userId: string): Promise<void> {
  const result = await take(limitersFor(services).verifyMail, userId);
  if (!(result instanceof RateLimiterRes)) {
    throw tooMany("We sent several confirmation mails already. Check your inbox and spam folder.", result.refusedForMs);
  }
}

/**
 * Takes the mails one course.addStudents call sends (invitations, "you were added") from the
 * instructor's budget, all or none: when they don't fit, throws RATE_LIMITED and nothing is sent.
 * Returns a refund for mails that turned out not to be needed.
 */
export async function spendInvitationMails(
  services: LimitServices,
  userId: string,
  mails: number,
): Promise<(unused: number) => Promise<void>> {
  const { inviteMail } = limitersFor(services);
  const result = await take(inviteMail, userId, mails);
  if (!(result instanceof RateLimiterRes)) {
    throw tooMany(
      `Nothing was added: that would send ${mails} invitation mail${mails === 1 ? "" : "s"}, and you can send ${result.left} more for now.`,
      result.refusedForMs,
    );
  }
  return async (unused) => {
    if (unused > 0) await inviteMail.reward(userId, unused);
  };
}

/**
 * Takes a password-reset request from the IP's and the address's budgets (the address's whether or
 * not it has an account, so the answer tells nothing); throws RATE_LIMITED when one is spent.
 */
export async function beginPasswordReset(services: LimitServices, email: string, ip: string): Promise<void> {
  const { resetIp, resetAddress } = limitersFor(services);
  const byIp = await take(resetIp, ip);
  if (!(byIp instanceof RateLimiterRes)) {
    throw tooMany("Too many password resets were asked for from this network.", byIp.refusedForMs);
  }
  const byAddress = await take(resetAddress, email);
  if (!(byAddress instanceof RateLimiterRes)) {
    await resetIp.reward(ip, 1);
    throw tooMany(
      "We sent several reset mails to this address already. Check your inbox and spam folder.",
      byAddress.refusedForMs,
    );
  }
}
