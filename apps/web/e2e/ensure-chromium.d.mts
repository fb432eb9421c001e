export declare const DEFAULT_CHROMIUM_PATH: string;
export declare function chromiumPath(): string;
export declare function ensureChromium(options?: { log?: (line: string) => void }): string;
