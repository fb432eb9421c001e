import { loadEnvFile } from "../defaults.mjs";

/** Runs a CLI body and turns any failure into one readable line (no stack trace) and exit code 1. */
export function runCli(main: () => Promise<void>): void {
  loadEnvFile();
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`✖ ${message}`);
      if (process.env.DEBUG) console.error(error);
      process.exit(1);
    },
  );
}
