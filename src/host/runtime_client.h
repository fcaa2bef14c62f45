// RuntimeClient: thaw-host's side of Lambda's Runtime API (GET next, POST response/error,
// POST init/error) over one keep-alive libcurl handle, as aws-lambda-cpp does. Blocking;
// single-threaded.
#pragma once

#include <string>

#include <curl/curl.h>

#include "base/status.h"
#include "host/mechanism.h"

namespace thaw::host {

class RuntimeClient {
 public:
  // endpoint: AWS_LAMBDA_RUNTIME_API, "host:port".
  explicit RuntimeClient(std::string endpoint);
  ~RuntimeClient();
  RuntimeClient(const RuntimeClient&) = delete;
  RuntimeClient& operator=(const RuntimeClient&) = delete;

  StatusOr<Invocation> Next();
  Status PostResponse(const std::string& request_id, const std::string& body);
  Status PostError(const std::string& request_id, const std::string& error_type,
                   const std::string& body);
  Status PostInitError(const std::string& error_type, const std::string& body);

 private:
  struct Reply {
    long status = 0;
    std::string body;
    Invocation inv;  // headers of a /next reply
  };
  StatusOr<Reply> Do(const char* method, const std::string& path, const std::string& body,
                     const std::string& error_type);

  std::string base_;
  CURL* curl_;
};

}  // namespace thaw::host
