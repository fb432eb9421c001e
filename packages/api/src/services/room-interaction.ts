import { Prisma } from "@livehall/db";
import type { Services, SessionUser } from "../context";
import { Reason, appError } from "../errors";
import { roomCounters } from "../metrics";
import { assertRoomAccess, hasRoomAccess, notEnrolled, type EnrollmentPolicy } from "./enrollment";
import { connectionCountsOf } from "./presence";
import {
  CHAT_SNAPSHOT_SIZE,
  type ChatMessageView,
  type HandView,
  type InteractionState,
  type Reaction,
} from "./room-events";
import { appendChatPosted, appendRoomEvent, publishRoomEvent } from "./room-log";
import { spendRoomBudget } from "./room-limits";
import { findManagedSession } from "./session-catalog";

/**
 * The room's interaction (docs/decisions/018): chat, questions, raised hands and reactions. Each
 * change is written to Postgres first and then stored in the room stream (room-log.ts); every
 * event carries absolute state (a message, a vote count, a hand's id), so a tab that sees one twice
 * — a snapshot overlapping the events after it, a sent message the stream brings too — ends in the same state.
 *
 * Who may: reading and sending chat, voting, raising a hand and reacting need access to the course's
 * rooms (enrolled, its instructor or an admin; NOT_ENROLLED otherwise) and the user in the room (an
 * active participant of the live session; NOT_IN_ROOM otherwise); a muted user's send answers
 * CHAT_MUTED. Deleting, muting, answering and lowering someone else's hand are for the course's
 * instructor or an admin (`findManagedSession`: FORBIDDEN otherwise).
 */

type InteractionServices = Pick<Services, "db" | "redis" | "keys" | "config" | "clock" | "events">;

/** Older chat messages per page of `session.chatHistory`. */
export const CHAT_HISTORY_PAGE_SIZE = 50;
/** The most open questions the snapshot lists. */
const OPEN_QUESTIONS_MAX = 500;

/** A message as the database returns it: the view with its times as dates. */
type MessageRow = Omit<ChatMessageView, "answeredAt" | "createdAt"> & { answeredAt: Date | null; createdAt: Date };

const toView = (row: MessageRow): ChatMessageView => ({
  ...row,
  answeredAt: row.answeredAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

/** Undeleted messages of a session matching `where`, newest first, at most `limit`. */
async function messages(
  services: Pick<Services, "db">,
  sessionId: string,
  where: Prisma.Sql,
  limit: number,
): Promise<ChatMessageView[]> {
  const rows = await services.db.$queryRaw<MessageRow[]>`
    SELECT m.id, m."clientMessageId", m."authorId", u.name AS "authorName",
           (m."authorId" = c."instructorId") AS "authorIsHost", m.body, m."isQuestion", m.votes,
           m."answeredAt", m."createdAt"
    FROM "ChatMessage" m
    JOIN "User" u ON u.id = m."authorId"
    JOIN "LiveSession" s ON s.id = m."sessionId"
    JOIN "Course" c ON c.id = s."courseId"
    WHERE m."sessionId" = ${sessionId}::uuid AND m."deletedAt" IS NULL ${where}
    ORDER BY m."createdAt" DESC, m.id DESC
    LIMIT ${limit}`;
  return rows.map(toView);
}

/** Hands up in a session, in raise order (only `userId`'s when given). */
async function handsUp(services: Pick<Services, "db">, sessionId: string): Promise<HandView[]> {
  const rows = await services.db.$queryRaw<{ id: string; userId: string; name: string; raisedAt: Date }[]>`
    SELECT h.id, h."userId", u.name, h."raisedAt"
    FROM "RaisedHand" h JOIN "User" u ON u.id = h."userId"
    WHERE h."sessionId" = ${sessionId}::uuid AND h."loweredAt" IS NULL
    ORDER BY h."raisedAt", h.id`;
  return rows.map((row) => ({ ...row, raisedAt: row.raisedAt.toISOString() }));
}

/** What every joined tab of a session sees alike: everything of its interaction but the viewer's votes. */
export type SharedInteraction = Omit<InteractionState, "myVotes">;

export async function loadSharedInteraction(
  services: Pick<Services, "db">,
  sessionId: string,
): Promise<SharedInteraction> {
  const [latest, openQuestions, hands, mutes] = await Promise.all([
    messages(services, sessionId, Prisma.empty, CHAT_SNAPSHOT_SIZE + 1),
    messages(services, sessionId, Prisma.sql`AND m."isQuestion" AND m."answeredAt" IS NULL`, OPEN_QUESTIONS_MAX),
    handsUp(services, sessionId),
    services.db.chatMute.findMany({ where: { sessionId }, select: { userId: true } }),
  ]);
  return {
    messages: latest.slice(0, CHAT_SNAPSHOT_SIZE).reverse(),
    hasOlder: latest.length > CHAT_SNAPSHOT_SIZE,
    openQuestions: openQuestions.reverse(),
    hands,
    mutedUserIds: mutes.map((mute) => mute.userId),
  };
}

/**
 * What a joined tab sees besides the participants: the stream's snapshot and its `interaction` event.
 * `shared`: the session's shared part when the caller already has one as recent as the tab needs.
 */
export async function loadInteraction(
  services: Pick<Services, "db">,
  sessionId: string,
  userId: string,
  shared: Promise<SharedInteraction> = loadSharedInteraction(services, sessionId),
): Promise<InteractionState> {
  const [room, votes] = await Promise.all([
    shared,
    services.db.questionVote.findMany({ where: { userId, message: { sessionId } }, select: { messageId: true } }),
  ]);
  return { ...room, myVotes: votes.map((vote) => vote.messageId) };
}

/**
 * The user may take part (docs/decisions/020: an admin, the course's instructor or enrolled: else
 * NOT_ENROLLED), the session is live and they are in the room (an active participant row, any tab).
 * Returns whether the host muted their chat.
 */
async function assertInRoom(services: Pick<Services, "db">, sessionId: string, user: SessionUser) {
  const [row] = await services.db.$queryRaw<
    {
      status: string;
      inRoom: boolean;
      muted: boolean;
      instructorId: string;
      instructorName: string;
      policy: EnrollmentPolicy;
      enrolled: boolean;
    }[]
  >`
    SELECT s.status, c."instructorId", i.name AS "instructorName", c."enrollmentPolicy"::text AS policy,
      EXISTS (SELECT 1 FROM "Enrollment" e WHERE e."courseId" = c.id AND e."userId" = ${user.id}::uuid) AS enrolled,
      EXISTS (SELECT 1 FROM "SessionParticipant" p
              WHERE p."sessionId" = s.id AND p."userId" = ${user.id}::uuid AND p."leftAt" IS NULL) AS "inRoom",
      EXISTS (SELECT 1 FROM "ChatMute" m WHERE m."sessionId" = s.id AND m."userId" = ${user.id}::uuid) AS muted
    FROM "LiveSession" s JOIN "Course" c ON c.id = s."courseId" JOIN "User" i ON i.id = c."instructorId"
    WHERE s.id = ${sessionId}::uuid`;
  if (!row) throw appError("NOT_FOUND", Reason.SESSION_NOT_FOUND, "This session does not exist.");
  if (!hasRoomAccess(user, row)) throw notEnrolled(row);
  if (row.status !== "LIVE") {
    throw appError("PRECONDITION_FAILED", Reason.SESSION_NOT_LIVE, "This session is not live.");
  }
  if (!row.inRoom) throw appError("FORBIDDEN", Reason.NOT_IN_ROOM, "Join the session to take part in it.");
  return { muted: row.muted };
}

function messageNotFound() {
  return appError("NOT_FOUND", Reason.MESSAGE_NOT_FOUND, "This message no longer exists.");
}

// ---------------------------------------------------------------------------------------------
// Chat and questions
// ---------------------------------------------------------------------------------------------

export interface SendInput {
  clientMessageId: string;
  body: string;
  asQuestion?: boolean | undefined;
}

/**
 * session.sendMessage — stores a chat message (or a question) once per client message id: a retry
 * answers the stored message, so an answer lost on the network never loses the message nor doubles
 * it. The room stream gets it once too (`appendChatPosted`): a retry appends it only if the first
 * send never did.
 */
export async function sendMessage(
  services: InteractionServices,
  user: SessionUser,
  sessionId: string,
  input: SendInput,
): Promise<ChatMessageView> {
  await spendRoomBudget(
    services,
    "chat",
    user.id,
    "You're sending messages too fast. Wait a few seconds, then send again.",
  );
  const { muted } = await assertInRoom(services, sessionId, user);
  if (muted) throw appError("FORBIDDEN", Reason.CHAT_MUTED, "The instructor turned off your chat in this session.");
  // The time is the database's, not this web instance's: the chat is ordered by it (and paged by it)
  // on every tab, whichever instance each message went through.
  await services.db.$executeRaw`
    INSERT INTO "ChatMessage" ("sessionId", "authorId", "clientMessageId", body, "isQuestion", "createdAt")
    VALUES (${sessionId}::uuid, ${user.id}::uuid, ${input.clientMessageId}, ${input.body},
            ${input.asQuestion === true}, clock_timestamp())
    ON CONFLICT ("sessionId", "authorId", "clientMessageId") DO NOTHING`;
  const [message] = await messages(
    services,
    sessionId,
    Prisma.sql`AND m."authorId" = ${user.id}::uuid AND m."clientMessageId" = ${input.clientMessageId}`,
    1,
  );
  // Deleted by the host between a send and its retry: nothing to show.
  if (!message) throw messageNotFound();
  await appendChatPosted(services, sessionId, message);
  return message;
}

/** session.chatHistory — the messages before a cursor (the oldest a tab has), oldest first. */
export async function chatHistory(
  services: InteractionServices,
  user: SessionUser,
  sessionId: string,
  before: { at: Date; id: string },
): Promise<{ messages: ChatMessageView[]; hasOlder: boolean }> {
  await spendRoomBudget(services, "action", user.id);
  await assertInRoom(services, sessionId, user);
  const page = await messages(
    services,
    sessionId,
    Prisma.sql`AND (m."createdAt", m.id) < (${before.at}, ${before.id}::uuid)`,
    CHAT_HISTORY_PAGE_SIZE + 1,
  );
  return { messages: page.slice(0, CHAT_HISTORY_PAGE_SIZE).reverse(), hasOlder: page.length > CHAT_HISTORY_PAGE_SIZE };
}

/** The host's moderation: the session, if `actor` manages its course; budgeted like other actions. */
async function moderated(services: InteractionServices, actor: SessionUser, sessionId: string) {
  await spendRoomBudget(services, "action", actor.id);
  return findManagedSession(services, actor, sessionId);
}

/** session.deleteMessage — the host hides a message (kept, soft-deleted) for everyone. Repeatable. */
export async function deleteMessage(
  services: InteractionServices,
  actor: SessionUser,
  sessionId: string,
  messageId: string,
): Promise<{ deleted: true }> {
  await moderated(services, actor, sessionId);
  const now = services.clock();
  const deleted = await services.db.chatMessage.updateMany({
    where: { id: messageId, sessionId, deletedAt: null },
    data: { deletedAt: now, deletedById: actor.id },
  });
  if (deleted.count === 0) {
    const exists = await services.db.chatMessage.count({ where: { id: messageId, sessionId } });
    if (exists === 0) throw messageNotFound();
  } else {
    await appendRoomEvent(services, sessionId, { type: "chat.deleted", messageId });
  }
  return { deleted: true };
}

/** session.setChatMuted — the host turns a participant's chat off (or on again) for this session. */
export async function setChatMuted(
  services: InteractionServices,
  actor: SessionUser,
  sessionId: string,
  userId: string,
  muted: boolean,
): Promise<{ muted: boolean }> {
  const session = await moderated(services, actor, sessionId);
  if (muted && userId === session.instructorId) {
    throw appError("FORBIDDEN", Reason.FORBIDDEN, "The course's instructor cannot be muted in their own session.");
  }
  const target = await services.db.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!target) throw appError("NOT_FOUND", Reason.USER_NOT_FOUND, "This person does not exist.");
  if (muted) {
    await services.db.chatMute.upsert({
      where: { sessionId_userId: { sessionId, userId } },
      create: { sessionId, userId, mutedById: actor.id, mutedAt: services.clock() },
      update: {},
    });
  } else {
    await services.db.chatMute.deleteMany({ where: { sessionId, userId } });
  }
  await appendRoomEvent(services, sessionId, { type: "chat.muted", userId, muted });
  return { muted };
}

/** session.upvoteQuestion — one vote per user and question; a second one changes nothing. */
export async function upvoteQuestion(
  services: InteractionServices,
  user: SessionUser,
  sessionId: string,
  messageId: string,
): Promise<{ votes: number }> {
  await spendRoomBudget(services, "action", user.id);
  await assertInRoom(services, sessionId, user);
  // The vote and the count in one statement: concurrent votes each add exactly one.
  const [voted] = await services.db.$queryRaw<{ votes: number }[]>`
    WITH question AS (
      SELECT id FROM "ChatMessage"
      WHERE id = ${messageId}::uuid AND "sessionId" = ${sessionId}::uuid AND "isQuestion" AND "deletedAt" IS NULL
    ), vote AS (
      INSERT INTO "QuestionVote" ("messageId", "userId", "createdAt")
      SELECT id, ${user.id}::uuid, ${services.clock()} FROM question
      ON CONFLICT DO NOTHING RETURNING "messageId"
    )
    UPDATE "ChatMessage" m SET votes = m.votes + 1 FROM vote WHERE m.id = vote."messageId" RETURNING m.votes`;
  if (voted) {
    await appendRoomEvent(services, sessionId, {
      type: "question.voted",
      messageId,
      votes: voted.votes,
      userId: user.id,
    });
    return voted;
  }
  const question = await services.db.chatMessage.findFirst({
    where: { id: messageId, sessionId, isQuestion: true, deletedAt: null },
    select: { votes: true },
  });
  if (!question) throw messageNotFound();
  return question;
}

/** session.answerQuestion — the host marks a question answered. Repeatable. */
export async function answerQuestion(
  services: InteractionServices,
  actor: SessionUser,
  sessionId: string,
  messageId: string,
): Promise<{ answeredAt: Date }> {
  await moderated(services, actor, sessionId);
  const now = services.clock();
  const answered = await services.db.chatMessage.updateMany({
    where: { id: messageId, sessionId, isQuestion: true, deletedAt: null, answeredAt: null },
    data: { answeredAt: now, answeredById: actor.id },
  });
  if (answered.count > 0) {
    await appendRoomEvent(services, sessionId, {
      type: "question.answered",
      messageId,
      answeredAt: now.toISOString(),
    });
    return { answeredAt: now };
  }
  const question = await services.db.chatMessage.findFirst({
    where: { id: messageId, sessionId, isQuestion: true, deletedAt: null },
    select: { answeredAt: true },
  });
  if (!question?.answeredAt) throw messageNotFound();
  return { answeredAt: question.answeredAt };
}

// ---------------------------------------------------------------------------------------------
// Raised hands
// ---------------------------------------------------------------------------------------------

/** session.raiseHand — at most one hand up per user (the partial unique index decides); repeatable. */
export async function raiseHand(
  services: InteractionServices,
  user: SessionUser,
  sessionId: string,
): Promise<HandView> {
  await spendRoomBudget(services, "action", user.id);
  await assertInRoom(services, sessionId, user);
  const [raised] = await services.db.$queryRaw<{ id: string; raisedAt: Date }[]>`
    INSERT INTO "RaisedHand" ("sessionId", "userId", "raisedAt")
    VALUES (${sessionId}::uuid, ${user.id}::uuid, ${services.clock()})
    ON CONFLICT ("sessionId", "userId") WHERE "loweredAt" IS NULL DO NOTHING
    RETURNING id, "raisedAt"`;
  const hand = (await handsUp(services, sessionId)).find((up) => up.userId === user.id);
  if (!hand) throw appError("CONFLICT", Reason.CONFLICT, "Your hand was lowered meanwhile. Raise it again.");
  if (raised) await appendRoomEvent(services, sessionId, { type: "hand.raised", hand });
  return hand;
}

/**
 * Lowers hands: the user's own (session.lowerHand), or as the host one person's or everyone's
 * (session.lowerHands). Repeatable: lowering a hand that is down changes nothing.
 */
async function lower(
  services: InteractionServices,
  actor: SessionUser,
  sessionId: string,
  userId: string | null,
): Promise<{ lowered: number }> {
  const rows = await services.db.$queryRaw<{ id: string; userId: string }[]>`
    UPDATE "RaisedHand" SET "loweredAt" = ${services.clock()}, "loweredById" = ${actor.id}::uuid
    WHERE "sessionId" = ${sessionId}::uuid AND "loweredAt" IS NULL
      ${userId ? Prisma.sql`AND "userId" = ${userId}::uuid` : Prisma.empty}
    RETURNING id, "userId"`;
  if (rows.length > 0) await announceLowered(services, sessionId, rows);
  return { lowered: rows.length };
}

/** The hands of people who left the room (any reason) go down by themselves. */
export async function lowerHandsOfLeavers(
  services: Pick<Services, "db" | "redis" | "keys" | "clock">,
  sessionId: string,
  userIds: string[],
): Promise<void> {
  // A room has few hands up, while a sweep's leavers can be thousands: the hands are matched here.
  const raised = await services.db.raisedHand.findMany({
    where: { sessionId, loweredAt: null },
    select: { id: true, userId: true },
  });
  if (raised.length === 0) return;
  const leaving = new Set(userIds);
  const handIds = raised.filter((hand) => leaving.has(hand.userId)).map((hand) => hand.id);
  if (handIds.length === 0) return;
  const rows = await services.db.$queryRaw<{ id: string; userId: string }[]>`
    UPDATE "RaisedHand" SET "loweredAt" = ${services.clock()}
    WHERE id = ANY(${handIds}::uuid[]) AND "loweredAt" IS NULL
    RETURNING id, "userId"`;
  if (rows.length > 0) await announceLowered(services, sessionId, rows);
}

async function announceLowered(
  services: Pick<Services, "redis" | "keys">,
  sessionId: string,
  rows: { id: string; userId: string }[],
): Promise<void> {
  await appendRoomEvent(services, sessionId, {
    type: "hand.lowered",
    handIds: rows.map((row) => row.id),
    userIds: rows.map((row) => row.userId),
  });
}

export async function lowerOwnHand(services: InteractionServices, user: SessionUser, sessionId: string) {
  await spendRoomBudget(services, "action", user.id);
  await assertRoomAccess(services, user, sessionId);
  return lower(services, user, sessionId, user.id);
}

/** session.lowerHands — the host lowers one person's hand (`userId`) or every hand (none given). */
export async function lowerHands(
  services: InteractionServices,
  actor: SessionUser,
  sessionId: string,
  userId: string | null,
) {
  await moderated(services, actor, sessionId);
  return lower(services, actor, sessionId, userId);
}

// ---------------------------------------------------------------------------------------------
// Reactions
// ---------------------------------------------------------------------------------------------

/** Reactions of a session are sent on once per this long, summed (one event, not one per click). */
export const REACTION_FLUSH_MS = 1_000;

// KEYS: the session's counts, its flush marker. ARGV: the reaction, the flush interval (ms).
// Returns 1 when this call set the marker: its instance sends the second's counts on.
const REACT_LUA = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 10)
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

// KEYS: the session's counts. Returns them (flat field, value list) and starts a new second.
const TAKE_REACTIONS_LUA = `
local counts = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return counts`;

interface ReactionScripts {
  roomReact(counts: string, marker: string, reaction: string, flushMs: number): Promise<number>;
  roomTakeReactions(counts: string): Promise<string[]>;
}

const withReactionScripts = new WeakSet<Services["redis"]>();

function reactionScripts(redis: Services["redis"]): ReactionScripts {
  if (!withReactionScripts.has(redis)) {
    redis.defineCommand("roomReact", { numberOfKeys: 2, lua: REACT_LUA });
    redis.defineCommand("roomTakeReactions", { numberOfKeys: 1, lua: TAKE_REACTIONS_LUA });
    withReactionScripts.add(redis);
  }
  return redis as unknown as ReactionScripts;
}

/** Sends the session's counts of the last second to every subscribed tab (one event). */
export async function flushReactions(services: Pick<Services, "redis" | "keys" | "events">, sessionId: string) {
  const flat = await reactionScripts(services.redis).roomTakeReactions(services.keys.roomReactions(sessionId));
  if (flat.length === 0) return;
  const counts: Partial<Record<Reaction, number>> = {};
  for (let i = 0; i < flat.length; i += 2) counts[flat[i] as Reaction] = Number(flat[i + 1]);
  await publishRoomEvent(services, sessionId, { type: "reactions", counts });
}

/**
 * session.react — counted in Redis for the current second; the first reaction of a second (on any
 * instance) schedules that second's one event, so 500 people clicking at once are one event per
 * second for each tab, not 500. Reactions are not stored: a tab that was away sees none of them.
 */
export async function react(
  services: InteractionServices & Pick<Services, "logger">,
  user: SessionUser,
  sessionId: string,
  reaction: Reaction,
): Promise<{ ok: true }> {
  await spendRoomBudget(services, "reaction", user.id);
  // In the room = a connection in presence: one Redis read, no Postgres on the busiest path.
  const connections = await connectionCountsOf(services, sessionId, [user.id]);
  if (!connections.get(user.id)) {
    // Not in the room: only then is the course read, to say why (the busy path stays Redis only).
    await assertRoomAccess(services, user, sessionId);
    throw appError("FORBIDDEN", Reason.NOT_IN_ROOM, "Join the session to react.");
  }
  roomCounters.reactions.inc();
  const keys = services.keys;
  const first = await reactionScripts(services.redis).roomReact(
    keys.roomReactions(sessionId),
    keys.roomReactionsFlush(sessionId),
    reaction,
    REACTION_FLUSH_MS,
  );
  if (first === 1) {
    setTimeout(() => {
      flushReactions(services, sessionId).catch((error: unknown) =>
        services.logger.warn({ err: error, sessionId }, "reactions: flush failed"),
      );
    }, REACTION_FLUSH_MS).unref();
  }
  return { ok: true };
}
