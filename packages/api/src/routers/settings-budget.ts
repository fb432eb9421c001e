import { z } from "zod";
import type { Context, SessionUser } from "../context";
import { spendRoomBudget } from "../services/room-limits";

/** Procedures that take nothing still refuse a body with fields (400, as everywhere). */
export const noInput = z.strictObject({}).optional();

/**
 * A change of the account's settings (name, reminders, calendar feed, a pending address change)
 * spends the ACCOUNT_RATE_SETTINGS budget (each is a write; rotating makes a new secret), after its
 * input was checked, so malformed calls answer 400, not 429.
 */
export async function withSettingsBudget<T>(
  ctx: Context & { user: SessionUser },
  change: () => Promise<T>,
): Promise<T> {
  await spendRoomBudget(
    ctx,
    "accountSettings",
    ctx.user.id,
    "Too many changes in a short time. Wait a moment and try again.",
  );
  return change();
}
