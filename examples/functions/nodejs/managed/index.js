// A Node.js function for thaw's managed runtime (Runtime: nodejs20.x, Handler: index.handler):
// CommonJS, an async handler, no bootstrap in the zip. The event's "action" picks what it does;
// tests/integration/test_node_runtime.py drives it.
"use strict";

let invocations = 0; // module state survives between warm invocations

exports.handler = async (event, context) => {
  invocations += 1;
  switch (event.action) {
    case "throw":
      console.log("about to fail");
      throw new TypeError(event.message || "boom");
    case "sleep":
      await new Promise((resolve) => setTimeout(resolve, event.seconds * 1000));
      return { slept: event.seconds };
    case "leak": {
      const hog = [];
      for (;;) hog.push(Buffer.alloc(16 * 1024 * 1024, 1));
    }
    case "layer": {
      const mod = require("layermod");
      return { value: mod.value, file: require.resolve("layermod") };
    }
    case "log":
      console.log("info:", event.message);
      console.error("to stderr");
      return { logged: true };
    default:
      return {
        event,
        invocations,
        requestId: context.awsRequestId,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        logGroupName: context.logGroupName,
        logStreamName: context.logStreamName,
        remainingMs: context.getRemainingTimeInMillis(),
        node: process.versions.node,
        execArgv: process.execArgv,
        file: __filename,
        cwd: process.cwd(),
        traceId: process.env._X_AMZN_TRACE_ID || null,
        env: Object.fromEntries(
          [
            "AWS_EXECUTION_ENV", "AWS_ENDPOINT_URL", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
            "NODE_PATH", "_HANDLER", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION",
          ].map((k) => [k, process.env[k]]),
        ),
      };
  }
};
