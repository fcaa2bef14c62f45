// The http-sidecar mechanism: a long-lived HTTP server inside the environment (Sparta's Node.js
// proxy to a Go server; AWS's Lambda Web Adapter). thaw-host starts it with PORT set, waits until
// its readiness path answers, then forwards each event as an HTTP request. Settings follow the
// Lambda Web Adapter's: AWS_LWA_PORT (else a free port, also passed as PORT),
// AWS_LWA_READINESS_CHECK_PATH (default "/"), AWS_LWA_PASS_THROUGH_PATH (default "/events").
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "base/lambda_error.h"
#include "host/http_event.h"
#include "host/mechanism.h"
#include "host/process.h"

namespace thaw::host {

namespace {

// Inside thaw's 10 s init timeout, so that thaw-host can say why; THAW_READY_TIMEOUT_MS changes it.
constexpr int64_t kReadyBudgetMs = 9000;

std::string Env(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return v && *v ? v : fallback;
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    static_cast<HttpResult*>(user)->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

class SidecarMechanism : public Mechanism {
 public:
  ~SidecarMechanism() override {
    if (curl_) curl_easy_cleanup(curl_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string InitErrorType() const override { return init_error_type_; }

  Status Init() override {
    std::string path = EntryPath();
    if (Status s = CheckExecutable(path, "http-sidecar: the server executable"); !s.ok()) {
      init_error_type_ = Name(LambdaError::kRuntimeInvalidEntrypoint);
      return s;
    }
    std::string port = Env("AWS_LWA_PORT", "");
    if (port.empty()) {
      THAW_ASSIGN_OR_RETURN(int free_port, PickFreePort());
      port = std::to_string(free_port);
    }
    base_ = "http://127.0.0.1:" + port;
    pass_through_ = Env("AWS_LWA_PASS_THROUGH_PATH", "/events");
    std::string ready_path = Env("AWS_LWA_READINESS_CHECK_PATH", "/");
    curl_ = curl_easy_init();
    if (!curl_) return Status::Internal("curl_easy_init failed");
    THAW_ASSIGN_OR_RETURN(pid_, StartProcess(path, {"PORT=" + port, "AWS_LWA_PORT=" + port}));
    int64_t budget =
        std::atoll(Env("THAW_READY_TIMEOUT_MS", std::to_string(kReadyBudgetMs)).c_str());
    int64_t deadline = NowMs() + budget;
    for (;;) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return Status::FailedPrecondition(
            "http-sidecar: the server exited before it became ready (" +
            DescribeWaitStatus(status) + "); see its output above");
      }
      HttpRequest probe;
      probe.method = "GET";
      probe.target = ready_path;
      StatusOr<HttpResult> r = Send(probe, 200);
      if (r.ok() && r->status < 500) return Status::Ok();
      if (NowMs() >= deadline) {
        return Status::DeadlineExceeded(
            "http-sidecar: GET " + base_ + ready_path + " did not answer below 500 within " +
            std::to_string(budget) +
            " ms; the server must listen on 127.0.0.1:$PORT (or set AWS_LWA_PORT) and answer "
            "AWS_LWA_READINESS_CHECK_PATH (default /)");
      }
      usleep(2000);
    }
  }

  Outcome Invoke(const Invocation& inv) override {
    HttpRequest req;
    bool http_event = false;
    if (StatusOr<HttpRequest> mapped = RequestFromEvent(inv.payload); mapped.ok()) {
      req = std::move(*mapped);
      http_event = true;
    } else {
      req.method = "POST";
      req.target = pass_through_;
      req.body = inv.payload;
      req.headers.emplace_back("content-type", "application/json");
    }
    req.headers.emplace_back("lambda-runtime-aws-request-id", inv.request_id);
    req.headers.emplace_back("lambda-runtime-deadline-ms", std::to_string(inv.deadline_ms));
    req.headers.emplace_back("lambda-runtime-invoked-function-arn", inv.function_arn);
    if (!inv.trace_id.empty()) req.headers.emplace_back("x-amzn-trace-id", inv.trace_id);
    int64_t budget = inv.deadline_ms > 0 ? inv.deadline_ms - RealtimeMs() : 0;
    StatusOr<HttpResult> r = Send(req, budget > 0 ? budget : 0);
    Outcome out;
    if (!r.ok()) {
      // A server that died mid-request ends the environment the same way.
      for (int i = 0; i < 50; ++i) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          out.kind = Outcome::Kind::kExited;
          out.wait_status = status;
          return out;
        }
        usleep(1000);
      }
      out.kind = Outcome::Kind::kError;
      out.error_type = "Sidecar.NoResponse";
      out.body = ErrorJson(out.error_type, "http-sidecar: " + req.method + " " + req.target + ": " +
                                               r.status().message());
      return out;
    }
    std::string error_type = r->Header("lambda-runtime-function-error-type");
    if (!error_type.empty()) {
      out.kind = Outcome::Kind::kError;
      out.error_type = error_type;
      out.body = std::move(r->body);
      // Our sidecars say they are exiting after a panic, as aws-lambda-go's process does.
      if (std::string code = r->Header("thaw-sidecar-exit"); !code.empty()) {
        out.kind = Outcome::Kind::kErrorThenExit;
        out.wait_status = ExitedWith(std::atoi(code.c_str()));
      }
      return out;
    }
    if (http_event) {
      r->v2 = req.v2;
      out.body = ResponseToEvent(*r);
      return out;
    }
    if (r->status >= 200 && r->status < 300) {
      out.body = std::move(r->body);
      return out;
    }
    out.kind = Outcome::Kind::kError;
    out.error_type = "Sidecar.HTTPError";
    out.body =
        ErrorJson(out.error_type, "http-sidecar: POST " + pass_through_ + " answered " +
                                      std::to_string(r->status) + ": " + r->body.substr(0, 1024));
    return out;
  }

 private:
  static int64_t RealtimeMs() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  }

  StatusOr<HttpResult> Send(const HttpRequest& req, int64_t timeout_ms) {
    HttpResult result;
    curl_easy_reset(curl_);
    std::string url = base_ + req.target;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &result);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    if (timeout_ms > 0) curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    if (req.method == "HEAD") curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.size()));
    }
    curl_slist* headers = curl_slist_append(nullptr, "Expect:");
    for (const auto& [k, v] : req.headers)
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) return Status::Unavailable(curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    result.status = static_cast<int>(status);
    return result;
  }

  std::string base_, pass_through_;
  std::string init_error_type_ = Name(LambdaError::kRuntimeInitError);
  CURL* curl_ = nullptr;
  pid_t pid_ = -1;
};

}  // namespace

std::unique_ptr<Mechanism> NewSidecarMechanism() { return std::make_unique<SidecarMechanism>(); }

}  // namespace thaw::host
