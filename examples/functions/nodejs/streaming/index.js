// A Node.js streaming function (Runtime: nodejs20.x, Handler: index.handler): the Runtime
// Interface Client's awslambda.streamifyResponse streams what the handler writes. event.chunks
// lines "chunk N\n", event.delayMs apart; event.fail throws after the first chunk (the error
// reaches the caller in the stream's trailers). tests/integration/test_response_streaming.py.
"use strict";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = awslambda.streamifyResponse(async (event, responseStream, _context) => {
  responseStream.setContentType("text/plain");
  const chunks = event.chunks || 3;
  for (let i = 0; i < chunks; i++) {
    responseStream.write(`chunk ${i}\n`);
    if (event.fail && i === 0) {
      await sleep(event.delayMs || 0);
      throw new Error("node stream failed");
    }
    await sleep(event.delayMs || 0);
  }
  responseStream.end();
});
