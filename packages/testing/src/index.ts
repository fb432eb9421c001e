export { TEMPLATE_DATABASE_URL, TEST_REDIS_URL } from "./env";
export { createTestDatabase } from "./test-database";
export { createRedisNamespace } from "./test-redis";
export { freePort, closedPortUrl } from "./ports";
export { startPrivatePostgres, startPrivateRedis, type PrivateServer } from "./private-servers";
export { waitFor } from "./wait";
export { runToCompletion, type ProcessResult } from "./process";
export { JanusRequestError, openJanusTab, type JanusTab } from "./janus-client";
export {
  crashJanus,
  freezeJanus,
  startTestJanus,
  type TestJanus,
  type TestJanusCoordinates,
  type TestJanusOptions,
} from "./janus";
export { linkIn, startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from "./smtp";
