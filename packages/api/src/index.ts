export { appRouter, createCaller, type AppRouter } from "./root";
export { transformer } from "./trpc";
export { createContext, type Context, type Services, type SessionUser, type RequestInfo, type Role } from "./context";
export { Reason, appError, isInfrastructureOutage } from "./errors";
export { createRedis, redisKeys, type Redis, type RedisKeys } from "./redis";
export { createServices, closeServices } from "./services/container";
export type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
export { createLogger, type Logger } from "./logger";
export { MAINTENANCE_QUEUE, JobName, JOB_NAMES, jobSchedule, type JobCounts } from "./jobs/definitions";
export { authenticateRequest, type RequestAuth } from "./auth/request-auth";
export { ACCESS_COOKIE, REFRESH_COOKIE } from "./auth/cookies";
export { cleanupTokens } from "./auth/service";
export { metricsRegistry, authCounters } from "./metrics";
export {
  assertBatchAllowed,
  authenticateIncoming,
  authenticateNodeRequest,
  contextForRequest,
  createNodeContextFactory,
  isSecureRequest,
  nodeRequest,
  TRUSTED_PROXY,
  requestOrigin,
  type IncomingRequestLike,
} from "./http-context";
export {
  participantsChannel,
  type MediaFeedView,
  type MediaStateView,
  type ParticipantEvent,
  type ParticipantView,
} from "./services/participant-events";
export type { ChatMessageView, HandView, InteractionState, Reaction, RoomEvent } from "./services/room-events";
export {
  EVICTION_BATCH,
  EVICTION_LANES,
  evictStaleConnections,
  reconcileParticipants,
  type EvictionCounts,
  type ReconcileCounts,
} from "./services/reconcile";
export { endOverrunSessions } from "./services/session-ending";
export { sendSessionMail, syncSessionMail } from "./services/session-mail";
export { addToCalendarLinks } from "./services/calendar";
export { SESSION_MAIL_QUEUE, cancellationJobId, reminderJobId, type SessionMailJob } from "./jobs/session-mail";
export { mediaReconcileTotals, reconcileMedia, type MediaServerCounts } from "./services/media-reconcile";
export { handleMediaEvents } from "./services/media-events";
export { spendRoomBudget } from "./services/room-limits";
export { RoomStreamRequest } from "./services/room-stream";
export { createRoomFanout, sseErrorFrame, SSE_OPENING, type RoomFanout, type RoomSocket } from "./services/room-fanout";
/** The user Janus's event handler posts as (its password is the media admin secret). */
export { EVENTS_USER as MEDIA_EVENTS_USER } from "@livehall/media-server";
export { mediaServersStatus, type MediaServerStatus } from "./services/media-status";
export { recordJobRun, lastJobRuns, type JobRun } from "./jobs/history";
export { presenceCounters, jobMetrics } from "./metrics";
export { countConnections } from "./services/admin";
export { isTimeZone } from "./services/time-zone";
export { sendMail, type MailServices } from "./mail/send";
export type { MailTemplate, TemplateId } from "./mail/templates";
export type { Delivery } from "./mail/mailer";
