// The mechanism examples' one handler (examples/functions/go/mech/logic) in Node.js, so that
// `thaw compare --languages` measures the same work in Go, Python and Node.js. The event's
// "action" picks a behaviour: echo, error, panic (an uncaught exception), exit, sleep, alloc,
// big, log; see the Go package's comment.
const MECHANISM = 'nodejs';
const keep = [];

exports.handler = async (event, context) => {
  const action = event.action || '';
  const out = { mechanism: MECHANISM, requestId: context.awsRequestId };
  if (event.payload !== undefined) out.payload = event.payload;
  switch (action) {
    case '':
    case 'echo':
      break;
    case 'error':
      throw new Error(event.message || '');
    case 'panic':
      // Thrown outside the handler's promise: the runtime sees an uncaught exception.
      setImmediate(() => {
        throw new Error(event.message || '');
      });
      await new Promise(() => {});
      break;
    case 'exit':
      process.exit(event.code || 0);
      break;
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms || 0));
      break;
    case 'alloc':
      for (let i = 0; i < (event.mb || 0); i++) keep.push(Buffer.alloc(1 << 20, 1));
      break;
    case 'big':
      out.big = 'x'.repeat((event.mb || 0) << 20);
      break;
    case 'log':
      console.log('stdout: ' + (event.message || ''));
      console.error('stderr: ' + (event.message || ''));
      break;
    default:
      throw new Error(`unknown action "${action}"`);
  }
  return out;
};
