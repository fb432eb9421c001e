import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { loadEnvFile } from "./defaults.mjs";

describe("loadEnvFile", () => {
  const dirs: string[] = [];
  const names = ["LIVEHALL_TEST_FROM_FILE", "LIVEHALL_TEST_FROM_SHELL"];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    for (const name of names) delete process.env[name];
  });

  function repository(withEnvFile: boolean): string {
    const root = mkdtempSync(path.join(os.tmpdir(), "livehall-env-"));
    dirs.push(root);
    writeFileSync(path.join(root, "package-lock.json"), "{}");
    mkdirSync(path.join(root, "apps", "worker"), { recursive: true });
    if (withEnvFile)
      writeFileSync(path.join(root, ".env"), "LIVEHALL_TEST_FROM_FILE=file\nLIVEHALL_TEST_FROM_SHELL=file\n");
    return root;
  }

  test("reads the repository root's .env from a workspace folder; the shell's values win", () => {
    const root = repository(true);
    process.env.LIVEHALL_TEST_FROM_SHELL = "shell";
    loadEnvFile(path.join(root, "apps", "worker"));
    expect(process.env.LIVEHALL_TEST_FROM_FILE).toBe("file");
    expect(process.env.LIVEHALL_TEST_FROM_SHELL).toBe("shell");
  });

  test("does nothing without a .env", () => {
    const root = repository(false);
    loadEnvFile(path.join(root, "apps", "worker"));
    expect(process.env.LIVEHALL_TEST_FROM_FILE).toBeUndefined();
  });
});
