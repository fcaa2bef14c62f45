#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/NAME/ (a handful of small valid inputs per
target, taken from the unit tests). Rerun after changing a target's input format; the fuzzers
read the files, not this script. Seeds are named by content so reruns do not duplicate them."""
import hashlib
import io
import os
import re
import stat
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for seed in seeds:
        if isinstance(seed, str):
            seed = seed.encode()
        name = hashlib.sha1(seed).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(seed)


# http_request: the first byte sets the write size (byte % 64 + 1).
def http(split, raw):
    return bytes([split]) + raw.encode()


write("http_request", [
    http(63, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    http(3, "POST /x?Qualifier=v%201 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            "Content-Length: 11\r\n\r\n01234567890"),
    http(4, "POST /r HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type\r\nConnection: close\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.X\r\n\r\n"),
    http(1, "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\nok"),
    http(10, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b%2Fc HTTP/1.1\r\nHost: a\r\n\r\n"
             "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n"),
    http(0, "POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: a\r\n"
            "Content-Length: 70000\r\n\r\nxx"),
    http(20, "THIS IS NOT HTTP\r\n\r\n"),
])

# control_api: "METHOD PATH\n" then the body.
create = ('{"FunctionName":"f","Runtime":"provided.al2023","Role":"arn:aws:iam::123456789012:role/x",'
          '"Handler":"bootstrap","Description":"d","Timeout":900,"MemorySize":10240,'
          '"EphemeralStorage":{"Size":512},"TracingConfig":{"Mode":"Active"},'
          '"Environment":{"Variables":{"FOO":"1","BAR_2":"two"}},"Architectures":["arm64"],'
          '"Tags":{"team":"a","thaw:mechanism":"shim"},"Layers":["arn:aws:lambda:us-east-1:'
          '000000000000:layer:l:1"],"Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}')
write("control_api", [
    "POST /2015-03-31/functions\n" + create,
    "PUT /2015-03-31/functions/f/configuration\n{\"MemorySize\":0,\"Timeout\":901}",
    "PUT /2015-03-31/functions/f/code\n{\"ZipFile\":\"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\",\"Publish\":true}",
    "POST /2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af\n"
    "{\"Tags\":{\"k\":\"v\"}}",
    "POST /2015-03-31/functions/f/aliases\n{\"Name\":\"live\",\"FunctionVersion\":\"1\"}",
    "GET /2018-10-31/layers/l/versions/1\n",
    "DELETE /2015-03-31/functions/f/policy/s1?Qualifier=live\n",
    "PUT /2017-10-31/functions/f/concurrency\n{\"ReservedConcurrentExecutions\":5}",
])

# invoke: target, client context, trace header, body (one per line; the body is the rest).
ctx = "eyJjbGllbnQiOnsiaW5zdGFsbGF0aW9uX2lkIjoiaSJ9LCJjdXN0b20iOnsiayI6InYifX0="
trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Hlc=5.0"
write("invoke", [
    "/2015-03-31/functions/f/invocations\n\n\n{\"action\":\"echo\",\"payload\":1}",
    "/2015-03-31/functions/f/invocations?Qualifier=live\n" + ctx + "\n" + trace + "\n[1,2,3]",
    "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af%3A1/"
    "invocations\n\n\n\"s\"",
    "/2015-03-31/functions/f:live/invocations?Qualifier=1\n!!\n\n{",
])

# logs: the operation, "\n", the JSON 1.1 body.
g = '"logGroupName":"/aws/lambda/fn"'
write("logs", [
    'CreateLogGroup\n{"logGroupName":"/aws/lambda/new"}',
    'DescribeLogGroups\n{"logGroupNamePrefix":"/aws","limit":1,"nextToken":"o/1"}',
    'DescribeLogStreams\n{' + g + ',"orderBy":"LastEventTime","descending":true,"limit":1}',
    'GetLogEvents\n{' + g + ',"logStreamName":"a","limit":2,"startFromHead":true,"nextToken":"f/1"}',
    'GetLogEvents\n{' + g + ',"logStreamName":"b","startTime":20,"endTime":400,"nextToken":"b/4"}',
    'FilterLogEvents\n{"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:'
    '/aws/lambda/fn:*","filterPattern":"?ERROR -reset \\"talking to\\"","logStreamNames":["a","b"],'
    '"startTime":100,"endTime":300,"limit":1,"nextToken":"150/2","interleaved":true}',
    'CreateLogStream\n{' + g + ',"logStreamName":"c"}',
    'PutLogEvents\n{' + g + ',"logStreamName":"a","logEvents":[{"timestamp":1,"message":"m"},'
    '{"timestamp":2,"message":"\\u00ff"}]}',
    'DeleteLogGroup\n{' + g + '}',
])

# xray_segment: one segment document.
write("xray_segment", [
    '{"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a",'
    ' "parent_id": "53995c3f42cd8ad8", "name": "latency-host",'
    ' "start_time": 1764280000.5, "end_time": 1764280000.75, "origin": "AWS::EC2::Instance",'
    ' "annotations": {"thaw_hlc_start": "1764280000500000000.2", "thaw_hlc_end": "bad", "k": 3},'
    ' "subsegments": [{"id": "70de5b6f19ff9a0b", "name": "work", "start_time": 1764280000.6,'
    ' "in_progress": true, "subsegments": [{"id": "70de5b6f19ff9a0c", "name": "db",'
    ' "start_time": 1764280000.61, "end_time": 1764280000.62}]}]}',
    '{"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a", "name": "n",'
    ' "start_time": 1, "end_time": 2}',
])

write("trace_header", [
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;"
    "Lineage=a87bd80c:0;Hlc=1764280000123456789.3",
    "Root=1-5759e988-bd862e3fe1be46a994272793; Sampled=?;Parent=53995c3f42cd8ad8",
    "garbage;Root=x;Hlc=nope",
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Self=1-ab;Hlc=12.0",
])

# gob: the first byte sets the read size (byte % 16 + 1); the rest is a stream recorded from Go.
gob_test = open(os.path.join(ROOT, "src/host/gob_test.cc")).read()
streams = []
for m in re.finditer(r'constexpr std::string_view k\w+ =\s*((?:"[0-9a-f]*"\s*)+);', gob_test):
    streams.append(bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', m.group(1)))))
write("gob", [bytes([i % 16]) + s for i, s in enumerate(streams)])


# launcher_wire: kSpawn messages (src/sys/launcher_protocol.h EncodeSpawn): u32 type, u64 id, then
# the fields; a string is a u32 length and its bytes, a list a u32 count and its strings, a bool
# one byte; native (little) endian.
def spawn(id_, path, cwd, argv, env, enabled, tmp_mb, memory_mb, code_dir, tmp_image, isolated,
          opt_dir, extensions):
    s = lambda v: struct.pack("<I", len(v.encode())) + v.encode()
    lst = lambda vs: struct.pack("<I", len(vs)) + b"".join(s(v) for v in vs)
    out = struct.pack("<IQ", 1, id_) + s(path) + s(cwd) + lst(argv) + lst(env)
    out += bytes([enabled]) + struct.pack("<QQ", tmp_mb, memory_mb) + s(code_dir) + s(tmp_image)
    out += bytes([isolated]) + s(opt_dir) + lst(extensions)
    return out


write("launcher_wire", [
    spawn(1, "/bin/true", "/", ["true"], [], 0, 512, 128, "", "", 0, "", []),
    spawn(7, "/var/task/bootstrap", "/var/task", ["bootstrap", "-x", ""],
          ["AWS_LAMBDA_FUNCTION_NAME=f", "PATH=/usr/bin"], 1, 512, 256, "/state/code/ab",
          "/state/env/1/tmp.img", 1, "/state/opt/cd", ["a", "b-extension"]),
    spawn(2**64 - 1, "/x", "/tmp", ["x"], ["A="], 1, 10240, 10240, "/c", "/t", 0, "", ["e"]),
])


# sigv4: a flags byte (1: a date header came, 2: encode the path twice), then lines: Authorization,
# query, method, path, "name:value" headers.
def sigv4(flags, authorization, query, method="GET", path="/", headers=()):
    return bytes([flags]) + "\n".join([authorization, query, method, path, *headers]).encode()


auth = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
presigned = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1"
             "%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=600"
             "&X-Amz-SignedHeaders=host&X-Amz-Signature="
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
write("sigv4", [
    sigv4(3, auth, "", "GET", "/", ["Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z"]),
    sigv4(2, auth.replace("aws4_request", "nope"), "Qualifier=%24LATEST&b=2", "POST",
          "/2015-03-31/functions/my%24fn/invocations",
          ["host:127.0.0.1:9001", "x-amz-date:20240101T000000Z", "X-Amz-Security-Token:TOKEN",
           "My-Header:  a   b  ", "my-header:c"]),
    sigv4(1, "AWS4-HMAC-SHA256 Credential", presigned, "GET", "/thaw/code/ab.zip", ["host:h"]),
    sigv4(0, "Bearer xyz", presigned.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=x"),
          "PUT", "/a b/%zz/%4", []),
    sigv4(1, "AWS4-HMAC-SHA256 Credential=A/2024010/r/s/aws4_request,SignedHeaders=;;host;,Signature=x",
          "X-Amz-Credential=%2F%2F&=&&a", "", "", []),
])


# zip: small packages like the unit tests' (a bootstrap, a tree, a symlink) and unsafe names.
def make_zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED if len(data) > 8 else zipfile.ZIP_STORED
            z.writestr(info, data)
    return buf.getvalue()


write("zip", [
    make_zip([("bootstrap", b"#!/bin/sh\necho hi\n", stat.S_IFREG | 0o755)]),
    make_zip([("lib/", b"", stat.S_IFDIR | 0o755), ("lib/a.txt", b"a" * 100, stat.S_IFREG | 0o644),
              ("./lib/b.txt", b"b", stat.S_IFREG | 0o644)]),
    make_zip([("bootstrap", b"x", stat.S_IFREG | 0o755), ("link", b"bootstrap", stat.S_IFLNK | 0o777)]),
    make_zip([("../evil", b"x", stat.S_IFREG | 0o644)]),
    make_zip([("/abs", b"x", stat.S_IFREG | 0o644)]),
    make_zip([("big", b"\0" * 100000, stat.S_IFREG | 0o644)]),
])


# filter: the pattern on the first line, the record after it (also tried as an SQS body); the
# table shared by the unit and moto tests, and a few SQS bodies.
import json  # noqa: E402

with open(os.path.join(ROOT, "src", "filter", "testdata", "cases.json")) as f:
    cases = json.load(f)["cases"]
write("filter", [json.dumps(c["pattern"]) + "\n" + json.dumps(c["event"]) for c in cases] + [
    '{"body":{"RequestCode":["BBBB"]}}\n{"RecordNumber":1234,"RequestCode":"BBBB"}',
    '{"body":["BBBB"]}\nBBBB',
    '{"body":[{"numeric":[">",0,"<=",5e9]}],"attributes":{"SenderId":[{"anything-but":["x"]}]}}\n5',
    '{"a":[{"numeric":[">",1,"<",2,"<",3]}]}\n{}',
])

# sqs_request: byte 0 even = JSON ("Operation\n{body}"), odd = a query-protocol form.
Q = "http://h:1/000000000000/q"
F = "http://h:1/000000000000/q.fifo"


def sqs_json(op, body):
    return b"\x00" + op.encode() + b"\n" + body.encode()


def sqs_query(form):
    return b"\x01" + form.encode()


write("sqs_request", [
    sqs_json("SendMessage", '{"QueueUrl": "%s", "MessageBody": "hi", "DelaySeconds": 0, '
             '"MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}}' % Q),
    sqs_json("SendMessage", '{"QueueUrl": "%s", "MessageBody": "m", "MessageGroupId": "g", '
             '"MessageDeduplicationId": "d"}' % F),
    sqs_json("SendMessageBatch", '{"QueueUrl": "%s", "Entries": [{"Id": "1", "MessageBody": "a"}, '
             '{"Id": "2", "MessageBody": "b", "DelaySeconds": 1}]}' % Q),
    sqs_json("ReceiveMessage", '{"QueueUrl": "%s", "MaxNumberOfMessages": 10, "VisibilityTimeout": 0, '
             '"AttributeNames": ["All"], "MessageAttributeNames": ["All"]}' % Q),
    sqs_json("CreateQueue", '{"QueueName": "n.fifo", "Attributes": {"FifoQueue": "true", '
             '"ContentBasedDeduplication": "true", "VisibilityTimeout": "30"}, "tags": {"k": "v"}}'),
    sqs_json("SetQueueAttributes", '{"QueueUrl": "%s", "Attributes": {"RedrivePolicy": '
             '"{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:us-east-1:000000000000:q\\",\\"maxReceiveCount\\":2}"}}' % Q),
    sqs_json("GetQueueAttributes", '{"QueueUrl": "%s", "AttributeNames": ["All"]}' % F),
    sqs_json("ListQueues", '{"QueueNamePrefix": "q", "MaxResults": 1}'),
    sqs_json("ChangeMessageVisibilityBatch", '{"QueueUrl": "%s", "Entries": [{"Id": "1", '
             '"ReceiptHandle": "x", "VisibilityTimeout": 5}]}' % Q),
    sqs_json("DeleteMessage", '{"QueueUrl": "%s", "ReceiptHandle": "bad"}' % Q),
    sqs_json("TagQueue", '{"QueueUrl": "%s", "Tags": {"a": "b"}}' % Q),
    sqs_json("ListDeadLetterSourceQueues", '{"QueueUrl": "%s"}' % Q),
    sqs_query("Action=SendMessage&Version=2012-11-05&QueueUrl=%s&MessageBody=a+b%%0D%%0A"
              "&MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=Number"
              "&MessageAttribute.1.Value.StringValue=1.5" % Q),
    sqs_query("Action=SendMessageBatch&QueueUrl=%s&SendMessageBatchRequestEntry.1.Id=a"
              "&SendMessageBatchRequestEntry.1.MessageBody=x&SendMessageBatchRequestEntry.1.MessageGroupId=g"
              "&SendMessageBatchRequestEntry.1.MessageDeduplicationId=d" % F),
    sqs_query("Action=ReceiveMessage&QueueUrl=%s&AttributeName.1=All&MessageAttributeName.1=All"
              "&MaxNumberOfMessages=10" % Q),
    sqs_query("Action=CreateQueue&QueueName=z&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5"
              "&Tag.1.Key=k&Tag.1.Value=v"),
    sqs_query("Action=GetQueueAttributes&QueueUrl=%s&AttributeName.1=All" % Q),
    sqs_query("Action=ListQueues&QueueNamePrefix=q&MaxResults=1"),
    sqs_query("Action=DeleteMessageBatch&QueueUrl=%s&DeleteMessageBatchRequestEntry.1.Id=a"
              "&DeleteMessageBatchRequestEntry.1.ReceiptHandle=x" % Q),
    sqs_query("Action=ListQueueTags&QueueUrl=%s" % Q),
    sqs_query("Action=GetQueueUrl&QueueName=q"),
])

# sqs_attributes: byte 0 even = the JSON MessageAttributes map, odd = query MessageAttribute.N.*.
write("sqs_attributes", [
    b"\x00" + b'{"s": {"DataType": "String", "StringValue": "v"}, '
              b'"n": {"DataType": "Number.int", "StringValue": "-1e3"}, '
              b'"b": {"DataType": "Binary", "BinaryValue": "AAEC/w=="}}',
    b"\x00" + b'{"\xc3\xa9": {"DataType": "String.x", "StringValue": "\xe2\x82\xac\\r\\n"}}',
    b"\x00" + b'{}',
    b"\x01" + b"MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String"
              b"&MessageAttribute.1.Value.StringValue=x&MessageAttribute.2.Name=b"
              b"&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAE%3D",
])

# sns_request: a query-protocol form, run against topic "t" (SQS, raw+filtered SQS and Lambda
# subscriptions) and FIFO topic "f.fifo".
T = "arn:aws:sns:us-east-1:000000000000:t"
FT = "arn:aws:sns:us-east-1:000000000000:f.fifo"
write("sns_request", [
    "Action=Publish&TopicArn=%s&Message=hello&Subject=s" % T,
    "Action=Publish&TopicArn=%s&Message=m&MessageAttributes.entry.1.Name=a"
    "&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=xy"
    "&MessageAttributes.entry.2.Name=n&MessageAttributes.entry.2.Value.DataType=Number"
    "&MessageAttributes.entry.2.Value.StringValue=1.5" % T,
    "Action=Publish&TopicArn=%s&MessageStructure=json&Message=%%7B%%22default%%22%%3A%%22d%%22%%7D" % T,
    "Action=Publish&TopicArn=%s&Message=m&MessageGroupId=g&MessageDeduplicationId=d" % FT,
    "Action=PublishBatch&TopicArn=%s&PublishBatchRequestEntries.member.1.Id=a"
    "&PublishBatchRequestEntries.member.1.Message=one&PublishBatchRequestEntries.member.2.Id=b"
    "&PublishBatchRequestEntries.member.2.Message=two" % T,
    "Action=CreateTopic&Name=n&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=d"
    "&Tags.member.1.Key=k&Tags.member.1.Value=v",
    "Action=Subscribe&TopicArn=%s&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:000000000000:z"
    "&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%%7B%%22a%%22%%3A%%5B%%7B%%22numeric"
    "%%22%%3A%%5B%%22%%3E%%22%%2C1%%5D%%7D%%5D%%7D" % T,
    "Action=GetTopicAttributes&TopicArn=%s" % T,
    "Action=SetTopicAttributes&TopicArn=%s&AttributeName=DisplayName&AttributeValue=x" % T,
    "Action=ListTopics&NextToken=YQ==",
    "Action=ListSubscriptionsByTopic&TopicArn=%s" % T,
    "Action=TagResource&ResourceArn=%s&Tags.member.1.Key=a&Tags.member.1.Value=b" % T,
    "Action=UntagResource&ResourceArn=%s&TagKeys.member.1=a" % T,
    "Action=DeleteTopic&TopicArn=%s" % FT,
])

# ddb_expression: a byte picking the kind (0 condition, 1 filter, 2 projection, 3 key condition
# with hash key a and sort key b, 4 update), the expression, and optionally lines of
# ExpressionAttributeNames, ExpressionAttributeValues and an item (defaults in the target).
def ddb(kind, text, *lines):
    return bytes([kind]) + "\n".join((text,) + lines).encode()


write("ddb_expression", [
    ddb(0, "attribute_not_exists(a) OR (#a > :v AND NOT b IN (:s, :s))"),
    ddb(0, "size(b) BETWEEN :v AND :v AND begins_with(b, :s) AND contains(m.k, :s)"),
    ddb(0, "attribute_type(#n[0], :t) and #n[0] <> :v",
        '{"#n":"name"}', '{":t":{"S":"N"},":v":{"N":"2"}}'),
    ddb(1, "a = :v or b = :s"),
    ddb(2, "a, #n[0], m.k, b"),
    ddb(3, "a = :v AND begins_with(b, :s)"),
    ddb(3, "a = :v AND b BETWEEN :s AND :s"),
    ddb(4, "SET a = a + :v, b = if_not_exists(b, :s), #n = list_append(#n, :l) REMOVE m.k "
           "ADD c :ns DELETE d :ss"),
    ddb(4, "SET m.x[3] = :v REMOVE #n[0]"),
    ddb(4, "SET a = :big + :v", '{"#z":"z"}',
        '{":big":{"N":"99999999999999999999999999999999999999"},":v":{"N":"0.1"}}',
        '{"a":{"N":"1E-130"},"s":{"NS":["1","-1.5","9.9999999999999999999999999999999999999E+125"]}}'),
    ddb(4, "SET a X b"),
    ddb(0, "((a = :v) AND (NOT (b <> :s))) OR attribute_type(m, :s)"),
    ddb(4, "SET name[5] = :v, name[2] = :v REMOVE name[0], m.k DELETE m.k :ss"),
    ddb(2, "a, a.b, m.k[0], #n"),
])


# url_response: a byte for the piece size (% 16 + 1), a byte of flags (1: integration content
# type, 2: fails at the end, 4: not streamed), then the stream.
def url_response(piece, flags, stream):
    return bytes([piece, flags]) + stream


NULS = b"\0" * 8
write("url_response", [
    url_response(3, 1, b'{"statusCode":201,"headers":{"x-a":"1"},"cookies":["a=1"]}' + NULS + b"body"),
    url_response(0, 1, b'{"statusCode":"abc"}' + NULS + b"x"),
    url_response(5, 1, b'{"statusCode":204}'),
    url_response(7, 3, b'{"statusCode":200}' + NULS + b"part"),
    url_response(2, 0, b"chunk 0\nchunk 1\n"),
    url_response(15, 4, b'{"statusCode":418,"body":"dGVh","isBase64Encoded":true}'),
    url_response(1, 6, b'{"errorType":"E","errorMessage":"boom"}'),
])

# url_event: method, raw path, raw query (one a line), "name: value" headers, an empty line,
# the body.
write("url_event", [
    "GET\n/a/b%20c\nx=1&x=2&y\nHost: h\nCookie: a=1; b=2\nX-Multi: 1\nX-Multi: 2\n\n",
    "POST\n/\n\nContent-Type: application/octet-stream\n\n\x00\x01\xff",
    "PUT\n/p\nq=%zz\nContent-Type: text/plain; charset=utf-8\n\nplain text",
])
