import { z } from "zod";
import { CHAT_MAX_LENGTH, REACTIONS, isCursorTime } from "../limits";
import * as room from "../services/room-interaction";
import { RoomStreamRequest } from "../services/room-stream";
import { authedProcedure, createTRPCRouter, instructorProcedure } from "../trpc";
import { plainText } from "./inputs";

const sessionId = z.uuid();
const sessionInput = z.strictObject({ sessionId });
const messageInput = z.strictObject({ sessionId, messageId: z.uuid() });
/** The sender's own id for a message: the same id again is a retry, not a new message. */
const clientMessageId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[\w-]+$/, { error: "Invalid message id." });
const sendInput = z.strictObject({
  sessionId,
  clientMessageId,
  body: plainText(CHAT_MAX_LENGTH, "A message").min(1, { error: "Write a message first." }),
  asQuestion: z.boolean().optional(),
});
const historyInput = z.strictObject({
  sessionId,
  /** The oldest message the tab has: the page ends before it. */
  before: z.strictObject({
    createdAt: z.iso
      .datetime()
      .refine((value) => isCursorTime(new Date(value)), { error: "Reload the chat to see earlier messages." }),
    id: z.uuid(),
  }),
});
const roomInput = z.strictObject({
  sessionId,
  /** The id of the last event the tab has (tRPC sets it on reconnects; the room passes it on restarts). */
  lastEventId: z.string().max(40).nullish(),
  /**
   * The tab takes count-only updates in a large room (docs/decisions/023). Tabs of an older bundle
   * leave it out and get every change whole.
   */
  counts: z.literal(true).optional(),
});

/** The room's one stream and its interaction: chat, questions, hands, reactions (docs/decisions/018). */
export const sessionRoomRouter = createTRPCRouter({
  /** Every room event for this tab: a snapshot (or, resuming, exactly the missed events), then live ones. */
  onRoom: authedProcedure
    .input(roomInput)
    .subscription(
      ({ ctx, input, signal }) =>
        new RoomStreamRequest(ctx, ctx.user, input.sessionId, input.lastEventId, signal, input.counts === true),
    ),

  sendMessage: authedProcedure
    .input(sendInput)
    .mutation(({ ctx, input }) => room.sendMessage(ctx, ctx.user, input.sessionId, input)),

  /** Older messages than the tab's oldest, oldest first (50 a page). */
  chatHistory: authedProcedure
    .input(historyInput)
    .query(({ ctx, input }) =>
      room.chatHistory(ctx, ctx.user, input.sessionId, { at: new Date(input.before.createdAt), id: input.before.id }),
    ),

  deleteMessage: instructorProcedure
    .input(messageInput)
    .mutation(({ ctx, input }) => room.deleteMessage(ctx, ctx.user, input.sessionId, input.messageId)),

  setChatMuted: instructorProcedure
    .input(z.strictObject({ sessionId, userId: z.uuid(), muted: z.boolean() }))
    .mutation(({ ctx, input }) => room.setChatMuted(ctx, ctx.user, input.sessionId, input.userId, input.muted)),

  upvoteQuestion: authedProcedure
    .input(messageInput)
    .mutation(({ ctx, input }) => room.upvoteQuestion(ctx, ctx.user, input.sessionId, input.messageId)),

  answerQuestion: instructorProcedure
    .input(messageInput)
    .mutation(({ ctx, input }) => room.answerQuestion(ctx, ctx.user, input.sessionId, input.messageId)),

  raiseHand: authedProcedure
    .input(sessionInput)
    .mutation(({ ctx, input }) => room.raiseHand(ctx, ctx.user, input.sessionId)),

  lowerHand: authedProcedure
    .input(sessionInput)
    .mutation(({ ctx, input }) => room.lowerOwnHand(ctx, ctx.user, input.sessionId)),

  /** The host lowers one person's hand, or every hand without `userId`. */
  lowerHands: instructorProcedure
    .input(z.strictObject({ sessionId, userId: z.uuid().optional() }))
    .mutation(({ ctx, input }) => room.lowerHands(ctx, ctx.user, input.sessionId, input.userId ?? null)),

  react: authedProcedure
    .input(z.strictObject({ sessionId, reaction: z.enum(REACTIONS) }))
    .mutation(({ ctx, input }) => room.react(ctx, ctx.user, input.sessionId, input.reaction)),
});
