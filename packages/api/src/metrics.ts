import { Counter, Registry } from "prom-client";

/**
 * In-process counters. One registry per process; the web server and the worker expose it on
 * /metrics (issue 9/9). Names follow Prometheus conventions.
 */
export const metricsRegistry = new Registry();

export const authCounters = {
  refreshSucceeded: new Counter({
    name: "livehall_auth_refresh_success_total",
    help: "Refreshes answered with tokens, by path (rotated, successor_reserved, grace_current)",
    labelNames: ["path"] as const,
    registers: [metricsRegistry],
  }),
  refreshFailed: new Counter({
    name: "livehall_auth_refresh_failure_total",
    help: "Refreshes refused, by reason",
    labelNames: ["reason"] as const,
    registers: [metricsRegistry],
  }),
  reuseDetected: new Counter({
    name: "livehall_auth_refresh_reuse_detected_total",
    help: "Token families revoked because an old refresh token was replayed",
    registers: [metricsRegistry],
  }),
  loginFailed: new Counter({
    name: "livehall_auth_login_failure_total",
    help: "Failed logins, by reason",
    labelNames: ["reason"] as const,
    registers: [metricsRegistry],
  }),
};
