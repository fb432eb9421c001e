// `prisma generate` never uses the schema engine, but Prisma's CLI tries to download it first, which
// fails without access to Prisma's download server. Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
const result = spawnSync("prisma", ["generate"], { stdio: "inherit", env, shell: false });
if (result.error) {
  console.error(`prisma generate could not start: ${result.error.message}. Run \`npm install\` first.`);
  process.exit(1);
}
process.exit(result.status ?? 1);
