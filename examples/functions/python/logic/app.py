"""The mechanism examples' one handler (examples/functions/go/mech/logic) in Python, so that
`thaw compare --languages` measures the same work in Go, Python and Node.js. The event's
"action" picks a behaviour: echo, error, panic (an uncaught exception), exit, sleep, alloc, big,
log; see the Go package's comment."""

import os
import sys
import time

MECHANISM = "python"
_keep = []


def handler(event, context):
    action = event.get("action", "")
    out = {"mechanism": MECHANISM, "requestId": context.aws_request_id}
    if "payload" in event:
        out["payload"] = event["payload"]
    if action in ("", "echo"):
        pass
    elif action == "error":
        raise Exception(event.get("message", ""))
    elif action == "panic":
        raise RuntimeError(event.get("message", ""))
    elif action == "exit":
        sys.stdout.flush()
        os._exit(event.get("code", 0))
    elif action == "sleep":
        time.sleep(event.get("ms", 0) / 1000)
    elif action == "alloc":
        for _ in range(event.get("mb", 0)):
            _keep.append(bytearray(b"\x01" * (1 << 20)))
    elif action == "big":
        out["big"] = "x" * (event.get("mb", 0) << 20)
    elif action == "log":
        print("stdout: " + event.get("message", ""), flush=True)
        print("stderr: " + event.get("message", ""), file=sys.stderr, flush=True)
    else:
        raise ValueError(f"unknown action {action!r}")
    return out
