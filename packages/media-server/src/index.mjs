// @livehall/media-server: installing, configuring, running and supervising Janus, and the network
// namespace media tests run in. It never speaks Janus's API beyond "are you up?" (packages/api
// does). Node built-ins only: `npm start` imports it before `npm install`.
export {
  JANUS_MODULES,
  SECRET_FILES,
  findJanusLibDir,
  janusConfigFiles,
  libconfigString,
  listJanusModules,
  parsePortRange,
  parseStunServer,
} from "./config.mjs";
export { INSTALL_HINT, ensureJanusInstalled, findJanus, janusVersion } from "./install.mjs";
export {
  MEDIA_NAMESPACE,
  mediaNamespaceEnv,
  namespaceProblem,
  runInMediaNamespace,
  socketDatabaseUrl,
} from "./namespace.mjs";
export { janusInfo, probeJanus, startJanus, waitForJanus, writeJanusConfig } from "./process.mjs";
export {
  EVENTS_PATH,
  EVENTS_USER,
  MEDIA_DEFAULTS,
  eventsUrlFor,
  isLoopbackUrl,
  localJanusOptions,
  mediaSettings,
  parseMediaServers,
} from "./settings.mjs";
export { createJanusSupervisor, restartDelay } from "./supervisor.mjs";
export { SBIN, UserError, aptInstall, canInstallWithApt, capture, isRoot, lastLine, which } from "./system.mjs";
