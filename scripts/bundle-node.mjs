// Bundles a Node entry point (server.ts, the worker) for production. Workspace packages
// (@livehall/*) ship TypeScript source and are compiled in; every npm dependency stays external
// and is loaded from node_modules at run time.
// Usage: node scripts/bundle-node.mjs <entry.ts> <out.js>
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: node scripts/bundle-node.mjs <entry.ts> <out.js>");
  process.exit(2);
}

const externalizeNpmPackages = {
  name: "externalize-npm-packages",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@livehall/")) return undefined;
      // The production Remix build is imported at run time, relative to the bundle.
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  logLevel: "warning",
  plugins: [externalizeNpmPackages],
  banner: {
    // Some bundled CommonJS helpers call require(); give ESM output one.
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
console.log(`bundled ${entry} -> ${outfile}`);
