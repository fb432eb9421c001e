import { loadCoreConfig } from "../config";
import { createContext, type Context, type SessionUser } from "../context";
import { closeServices, createServices } from "../services/container";

/** Services for the current test file (its own database and Redis namespace from the harness env). */
export function createTestServices(overrides: Record<string, string> = {}) {
  const config = loadCoreConfig({ ...process.env, ...overrides });
  const services = createServices(config);
  return {
    services,
    context: (user: SessionUser | null = null): Context => createContext(services, { user }),
    close: () => closeServices(services),
  };
}
