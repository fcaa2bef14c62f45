// A small blocking HTTP/1.1 client with one keep-alive connection, for the CLI and tests; it
// signs its requests with SigV4 when given credentials.
// Thread-compatible: one thread uses one Client at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "auth/sigv4.h"
#include "base/status.h"
#include "http/message.h"

namespace thaw::http {

struct ClientOptions {
  // When set, every request is signed with SigV4 (AWS-style front doors require it).
  std::optional<auth::Credentials> credentials;
  std::string region = "us-east-1";
  // Empty: by request ("logs" for Logs_20140328.* targets, "sqs" for AmazonSQS.*, "xray" for
  // /TraceSegments, else "lambda").
  std::string service;
};

class Client {
 public:
  // Parses "http://host:port" or "host:port".
  static StatusOr<std::unique_ptr<Client>> Create(const std::string& endpoint,
                                                  ClientOptions options = {});
  virtual ~Client() = default;
  // Sends one request, reconnecting once if the kept-alive connection was closed.
  // timeout_ms bounds the whole exchange (0 = no limit).
  virtual StatusOr<Response> Do(const std::string& method, const std::string& target,
                                const Headers& headers, const std::string& body,
                                int64_t timeout_ms = 0) = 0;
  // CLOCK_MONOTONIC nanoseconds at which the last Do's first body byte arrived (0: no body):
  // for a streamed answer, its time to first byte.
  virtual int64_t first_body_ns() const { return 0; }
};

}  // namespace thaw::http
