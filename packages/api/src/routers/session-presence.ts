import { z } from "zod";
import { roomAccessOf } from "../services/enrollment";
import { mediaAccess } from "../services/media-access";
import * as participants from "../services/participants";
import { reconcileParticipants } from "../services/reconcile";
import { listRemovals, readmitParticipant, removeParticipant } from "../services/removals";
import { findManagedSession } from "../services/session-catalog";
import { cancelSession, endSession } from "../services/session-ending";
import { authedProcedure, createTRPCRouter, instructorProcedure } from "../trpc";

const sessionId = z.uuid();
/** One browser tab: a random id the room generates. */
const connectionId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[\w-]+$/, { error: "Invalid connection id." });
const sessionInput = z.strictObject({ sessionId });
const personInput = z.strictObject({ sessionId, userId: z.uuid() });
const connectionInput = z.strictObject({ sessionId, connectionId });
/** `everywhere`: the Leave button — every tab of the user leaves, not only this one. */
const leaveInput = connectionInput.extend({ everywhere: z.boolean().optional() });
const pageInput = z.strictObject({
  sessionId,
  cursor: participants.participantCursor.optional(),
  limit: z.number().int().min(1).max(participants.PARTICIPANTS_PAGE_SIZE).optional(),
});

/** Participation and presence: who is in a session right now, per tab, and the live event stream. */
export const sessionPresenceRouter = createTRPCRouter({
  /**
   * Whether the caller may be in the room (docs/decisions/020: enrolled, the instructor, an admin)
   * and, if not, the course's policy: what the room page offers instead.
   */
  access: authedProcedure.input(sessionInput).query(({ ctx, input }) => roomAccessOf(ctx, ctx.user, input.sessionId)),

  join: authedProcedure
    .input(connectionInput)
    .mutation(({ ctx, input }) => participants.join(ctx, ctx.user, input.sessionId, input.connectionId)),

  leave: authedProcedure
    .input(leaveInput)
    .mutation(({ ctx, input }) =>
      participants.leave(ctx, ctx.user, input.sessionId, input.connectionId, input.everywhere),
    ),

  heartbeat: authedProcedure
    .input(connectionInput)
    .mutation(({ ctx, input }) => participants.heartbeat(ctx, ctx.user, input.sessionId, input.connectionId)),

  /** A page of active participants (at most 500) in joining order; `nextCursor` fetches the next. */
  participants: authedProcedure
    .input(pageInput)
    .query(({ ctx, input }) => participants.participantsPage(ctx, ctx.user, input.sessionId, input)),

  participantCount: authedProcedure
    .input(sessionInput)
    .query(({ ctx, input }) => participants.participantCount(ctx, ctx.user, input.sessionId)),

  /** LIVE → ENDED: closes every participant (ENDED), clears presence, tells every open room. */
  end: instructorProcedure.input(sessionInput).mutation(({ ctx, input }) => endSession(ctx, ctx.user, input.sessionId)),

  /** SCHEDULED or LIVE → CANCELLED, closing participants like end. */
  cancel: instructorProcedure
    .input(sessionInput)
    .mutation(({ ctx, input }) => cancelSession(ctx, ctx.user, input.sessionId)),

  /** The reconcile of the participants.dedupe job for one session (its instructor or an admin); returns what it fixed. */
  cleanupParticipants: instructorProcedure.input(sessionInput).mutation(async ({ ctx, input }) => {
    await findManagedSession(ctx, ctx.user, input.sessionId);
    return reconcileParticipants(ctx, { sessionId: input.sessionId });
  }),

  /** The course's instructor or an admin: all the person's tabs leave and they cannot join again until let back in. */
  removeParticipant: instructorProcedure
    .input(personInput)
    .mutation(({ ctx, input }) => removeParticipant(ctx, ctx.user, input.sessionId, input.userId)),

  /** Lets a removed person join again. */
  readmitParticipant: instructorProcedure
    .input(personInput)
    .mutation(({ ctx, input }) => readmitParticipant(ctx, ctx.user, input.sessionId, input.userId)),

  /** Who was removed from the session (the course's instructor or an admin). */
  removals: instructorProcedure
    .input(sessionInput)
    .query(({ ctx, input }) => listRemovals(ctx, ctx.user, input.sessionId)),

  /**
   * The media right of a joined tab: where its browser reaches Janus, the room, its token and role
   * (publisher for the course's instructor and admins). 403 NOT_IN_SESSION for a tab not in the session.
   */
  media: authedProcedure
    .input(connectionInput)
    .mutation(({ ctx, input }) => mediaAccess(ctx, ctx.user, input.sessionId, input.connectionId)),

  onParticipants: authedProcedure.input(sessionInput).subscription(async function* ({ ctx, input, signal }) {
    yield* participants.participantEvents(ctx, ctx.user, input.sessionId, signal);
  }),
});
