import { DEFAULT_DATABASE_URL } from "../defaults.mjs";
import { dropDatabase, ensureDatabase, migrate } from "../migrate";
import { redactUrl } from "../url";
import { runCli } from "./run";

runCli(async () => {
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  // --fresh: rebuild from the migrations (npm test's template, which must never drift from them).
  if (process.argv.includes("--fresh")) await dropDatabase(url);
  if (await ensureDatabase(url)) console.log(`Created database ${redactUrl(url)}`);
  const { applied, alreadyApplied } = await migrate(url);
  for (const name of applied) console.log(`Applied migration ${name}`);
  console.log(
    `Database ${redactUrl(url)} is up to date (${applied.length} applied, ${alreadyApplied.length} already applied).`,
  );
});
