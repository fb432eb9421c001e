import { afterAll } from "vitest";
import { createTestDatabase } from "./test-database";
import { createRedisNamespace } from "./test-redis";
import { TEST_REDIS_URL } from "./env";

// Runs before each test file (setupFiles): the file gets its own database and Redis namespace,
// exposed through the same environment variables the app's config reads.
const database = await createTestDatabase();
const namespace = createRedisNamespace();

process.env.NODE_ENV = "test";
// Test servers listen on loopback, where the development secret is allowed.
process.env.HOST ??= "127.0.0.1";
process.env.DATABASE_URL = database.url;
process.env.REDIS_URL = TEST_REDIS_URL;
process.env.REDIS_KEY_PREFIX = namespace.prefix;
// No media server unless the run started one for its media suites (MEDIA_SERVERS set by their global setup).
process.env.MEDIA_SERVERS ??= "";
// Processes a test starts in production mode run as `npm start`'s demo mode does: mail is kept in the
// local outbox (no SMTP_URL) and links in it point at loopback (tests that follow links set their own).
process.env.DEMO_MODE ??= "true";
process.env.APP_URL ??= "http://127.0.0.1";

afterAll(async () => {
  await Promise.allSettled([database.drop(), namespace.clear()]);
});
