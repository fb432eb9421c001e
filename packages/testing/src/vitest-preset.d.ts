import type { ViteUserConfig } from "vitest/config";
export declare const integrationTestConfig: ViteUserConfig["test"];
export declare const janusGlobalSetup: string;
