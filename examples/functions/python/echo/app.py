"""Echo function for the Python runtime interface client (awslambdaric)."""

import threading


def handler(event, context):
    if isinstance(event, dict) and event.get("threads"):
        # Threads start under the sandbox's seccomp filter (clone3 refused, clone allowed).
        done = []
        workers = [threading.Thread(target=done.append, args=(i,)) for i in range(event["threads"])]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        return {"threads": len(done)}
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
    }
