import { accountRouter } from "./routers/account";
import { accountCalendarRouter } from "./routers/account-calendar";
import { adminRouter } from "./routers/admin";
import { authRouter } from "./routers/auth";
import { calendarRouter } from "./routers/calendar";
import { courseRouter } from "./routers/course";
import { mailRouter } from "./routers/mail";
import { sessionCatalogRouter } from "./routers/session-catalog";
import { sessionPresenceRouter } from "./routers/session-presence";
import { sessionReportsRouter } from "./routers/session-reports";
import { sessionRoomRouter } from "./routers/session-room";
import { telemetryRouter } from "./routers/telemetry";
import { createCallerFactory, createTRPCRouter, mergeRouters } from "./trpc";

export const appRouter = createTRPCRouter({
  account: mergeRouters(accountRouter, accountCalendarRouter),
  admin: adminRouter,
  auth: authRouter,
  calendar: calendarRouter,
  course: courseRouter,
  mail: mailRouter,
  session: mergeRouters(sessionCatalogRouter, sessionPresenceRouter, sessionReportsRouter, sessionRoomRouter),
  telemetry: telemetryRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: loaders and scripts call procedures in-process with the same rules. */
export const createCaller = createCallerFactory(appRouter);
