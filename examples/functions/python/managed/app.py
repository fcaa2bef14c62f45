"""A function for the managed Python runtime (Runtime: python3.12, Handler: app.handler): no
bootstrap in the zip; thaw runs it with AWS's Runtime Interface Client from /var/runtime.

The event's "action" picks what it does (tests/integration/test_python_runtime.py):
  echo (default)  returns the event, the context and the runtime's environment
  raise           raises ValueError(event["message"]) after printing a line
  sleep           sleeps event["seconds"]
  leak            allocates memory until the sandbox's limit kills it
  layer           imports `layermod` from a layer's /opt/python and returns its VALUE
  sqs             sends event["body"] to the queue event["queue_url"] with boto3
  ddb             puts {pk: event["key"], body: event["body"]} in the table event["table"] with
                  boto3, reads it back consistently and returns what it read
  log             logs event["message"] at DEBUG and at INFO with the logging module
"""

import logging
import os
import sys
import time

COLD = {"count": 0}


def handler(event, context):
    COLD["count"] += 1
    action = event.get("action", "echo")
    if action == "raise":
        print("about to fail")
        raise ValueError(event.get("message", "boom"))
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"]}
    if action == "leak":
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
    if action == "layer":
        import layermod  # from /opt/python
        return {"value": layermod.VALUE, "file": layermod.__file__}
    if action == "sqs":
        import boto3
        sqs = boto3.client("sqs")
        sent = sqs.send_message(QueueUrl=event["queue_url"], MessageBody=event["body"])
        return {"message_id": sent["MessageId"]}
    if action == "ddb":
        import boto3
        ddb = boto3.client("dynamodb")
        ddb.put_item(TableName=event["table"],
                     Item={"pk": {"S": event["key"]}, "body": {"S": event["body"]}})
        got = ddb.get_item(TableName=event["table"], Key={"pk": {"S": event["key"]}},
                           ConsistentRead=True)
        return {"item": got.get("Item")}
    if action == "log":
        logger = logging.getLogger()
        logger.debug("debug: %s", event["message"])
        logger.info("info: %s", event["message"])
        return {"logged": True}
    env = {k: os.environ.get(k) for k in (
        "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "PYTHONPATH",
        "AWS_ENDPOINT_URL", "_HANDLER", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_LOG_FORMAT",
        "AWS_LAMBDA_LOG_LEVEL")}
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "invocations": COLD["count"],
        "python": "%d.%d.%d" % sys.version_info[:3],
        "env": env,
        "cwd": os.getcwd(),
        "file": __file__,
    }
