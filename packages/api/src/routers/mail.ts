import { readOutbox } from "../mail/outbox";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const mailRouter = createTRPCRouter({
  /** /dev/mail: the local outbox, newest first (development and demo mode only). */
  outbox: adminProcedure.query(({ ctx }) => readOutbox(ctx)),
});
