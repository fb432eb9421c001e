// The V8 flags the web server runs with: npm start, start:cluster, the soak and the benchmarks pass
// them (the workspace's own `start` script and the web image too, checked by node-flags.test.ts). A
// session opening brings a thousand requests at once, each alive until its join commits; with V8's
// default young generation most outlived a scavenge and were promoted, and GC took a quarter of the
// server's CPU in a join storm (docs/performance.md, "The third run").
export const WEB_NODE_FLAGS = ["--max-semi-space-size=64"];
