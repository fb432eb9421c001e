/** Test helpers shared by the api, web and worker test suites (never imported by production code). */
export { createTestServices, dropEventBusConnection, fakeClock, insertUsers } from "./services";
export { callOverHttp } from "./http";
export { startApiServer } from "./standalone-server";
export { signAccessToken } from "../auth/tokens";
export { createSessionFixture, asSessionUser, enrollUsers, insertParticipantsLastSeen } from "./fixtures";
export { assertRejectsMalformedInput } from "./fuzz";
export { hashPassword } from "../auth/passwords";
export { appendRoomEvent } from "../services/room-log";
export { compareIds } from "../services/room-stream";
export { SSE_PING_INTERVAL_MS } from "../trpc";
