import type { AppRouter, inferRouterOutputs } from "@livehall/api";

type Outputs = inferRouterOutputs<AppRouter>;
export type SessionItem = Outputs["session"]["list"]["items"][number];
export type SessionPage = Outputs["session"]["list"];
export type SessionStats = Outputs["session"]["stats"];
export type SessionTab = "all" | "live" | "upcoming" | "ended";
