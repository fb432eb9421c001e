// Entry point run by unshare inside a new media namespace (see namespace.mjs); not for direct use.
import { runInside } from "./namespace.mjs";

const [command, ...args] = process.argv.slice(2);
runInside(command, args).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`✖ Could not prepare the media namespace: ${error.message}`);
    process.exit(1);
  },
);
