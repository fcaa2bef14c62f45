"""Echo function for the Python runtime interface client (awslambdaric)."""


def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
    }
