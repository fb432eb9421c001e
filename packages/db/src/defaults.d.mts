export declare const DEFAULT_DATABASE_URL: string;
export declare const DEFAULT_REDIS_URL: string;
export declare const TEST_DATABASE_NAME: string;
export declare function defaultHost(nodeEnv: string | undefined): string;
export declare function loadEnvFile(from?: string): void;
