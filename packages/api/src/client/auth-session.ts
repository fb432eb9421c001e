import { TRPCClientError, createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../root";
import { backoffDelay, type Backoff, CLIENT_BACKOFF_DEFAULTS } from "./backoff";
import { definiteSignOutReason, isRetryableFailure } from "./failures";

export type Delivery = "cookie" | "body";

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
}

export interface AuthSessionOptions {
  url: string;
  /** cookie: the browser (httpOnly cookies, only the expiry is known); body: scripts holding tokens. */
  delivery: Delivery;
  tokens?: TokenSet | null;
  accessTokenExpiresAt?: Date | null;
  onSignedOut?: (reason: string) => void;
  onTokens?: (tokens: { accessTokenExpiresAt: Date; tokens: TokenSet | null }) => void;
  fetch?: typeof fetch;
  backoff?: Backoff;
  /** Attempts per refresh before giving up for now (not signing out). */
  maxRefreshAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Refresh when less than this share of the access token's lifetime is left (capped at 60 s). */
const REFRESH_AHEAD_SHARE = 0.2;
const REFRESH_AHEAD_CAP_MS = 60_000;

/**
 * One sign-in on one tab or process: knows when its access token expires, refreshes it single-flight
 * (every caller waits on the same refresh), and decides when the user is really signed out — only on
 * a definite auth answer, exactly once. Cross-tab safety comes from the server's rotation rules.
 */
export class AuthSession {
  private tokens: TokenSet | null;
  private expiresAt: Date | null;
  private learnedAt = Date.now();
  private inflight: Promise<void> | null = null;
  private signedOutReason: string | null = null;
  private readonly refresher;

  constructor(private readonly options: AuthSessionOptions) {
    this.tokens = options.tokens ?? null;
    this.expiresAt = options.tokens?.accessTokenExpiresAt ?? options.accessTokenExpiresAt ?? null;
    this.refresher = createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: options.url, transformer: superjson, ...(options.fetch ? { fetch: options.fetch } : {}) }),
      ],
    });
  }

  get accessTokenExpiresAt(): Date | null {
    return this.expiresAt;
  }

  /** The tokens held for body delivery (to persist them between script runs). */
  get tokenSet(): TokenSet | null {
    return this.tokens;
  }

  get signedOut(): string | null {
    return this.signedOutReason;
  }

  authorizationHeader(): Record<string, string> {
    return this.options.delivery === "body" && this.tokens
      ? { authorization: `Bearer ${this.tokens.accessToken}` }
      : {};
  }

  /** Record tokens from a login/signup answer (or a page load that knows the expiry). */
  update(answer: { accessTokenExpiresAt: Date; tokens?: { accessToken: string; refreshToken: string } | null }): void {
    this.expiresAt = answer.accessTokenExpiresAt;
    this.learnedAt = Date.now();
    if (answer.tokens) this.tokens = { ...answer.tokens, accessTokenExpiresAt: answer.accessTokenExpiresAt };
    this.signedOutReason = null;
    this.options.onTokens?.({ accessTokenExpiresAt: answer.accessTokenExpiresAt, tokens: this.tokens });
  }

  /** Refreshes when the access token is close to expiry; never throws for a transient failure. */
  async ensureFresh(): Promise<void> {
    if (!this.expiresAt || this.signedOutReason) return;
    const lifetime = this.expiresAt.getTime() - this.learnedAt;
    const ahead = Math.min(REFRESH_AHEAD_CAP_MS, Math.max(0, lifetime * REFRESH_AHEAD_SHARE));
    if (Date.now() < this.expiresAt.getTime() - ahead) return;
    await this.refresh().catch(() => undefined);
  }

  /** Single flight: concurrent callers share one refresh. */
  refresh(): Promise<void> {
    this.inflight ??= this.refreshWithRetries().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Ends the sign-in locally and tells the app, once. */
  signOut(reason: string): void {
    if (this.signedOutReason) return;
    this.signedOutReason = reason;
    this.tokens = null;
    this.expiresAt = null;
    this.options.onSignedOut?.(reason);
  }

  private async refreshWithRetries(): Promise<void> {
    const maxAttempts = this.options.maxRefreshAttempts ?? 8;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    for (let attempt = 0; ; attempt++) {
      if (this.signedOutReason) throw new TRPCClientError(`Signed out: ${this.signedOutReason}`);
      try {
        const answer = await this.refresher.auth.refresh.mutate({
          delivery: this.options.delivery,
          ...(this.tokens ? { refreshToken: this.tokens.refreshToken } : {}),
        });
        this.update(answer);
        return;
      } catch (error) {
        const reason = definiteSignOutReason(error);
        if (reason) {
          this.signOut(reason);
          throw error;
        }
        if (!isRetryableFailure(error) || attempt + 1 >= maxAttempts) throw error;
        await sleep(backoffDelay(attempt, this.options.backoff ?? CLIENT_BACKOFF_DEFAULTS));
      }
    }
  }
}
