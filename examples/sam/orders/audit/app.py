"""audit reads the orders table's stream and announces each new order on the topic, with its
item as a message attribute so that subscribers can filter on it. boto3 comes with the runtime,
as on AWS; on thaw, AWS_ENDPOINT_URL points it at thaw's SNS."""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)
sns = boto3.client("sns")
TOPIC_ARN = os.environ["TOPIC_ARN"]


def handler(event, context):
    announced = 0
    for record in event["Records"]:
        if record["eventName"] != "INSERT":
            continue
        image = record["dynamodb"]["NewImage"]
        order = {
            "orderId": image["orderId"]["S"],
            "item": image["item"]["S"],
            "quantity": int(image["quantity"]["N"]),
        }
        sns.publish(
            TopicArn=TOPIC_ARN,
            Message=json.dumps(order),
            MessageAttributes={"item": {"DataType": "String", "StringValue": order["item"]}},
        )
        logger.info("audit: announced order %s", order["orderId"])
        announced += 1
    return {"announced": announced}
