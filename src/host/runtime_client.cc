#include "host/runtime_client.h"

#include <strings.h>

#include <cstring>
#include <string_view>

#include "base/codec.h"

namespace thaw::host {

namespace {

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Headers of /next: Lambda-Runtime-* into the Invocation.
size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  auto* inv = static_cast<Invocation*>(user);
  if (EqualsIgnoreCase(name, "Lambda-Runtime-Aws-Request-Id")) {
    inv->request_id = value;
  } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Deadline-Ms")) {
    inv->deadline_ms = ParseInt(value).value_or(0);
  } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Invoked-Function-Arn")) {
    inv->function_arn = value;
  } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Trace-Id")) {
    inv->trace_id = value;
  } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Client-Context")) {
    inv->client_context = value;
  } else if (EqualsIgnoreCase(name, "Lambda-Runtime-Cognito-Identity")) {
    inv->cognito_identity = value;
  }
  return size * n;
}

}  // namespace

RuntimeClient::RuntimeClient(std::string endpoint)
    : base_("http://" + std::move(endpoint) + "/2018-06-01/runtime/"), curl_(curl_easy_init()) {}

RuntimeClient::~RuntimeClient() {
  if (curl_) curl_easy_cleanup(curl_);
}

StatusOr<RuntimeClient::Reply> RuntimeClient::Do(const char* method, const std::string& path,
                                                 const std::string& body,
                                                 const std::string& error_type) {
  if (!curl_) return Status::Internal("curl_easy_init failed");
  Reply reply;
  curl_easy_reset(curl_);
  std::string url = base_ + path;
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply.inv);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
  curl_slist* headers = nullptr;
  // No "Expect: 100-continue" round trip for large bodies.
  headers = curl_slist_append(headers, "Expect:");
  std::string type_header;
  if (std::strcmp(method, "POST") == 0) {
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    headers = curl_slist_append(headers, "Content-Type: application/json");
    if (!error_type.empty()) {
      type_header = "Lambda-Runtime-Function-Error-Type: " + error_type;
      headers = curl_slist_append(headers, type_header.c_str());
    }
  }
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(curl_);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return Status::Unavailable(std::string("Runtime API ") + method + " " + path + ": " +
                               curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

StatusOr<Invocation> RuntimeClient::Next() {
  THAW_ASSIGN_OR_RETURN(Reply r, Do("GET", "invocation/next", "", ""));
  if (r.status != 200) {
    return Status::Unavailable("Runtime API /next answered " + std::to_string(r.status));
  }
  r.inv.payload = std::move(r.body);
  return std::move(r.inv);
}

Status RuntimeClient::PostResponse(const std::string& request_id, const std::string& body) {
  THAW_ASSIGN_OR_RETURN(Reply r, Do("POST", "invocation/" + request_id + "/response", body, ""));
  // 413 (response too large) is thaw's to report; the invocation is over either way.
  if (r.status != 202 && r.status != 413) {
    return Status::Unavailable("Runtime API /response answered " + std::to_string(r.status));
  }
  return Status::Ok();
}

Status RuntimeClient::PostError(const std::string& request_id, const std::string& error_type,
                                const std::string& body) {
  THAW_ASSIGN_OR_RETURN(Reply r,
                        Do("POST", "invocation/" + request_id + "/error", body, error_type));
  if (r.status != 202) {
    return Status::Unavailable("Runtime API /error answered " + std::to_string(r.status));
  }
  return Status::Ok();
}

Status RuntimeClient::PostInitError(const std::string& error_type, const std::string& body) {
  THAW_ASSIGN_OR_RETURN(Reply r, Do("POST", "init/error", body, error_type));
  if (r.status != 202) {
    return Status::Unavailable("Runtime API /init/error answered " + std::to_string(r.status));
  }
  return Status::Ok();
}

}  // namespace thaw::host
