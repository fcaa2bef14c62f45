// `thaw stress --language nodejs`: the seed's misbehaving functions in Node.js, one handler per
// behaviour (Handler index.loop, index.leak, index.crash, index.exit). {"ok": true} returns at
// once, so that the suite can see the function recover.
const hoard = [];

exports.loop = async (event) => {
  if (event.ok) return { ok: true };
  for (;;) {
    // Busy: the event loop never turns again, so only the platform's timeout ends it.
  }
};

// Keeps {"mb": N} (default 40) more MiB on every invocation, each page touched.
exports.leak = async (event) => {
  if (event.ok) return { ok: true };
  hoard.push(Buffer.alloc((event.mb || 40) << 20, 1));
  return { keptMb: hoard.reduce((n, b) => n + b.length, 0) >> 20 };
};

exports.crash = async (event) => {
  if (event.ok) return { ok: true };
  throw new Error('boom');
};

exports.exit = async (event) => {
  if (event.ok) return { ok: true };
  process.exit(1);
};
