// A Node.js streaming function (Runtime: nodejs20.x, Handler: index.handler): the Runtime
// Interface Client's awslambda.streamifyResponse streams what the handler writes. event.chunks
// lines "chunk N\n", event.delayMs apart; event.fail throws after the first chunk (the error
// reaches the caller in the stream's trailers). Behind a function URL (a payload 2.0 event) the
// settings come from the query string (?chunks=&delayMs=&fail=1) and the stream starts with
// awslambda.HttpResponseStream.from's prelude: status 202, a header and a cookie.
// tests/integration/test_response_streaming.py and test_function_url_stream.py.
"use strict";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = awslambda.streamifyResponse(async (event, responseStream, _context) => {
  let settings = event;
  if (event.rawPath !== undefined) {
    const q = event.queryStringParameters || {};
    settings = { chunks: Number(q.chunks || 0), delayMs: Number(q.delayMs || 0), fail: q.fail === "1" };
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 202,
      headers: { "Content-Type": "text/plain", "X-Node-Stream": "1" },
      cookies: ["node=1; Path=/"],
    });
  } else {
    responseStream.setContentType("text/plain");
  }
  const chunks = settings.chunks || 3;
  for (let i = 0; i < chunks; i++) {
    responseStream.write(`chunk ${i}\n`);
    if (settings.fail && i === 0) {
      await sleep(settings.delayMs || 0);
      throw new Error("node stream failed");
    }
    await sleep(settings.delayMs || 0);
  }
  responseStream.end();
});
