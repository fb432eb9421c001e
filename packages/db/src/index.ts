export { createDb, type Db, type CreateDbOptions } from "./client";
export { redactUrl, withDatabase, databaseName } from "./url";
export * from "./generated/prisma/enums";
export type * from "./generated/prisma/models";
export { Prisma } from "./generated/prisma/client";
