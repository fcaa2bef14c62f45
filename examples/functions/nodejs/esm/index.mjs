// An ES module handler (index.mjs) for thaw's managed Node.js runtime, with top-level await.
import { readFile } from "node:fs/promises";

const started = await Promise.resolve(Date.now());

export const handler = async (event, context) => {
  const self = await readFile(new URL(import.meta.url));
  return {
    esm: typeof require === "undefined",
    url: import.meta.url,
    bytes: self.length,
    requestId: context.awsRequestId,
    startedBefore: started <= Date.now(),
    event,
  };
};
