import { defineConfig } from "prisma/config";

// The datasource URL lives here in Prisma 7. Only the CLI reads this file; the app builds its
// client with createDb(url) and the driver adapter.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://postgres:postgres@127.0.0.1:5432/livehall",
  },
});
