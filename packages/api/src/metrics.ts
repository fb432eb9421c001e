import { Counter, Histogram, Registry } from "prom-client";

/**
 * In-process counters. One registry per process; the web server and the worker expose it on
 * /metrics (issue 9/9). Names follow Prometheus conventions.
 */
export const metricsRegistry = new Registry();

export const authCounters = {
  refreshSucceeded: new Counter({
    name: "livehall_auth_refresh_success_total",
    help: "Refreshes answered with tokens, by path (rotated, successor_reserved, grace_current, shared_in_flight)",
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
  /** argon2 runs: the CPU the sign-in and sign-up limits protect. */
  passwordHashes: new Counter({
    name: "livehall_auth_password_hash_total",
    help: "argon2 runs, by operation (hash: sign-up, verify: sign-in)",
    labelNames: ["operation"] as const,
    registers: [metricsRegistry],
  }),
  loginFailed: new Counter({
    name: "livehall_auth_login_failure_total",
    help: "Failed logins, by reason",
    labelNames: ["reason"] as const,
    registers: [metricsRegistry],
  }),
};

export const presenceCounters = {
  joins: new Counter({
    name: "livehall_session_joins_total",
    help: "session.join calls, by outcome (new participant, another tab or retry, refused)",
    labelNames: ["outcome"] as const,
    registers: [metricsRegistry],
  }),
  leaves: new Counter({
    name: "livehall_participants_left_total",
    help: "Participant rows closed, by reason (LEFT, TIMEOUT, ENDED, DUPLICATE)",
    labelNames: ["reason"] as const,
    registers: [metricsRegistry],
  }),
  heartbeats: new Counter({
    name: "livehall_heartbeats_total",
    help: "Heartbeats, by answer (ok, rejoin, replaced, left, removed, rate_limited)",
    labelNames: ["answer"] as const,
    registers: [metricsRegistry],
  }),
};

/** The room stream (docs/decisions/018). */
export const roomCounters = {
  appended: new Counter({
    name: "livehall_room_events_total",
    help: "Room events stored in a session's room stream, by type (participants, chat.posted, hand.raised…)",
    labelNames: ["type"] as const,
    registers: [metricsRegistry],
  }),
  opened: new Counter({
    name: "livehall_room_stream_opens_total",
    help: "session.onRoom openings, by how they started (snapshot, resume)",
    labelNames: ["start"] as const,
    registers: [metricsRegistry],
  }),
  dropped: new Counter({
    name: "livehall_room_streams_dropped_total",
    help: "Room streams dropped because their client stopped reading (unsent bytes over ROOM_STREAM_MAX_BUFFER_BYTES)",
    registers: [metricsRegistry],
  }),
  reactions: new Counter({
    name: "livehall_room_reactions_total",
    help: "Reactions sent (each click), before they are summed per second",
    registers: [metricsRegistry],
  }),
};

export const jobMetrics = {
  runs: new Counter({
    name: "livehall_job_runs_total",
    help: "Maintenance job runs, by job and outcome",
    labelNames: ["job", "outcome"] as const,
    registers: [metricsRegistry],
  }),
  duration: new Histogram({
    name: "livehall_job_duration_seconds",
    help: "Maintenance job run time",
    labelNames: ["job"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [metricsRegistry],
  }),
  drift: new Counter({
    name: "livehall_reconcile_drift_total",
    help: "Inconsistencies fixed by reconcile and eviction, by kind",
    labelNames: ["kind"] as const,
    registers: [metricsRegistry],
  }),
};

/** Mail (docs/decisions/021). */
export const mailMetrics = {
  sent: new Counter({
    name: "livehall_mail_sent_total",
    help: "Mails handed to SMTP or kept in the local outbox, by template and way",
    labelNames: ["template", "via"] as const,
    registers: [metricsRegistry],
  }),
  failed: new Counter({
    name: "livehall_mail_failed_total",
    help: "Mails that could not be handed to SMTP (or stored in the outbox), by template",
    labelNames: ["template"] as const,
    registers: [metricsRegistry],
  }),
};
