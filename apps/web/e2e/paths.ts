import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/web */
export const appRoot = path.dirname(here);
export const repoRoot = path.resolve(appRoot, "..", "..");
/** Screenshots and other test output (git-ignored). */
export const artifactsDir = path.join(here, "artifacts");
/** Where e2e runs build the app: each run in a folder of its own under here (git-ignored). */
export const E2E_RUNS_DIR = path.join(appRoot, ".cache", "e2e-runs");
/**
 * LIVEHALL_E2E_APP_ROOT names a fixed folder for a run's build instead (relative to apps/web), e.g. to
 * look at it afterwards; by default every run gets a fresh one, so two e2e runs at the same time on one
 * machine never rebuild each other's app mid-test.
 */
export const FIXED_E2E_APP_ROOT = process.env.LIVEHALL_E2E_APP_ROOT
  ? path.resolve(appRoot, process.env.LIVEHALL_E2E_APP_ROOT)
  : null;

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder the e2e specs serve as the app root: its build/ is this run's production build. */
    e2eAppRoot: string;
  }
}
