import { ensureDatabase, migrate } from "../migrate";
import { redactUrl } from "../url";
import { runCli } from "./run";

const DEFAULT_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:5432/livehall";

runCli(async () => {
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (await ensureDatabase(url)) console.log(`Created database ${redactUrl(url)}`);
  const { applied, alreadyApplied } = await migrate(url);
  for (const name of applied) console.log(`Applied migration ${name}`);
  console.log(
    `Database ${redactUrl(url)} is up to date (${applied.length} applied, ${alreadyApplied.length} already applied).`,
  );
});
