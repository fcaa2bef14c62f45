"""`thaw stress --language python`: the seed's misbehaving functions in Python, one handler per
behaviour (Handler app.loop, app.leak, app.crash, app.exit). {"ok": true} returns at once, so
that the suite can see the function recover."""

import sys

_hoard = []


def loop(event, context):
    if event.get("ok"):
        return {"ok": True}
    while True:
        pass


def leak(event, context):
    """Keeps {"mb": N} (default 40) more MiB on every invocation, each page touched."""
    if event.get("ok"):
        return {"ok": True}
    _hoard.append(bytearray(b"\x01") * (event.get("mb", 40) << 20))
    return {"keptMb": sum(len(b) for b in _hoard) >> 20}


def crash(event, context):
    if event.get("ok"):
        return {"ok": True}
    raise Exception("boom")


def exit(event, context):  # noqa: A001 - the behaviour's name
    if event.get("ok"):
        return {"ok": True}
    sys.exit(1)
