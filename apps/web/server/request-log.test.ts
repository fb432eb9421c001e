import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Logger } from "@livehall/api";
import { expect, test } from "vitest";
import { requestObservability } from "./observability.server";
import type { LocalsResponse } from "./request-context.server";

/** The request log line of one request to `url`, through the real middleware and a logger that keeps lines. */
function logLineFor(url: string) {
  const lines: Record<string, unknown>[] = [];
  const keep = (line: Record<string, unknown>) => void lines.push(line);
  const logger = { isLevelEnabled: () => true, info: keep, debug: keep, error: keep } as unknown as Logger;
  const res = Object.assign(new EventEmitter(), { statusCode: 200, locals: { requestId: "r1" } });
  requestObservability(logger)({ url, method: "GET" } as IncomingMessage, res as unknown as LocalsResponse);
  res.emit("finish");
  return lines[0]!;
}

test("a calendar feed's secret path is logged as /calendar/:token.ics; other pages keep their path", () => {
  const token = `${"a".repeat(32)}${"B".repeat(43)}`;
  expect(logLineFor(`/calendar/${token}.ics`)).toMatchObject({ path: "/calendar/:token.ics", status: 200 });
  expect(JSON.stringify(logLineFor(`/calendar/${token}.ics?x=1`))).not.toContain(token);
  expect(logLineFor("/sessions/abc/calendar.ics")).toMatchObject({ path: "/sessions/abc/calendar.ics" });
});
