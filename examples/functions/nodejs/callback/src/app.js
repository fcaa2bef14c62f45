// A callback-style handler in a subdirectory (Handler: src/app.handler) for thaw's managed
// Node.js runtime. With callbackWaitsForEmptyEventLoop (the default) the response waits for the
// event loop to drain; set to false it is sent at once and the pending timer runs on the next
// invocation, as on AWS.
"use strict";

let timerFired = 0;

exports.handler = (event, context, callback) => {
  if (event.fail) {
    callback(new Error("callback failure"));
    return;
  }
  if (event.dontWait) context.callbackWaitsForEmptyEventLoop = false;
  const started = Date.now();
  setTimeout(() => {
    timerFired += 1;
  }, event.timerMs || 0);
  callback(null, {
    via: "callback",
    timerFiredBefore: timerFired,
    requestId: context.awsRequestId,
    elapsedAtCallback: Date.now() - started,
  });
};
