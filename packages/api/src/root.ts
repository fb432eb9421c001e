import { accountRouter } from "./routers/account";
import { adminRouter } from "./routers/admin";
import { authRouter } from "./routers/auth";
import { courseRouter } from "./routers/course";
import { mailRouter } from "./routers/mail";
import { sessionCatalogRouter } from "./routers/session-catalog";
import { sessionPresenceRouter } from "./routers/session-presence";
import { sessionReportsRouter } from "./routers/session-reports";
import { sessionRoomRouter } from "./routers/session-room";
import { telemetryRouter } from "./routers/telemetry";
import { createCallerFactory, createTRPCRouter, mergeRouters } from "./trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  admin: adminRouter,
  auth: authRouter,
  course: courseRouter,
  mail: mailRouter,
  session: mergeRouters(sessionCatalogRouter, sessionPresenceRouter, sessionReportsRouter, sessionRoomRouter),
  telemetry: telemetryRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: loaders and scripts call procedures in-process with the same rules. */
export const createCaller = createCallerFactory(appRouter);
