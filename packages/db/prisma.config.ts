import { defineConfig } from "prisma/config";
import { DEFAULT_DATABASE_URL } from "./src/defaults.mjs";

// The datasource URL lives here in Prisma 7. Only the CLI reads this file; the app builds its
// client with createDb(url) and the driver adapter.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  },
});
