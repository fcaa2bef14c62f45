// `thaw stress`: deploys each function of the stress suite (examples/functions/go/stress, built
// to stress-<name>.zip by scripts/build-examples.sh) on a running thaw server, makes it
// misbehave, compares what the Invoke API answers with what Lambda answers, then checks that a
// normal invocation of the same function still works. With --via event the failing functions
// are driven through an Event invoke (retries and their timing, the OnFailure record, the DLQ),
// with --via sqs through an SQS trigger (a poison message cycling to the queue's DLQ), with
// --via sns through a topic's lambda subscription (SNS's Event invoke, then Lambda's retries,
// OnFailure record and DLQ, and the events.SNSEvent the function got); in each, stress-selfsend
// feeds itself until recursive loop detection stops it. --via kinesis|dynamodb are a stream
// trigger's (stress_streams.cc). The delays expected are computed from
// the server's --retry-delay-scale (GET /thaw/environments). The queues, topics, mappings and
// functions a --via run creates are deleted at its end. Runs on the main thread; the --via
// scenarios each on a thread of their own, sharing nothing but the flags (read-only) and the
// stderr lock.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/deploy.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/run_support.h"
#include "cli/stress_checks.h"
#include "cli/stress_streams.h"
#include "cli/tables.h"
#include "invoker/async_queue.h"
#include "trace/trace_header.h"

namespace thaw::cli {

namespace {

using nlohmann::json;

constexpr char kCommand[] = "stress";
constexpr char kFunctionPrefix[] = "thaw-stress-";
constexpr int64_t kLongTimeoutS = 60;       // for behaviours that end on their own
constexpr int64_t kInvokeSlackMs = 60'000;  // client timeout beyond the function's
constexpr int kMaxLeakInvocations = 10;
constexpr int64_t kIdleGapMs = 2000;        // goroutines: idle time between invocations
constexpr int64_t kShutdownLimitMs = 2500;  // ignoreterm: 500 ms budget plus slack
constexpr int64_t kPollMs = 20;
constexpr char kOkEvent[] = R"({"ok":true})";
// --via: the redrive policy of the failing functions' queues, and their event invoke config.
constexpr int kMaxReceiveCount = 3;
constexpr int kMaxRetryAttempts = 2;
constexpr int64_t kViaSlackMs = 15'000;  // beyond the expected end of a --via scenario
constexpr char kQueueArnPrefix[] = "arn:aws:sqs:";
constexpr char kSnsPrincipal[] = "sns.amazonaws.com";

struct StressFlags {
  std::string via = "invoke";   // invoke, event, sqs, sns, kinesis or dynamodb
  std::string language = "go";  // go, python or nodejs (managed runtimes: invoke only)
  std::string examples;
  std::vector<std::string> only;
  std::string json_file;
  int64_t memory_mb = 128;
  int64_t timeout_s = 2;
};

int64_t NowMs() { return SystemClock::Get().MonotonicNanos() / 1'000'000; }

// "function=F&since=NOW": the records of `function` from now on (a function of that name may
// have run in an earlier run).
std::string RecordsFrom(const std::string& function) {
  return "function=" + http::PercentEncode(function) +
         "&since=" + std::to_string(SystemClock::Get().RealtimeMillis());
}

void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Talks to the server for one run of the suite.
class Suite {
 public:
  Suite(http::Client& client, const StressFlags& flags, double delay_scale, std::string endpoint)
      : client_(client), flags_(flags), delay_scale_(delay_scale), endpoint_(std::move(endpoint)) {}
  ~Suite() { DeleteCreated(); }
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  const StressFlags& flags() const { return flags_; }
  http::Client& client() { return client_; }
  double delay_scale() const { return delay_scale_; }
  // Names unique to this run, for queues.
  std::string Unique(const std::string& name) const {
    return name + "-" + std::to_string(::getpid()) + "-" + std::to_string(run_stamp_);
  }

  // A custom runtime's bootstrap, unless `runtime` names a managed one (with its Handler).
  Status Deploy(const std::string& function, std::string zip, int64_t memory_mb, int64_t timeout_s,
                const std::string& runtime = "", const std::string& handler = "") {
    THAW_ASSIGN_OR_RETURN(std::optional<json> existing, FindFunction(client_, function));
    DeploySpec spec;
    spec.name = function;
    spec.zip = std::move(zip);
    spec.memory_mb = memory_mb;
    spec.timeout_s = timeout_s;
    if (!runtime.empty()) {
      spec.runtime = runtime;
      spec.runtime_given = true;
      spec.handler = handler;
    }
    return DeployFunction(client_, spec, existing, nullptr).status();
  }

  // A synchronous Invoke with LogType=Tail; any HTTP answer is an observation.
  StatusOr<Observation> Invoke(const std::string& function, const std::string& payload,
                               int64_t timeout_s) {
    http::Headers headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("X-Amz-Log-Type", "Tail");
    THAW_ASSIGN_OR_RETURN(http::Response response,
                          Send(client_, "POST", FunctionTarget(function, "/invocations"), payload,
                               headers, timeout_s * 1000 + kInvokeSlackMs));
    return Observe(response);
  }

  // The server's introspection: GET /thaw/environments, those of `function`.
  StatusOr<std::vector<json>> Environments(const std::string& function) {
    THAW_ASSIGN_OR_RETURN(json body, CallJson(client_, "GET", "/thaw/environments"));
    std::vector<json> out;
    if (!body.is_object() || !body.contains("environments") || !body["environments"].is_array()) {
      return Status::Internal("/thaw/environments answered without an environments list");
    }
    for (const json& e : body["environments"]) {
      if (JsonString(e, "function") == function) out.push_back(e);
    }
    return out;
  }

  // One call of SQS's JSON protocol (AmazonSQS.<action>).
  StatusOr<json> Sqs(const std::string& action, const json& request) {
    http::Headers headers;
    headers.Set("X-Amz-Target", "AmazonSQS." + action);
    headers.Set("Content-Type", "application/x-amz-json-1.0");
    THAW_ASSIGN_OR_RETURN(http::Response response,
                          Send(client_, "POST", "/", DumpJson(request), headers));
    THAW_RETURN_IF_ERROR(ResponseStatus(response));
    json body = json::parse(response.body, nullptr, false);
    if (!body.is_object()) return Status::Internal("SQS " + action + " answered non-JSON");
    return body;
  }

  // Creates a queue; it is deleted when the suite ends. Returns {url, arn}.
  StatusOr<std::pair<std::string, std::string>> CreateQueue(const std::string& name,
                                                            const json& attributes) {
    THAW_ASSIGN_OR_RETURN(json created,
                          Sqs("CreateQueue", {{"QueueName", name}, {"Attributes", attributes}}));
    std::string url = JsonString(created, "QueueUrl");
    queues_.push_back(url);
    THAW_ASSIGN_OR_RETURN(
        json got, Sqs("GetQueueAttributes", {{"QueueUrl", url}, {"AttributeNames", {"QueueArn"}}}));
    std::string arn = got.contains("Attributes") ? JsonString(got["Attributes"], "QueueArn") : "";
    if (!arn.starts_with(kQueueArnPrefix)) return Status::Internal("queue " + url + " has no ARN");
    return std::make_pair(url, arn);
  }

  // The first message of the queue (deleted), or nullopt when none came by `deadline_ms`.
  StatusOr<std::optional<QueueMessage>> ReceiveOne(const std::string& url, int64_t deadline_ms) {
    while (true) {
      int64_t left_s = std::clamp<int64_t>((deadline_ms - NowMs()) / 1000, 0, 5);
      THAW_ASSIGN_OR_RETURN(json got,
                            Sqs("ReceiveMessage", {{"QueueUrl", url},
                                                   {"MaxNumberOfMessages", 1},
                                                   {"WaitTimeSeconds", left_s},
                                                   {"MessageAttributeNames", {"All"}},
                                                   {"MessageSystemAttributeNames", {"All"}}}));
      if (got.contains("Messages") && got["Messages"].is_array() && !got["Messages"].empty()) {
        const json& m = got["Messages"][0];
        THAW_RETURN_IF_ERROR(
            Sqs("DeleteMessage",
                {{"QueueUrl", url}, {"ReceiptHandle", JsonString(m, "ReceiptHandle")}})
                .status());
        return std::optional<QueueMessage>(ParseQueueMessage(m));
      }
      if (NowMs() >= deadline_ms) return std::optional<QueueMessage>();
    }
  }

  // An SQS trigger of `function` on `queue_arn`, batch size 1, once it is Enabled; it is deleted
  // when the suite ends.
  Status CreateMapping(const std::string& function, const std::string& queue_arn) {
    json request = {{"EventSourceArn", queue_arn}, {"FunctionName", function}, {"BatchSize", 1}};
    THAW_ASSIGN_OR_RETURN(json created, CallJson(client_, "POST", kMappingsPath, &request));
    std::string uuid = JsonString(created, "UUID");
    mappings_.push_back(uuid);
    for (int64_t deadline = NowMs() + kViaSlackMs; NowMs() < deadline; SleepMs(50)) {
      THAW_ASSIGN_OR_RETURN(json got, CallJson(client_, "GET", kMappingsPath + ("/" + uuid)));
      if (JsonString(got, "State") == "Enabled") return Status::Ok();
    }
    return Status::DeadlineExceeded("event source mapping " + uuid + " did not become Enabled");
  }

  // The invocation records matching `query` ("function=F", "requestId=ID"), oldest first.
  StatusOr<std::vector<AttemptRecord>> Records(const std::string& query) {
    THAW_ASSIGN_OR_RETURN(json got,
                          CallJson(client_, "GET", "/thaw/invocations?limit=1000&" + query));
    std::vector<AttemptRecord> out;
    if (got.contains("invocations") && got["invocations"].is_array()) {
      for (const json& r : got["invocations"]) out.push_back(ParseAttemptRecord(r));
    }
    std::sort(out.begin(), out.end(), [](const AttemptRecord& a, const AttemptRecord& b) {
      return a.start_ms < b.start_ms;
    });
    return out;
  }

  // Polls Records(query) until `count` are there, or `wait_ms` passed.
  StatusOr<std::vector<AttemptRecord>> AwaitRecords(const std::string& query, size_t count,
                                                    int64_t wait_ms) {
    int64_t deadline = NowMs() + wait_ms;
    while (true) {
      THAW_ASSIGN_OR_RETURN(std::vector<AttemptRecord> records, Records(query));
      if (records.size() >= count || NowMs() >= deadline) return records;
      SleepMs(100);
    }
  }

  // RecursiveInvocationsDropped of `function` (GET /thaw/environments).
  StatusOr<int64_t> RecursiveDrops(const std::string& function) {
    THAW_ASSIGN_OR_RETURN(json body, CallJson(client_, "GET", "/thaw/environments"));
    if (!body.contains("recursiveInvocationsDropped")) return int64_t{0};
    return JsonInt(body["recursiveInvocationsDropped"], function, 0);
  }

  // One call of SNS's query protocol; the answer's XML. An error answer gives a Status with its
  // Code and Message ("AuthorizationError: ...").
  StatusOr<std::string> Sns(const std::string& action,
                            const std::vector<std::pair<std::string, std::string>>& params) {
    if (!sns_client_) {
      THAW_ASSIGN_OR_RETURN(sns_client_, Connect(endpoint_, "sns"));
    }
    std::string body = "Action=" + action + "&Version=2010-03-31";
    for (const auto& [key, value] : params) {
      body += "&" + http::PercentEncode(key) + "=" + http::PercentEncode(value);
    }
    http::Headers headers;
    headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    THAW_ASSIGN_OR_RETURN(http::Response response, Send(*sns_client_, "POST", "/", body, headers));
    if (response.status == 200) return std::move(response.body);
    return Status(ResponseStatus(response).code(),
                  "SNS " + action + ": " + XmlElementText(response.body, "Code") + ": " +
                      XmlElementText(response.body, "Message") + " (HTTP " +
                      std::to_string(response.status) + ")");
  }

  // Creates a standard topic; it is deleted (with its subscriptions) when the suite ends.
  StatusOr<std::string> CreateTopic(const std::string& name) {
    THAW_ASSIGN_OR_RETURN(std::string xml, Sns("CreateTopic", {{"Name", name}}));
    std::string arn = XmlElementText(xml, "TopicArn");
    if (arn.empty()) return Status::Internal("CreateTopic answered without a TopicArn");
    topics_.push_back(arn);
    return arn;
  }

  // Deletes what --via created: mappings first, so no poller reads a queue being deleted.
  void DeleteCreated() {
    for (const std::string& uuid : mappings_) {
      (void)Send(client_, "DELETE", kMappingsPath + ("/" + uuid));
    }
    for (const std::string& arn : topics_) (void)Sns("DeleteTopic", {{"TopicArn", arn}});
    for (const std::string& url : queues_) (void)Sqs("DeleteQueue", {{"QueueUrl", url}});
    mappings_.clear();
    topics_.clear();
    queues_.clear();
  }

  // The messages of one log stream of /aws/lambda/<function>, joined with '\n'.
  StatusOr<std::string> StreamText(const std::string& function, const std::string& stream) {
    http::Headers headers;
    headers.Set("X-Amz-Target", "Logs_20140328.FilterLogEvents");
    headers.Set("Content-Type", "application/x-amz-json-1.1");
    json request = {{"logGroupName", "/aws/lambda/" + function},
                    {"logStreamNames", json::array({stream})}};
    THAW_ASSIGN_OR_RETURN(http::Response response,
                          Send(client_, "POST", "/", DumpJson(request), headers));
    THAW_RETURN_IF_ERROR(ResponseStatus(response));
    json body = json::parse(response.body, nullptr, false);
    std::string text;
    if (body.is_object() && body.contains("events") && body["events"].is_array()) {
      for (const json& event : body["events"]) text += JsonString(event, "message") + "\n";
    }
    return text;
  }

 private:
  static constexpr char kMappingsPath[] = "/2015-03-31/event-source-mappings";

  http::Client& client_;
  const StressFlags& flags_;
  double delay_scale_;
  std::string endpoint_;
  std::unique_ptr<http::Client> sns_client_;  // signed for "sns"; made by the first Sns call
  int64_t run_stamp_ = NowMs() % 1'000'000;
  std::vector<std::string> queues_;
  std::vector<std::string> topics_;
  std::vector<std::string> mappings_;
};

// ---- The behaviours --------------------------------------------------------------------------

using RunFn = StatusOr<Verdict> (*)(Suite&, const std::string& function);

struct Behaviour {
  const char* name;
  const char* expected;   // Lambda's outcome, for the EXPECTED column
  bool short_timeout;     // deployed with --timeout instead of kLongTimeoutS
  int64_t min_memory_mb;  // deployed with at least this MemorySize (0: --memory)
  RunFn run;
};

StatusOr<Verdict> RunTimeout(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", s.flags().timeout_s));
  return CheckTimeout(o, s.flags().timeout_s);
}

StatusOr<Verdict> RunEventBomb(Suite& s, const std::string& function) {
  json event = {{"mb", 2 * s.flags().memory_mb}};
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, event.dump(), kLongTimeoutS));
  return CheckOutOfMemory(o);
}

StatusOr<Verdict> RunLeak(Suite& s, const std::string& function) {
  json event = {{"mb", std::max<int64_t>(40, s.flags().memory_mb / 4)}};
  Observation last;
  for (int i = 1; i <= kMaxLeakInvocations; ++i) {
    THAW_ASSIGN_OR_RETURN(last, s.Invoke(function, event.dump(), kLongTimeoutS));
    if (last.http_status != 200 || !last.function_error.empty()) {
      Verdict v = CheckOutOfMemory(last);
      v.observed = "invoke " + std::to_string(i) + ": " + v.observed;
      return v;
    }
  }
  return Verdict{
      "no error in " + std::to_string(kMaxLeakInvocations) + " invokes: " + Describe(last),
      {"no OOM kill: the function kept every allocation (no memory limit)"}};
}

StatusOr<Verdict> RunPanic(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckGoPanic(o, "string", "boom");
}

StatusOr<Verdict> RunNilDeref(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckGoPanic(o, "errorString",
                      "runtime error: invalid memory address or nil pointer dereference");
}

StatusOr<Verdict> RunExit(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckExitError(o, 1);
}

StatusOr<Verdict> RunForkBomb(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckForkBomb(o);
}

StatusOr<Verdict> RunGoroutines(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation first, s.Invoke(function, "{}", kLongTimeoutS));
  Verdict v = CheckSuccess(first);
  if (!v.pass()) return v;
  SleepMs(kIdleGapMs);
  THAW_ASSIGN_OR_RETURN(Observation second, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckGoroutinesFrozen(second);
}

StatusOr<Verdict> RunFlood(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, R"({"mb":20})", kLongTimeoutS));
  Verdict v = CheckSuccess(o);
  int64_t written = o.json.is_object() ? JsonInt(o.json, "written", 0) : 0;
  if (written < (20 << 20)) v.mismatches.push_back("wrote " + std::to_string(written) + " bytes");
  if (v.pass()) v.observed = "ok, " + std::to_string(written >> 20) + " MiB of stdout";
  return v;
}

StatusOr<Verdict> RunBigResponse(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckResponseTooLarge(o);
}

StatusOr<Verdict> RunTmpFill(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckTmpFill(o);
}

// Warms one environment, then changes the configuration, which makes the server shut it down:
// SIGTERM (the function registered for it), which the function ignores, then SIGKILL at the end
// of the shutdown budget. Observed through GET /thaw/environments and the environment's log.
StatusOr<Verdict> RunIgnoreTerm(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation first, s.Invoke(function, "{}", kLongTimeoutS));
  Verdict v = CheckSuccess(first);
  if (!v.pass()) return v;
  json env;
  for (int64_t deadline = NowMs() + 5000; env.is_null() && NowMs() < deadline; SleepMs(kPollMs)) {
    THAW_ASSIGN_OR_RETURN(std::vector<json> envs, s.Environments(function));
    for (const json& e : envs) {
      if (JsonString(e, "state") == "idle") env = e;
    }
  }
  if (env.is_null()) return Verdict{"no idle environment", {"no idle environment after 5 s"}};
  std::string id = JsonString(env, "id");

  int64_t start = NowMs();
  json config = {{"Description", "thaw stress: shut down at " + std::to_string(start)}};
  THAW_RETURN_IF_ERROR(
      CallJson(s.client(), "PUT", FunctionTarget(function, "/configuration"), &config).status());
  int64_t gone_ms = -1;
  while (gone_ms < 0 && NowMs() - start < 2 * kShutdownLimitMs) {
    THAW_ASSIGN_OR_RETURN(std::vector<json> envs, s.Environments(function));
    bool present = false;
    for (const json& e : envs) present = present || JsonString(e, "id") == id;
    if (!present) gone_ms = NowMs() - start;
    if (gone_ms < 0) SleepMs(kPollMs);
  }
  bool logged = false;
  for (int64_t deadline = NowMs() + 2000; !logged && NowMs() < deadline; SleepMs(50)) {
    THAW_ASSIGN_OR_RETURN(std::string text, s.StreamText(function, JsonString(env, "logStream")));
    logged = text.find("SIGTERM received") != std::string::npos;
  }
  char gone[64];
  std::snprintf(gone, sizeof(gone), "gone after %.2f s", static_cast<double>(gone_ms) / 1000);
  v.observed = std::string(logged ? "SIGTERM logged, " : "no SIGTERM in log, ") +
               (gone_ms < 0 ? "still there after 5 s" : gone);
  if (!logged) v.mismatches.emplace_back("the SIGTERM hook's line is not in the log stream");
  if (gone_ms < 0 || gone_ms > kShutdownLimitMs) {
    v.mismatches.emplace_back("the environment was not gone within 2.5 s of the shutdown");
  }
  return v;
}

// Each sleeping child of forkbomb holds about 0.9 MB (a Go runtime and 3 threads), so at 128 MB
// the memory limit would stop it first; at 1024 MB the 1,024 pids limit does, as intended.
constexpr int64_t kForkBombMemoryMb = 1024;

constexpr Behaviour kBehaviours[] = {
    {"loop", "Unhandled Sandbox.Timedout; REPORT timeout", true, 0, RunTimeout},
    {"sleep", "Unhandled Sandbox.Timedout; REPORT timeout", true, 0, RunTimeout},
    {"eventbomb",
     "Unhandled Runtime.OutOfMemory; REPORT error Runtime.OutOfMemory; max used = size", false, 0,
     RunEventBomb},
    {"leak", "Runtime.OutOfMemory (as eventbomb) within 10 invokes", false, 0, RunLeak},
    {"panic", "Unhandled string \"boom\" + Go stackTrace", false, 0, RunPanic},
    {"nilderef", "Unhandled errorString \"runtime error: invalid memory...\" + Go stackTrace",
     false, 0, RunNilDeref},
    {"exit", "Unhandled Runtime.ExitError exit status 1; REPORT error Runtime.ExitError", false, 0,
     RunExit},
    {"forkbomb", "EAGAIN at the 1024 pids limit (or Sandbox.Timedout); at >= 1024 MB", false,
     kForkBombMemoryMb, RunForkBomb},
    {"goroutines", "frozen while idle: counter advances < 50 in 2 s", false, 0, RunGoroutines},
    {"flood", "success", false, 0, RunFlood},
    {"bigresponse", "Unhandled Function.ResponseSizeTooLarge", false, 0, RunBigResponse},
    {"tmpfill", "ENOSPC after 400-520 MiB (/tmp is 512 MB)", false, 0, RunTmpFill},
    {"ignoreterm", "SIGTERM, then SIGKILL after the 500 ms shutdown budget", false, 0,
     RunIgnoreTerm},
};

// ---- In the managed runtimes (--language python|nodejs) ---------------------------------------

// One zip per language (stress-python.zip: app.py; stress-nodejs.zip: index.js) with a handler
// per behaviour, named like it: Handler app.loop, index.crash, ...
StatusOr<Verdict> RunScriptCrash(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckScriptError(o, s.flags().language, "crash");
}

constexpr Behaviour kPythonBehaviours[] = {
    {"loop", "Unhandled Sandbox.Timedout; REPORT timeout", true, 0, RunTimeout},
    {"leak", "Runtime.OutOfMemory within 10 invokes", false, 0, RunLeak},
    {"crash", "Unhandled Exception \"boom\" + Python stackTrace", false, 0, RunScriptCrash},
    {"exit", "Unhandled Runtime.ExitError exit status 1; REPORT error Runtime.ExitError", false, 0,
     RunExit},
};
constexpr Behaviour kNodeBehaviours[] = {
    {"loop", "Unhandled Sandbox.Timedout; REPORT timeout", true, 0, RunTimeout},
    {"leak", "Runtime.OutOfMemory within 10 invokes", false, 0, RunLeak},
    {"crash", "Unhandled Error \"boom\" + Node.js trace", false, 0, RunScriptCrash},
    {"exit", "Unhandled Runtime.ExitError exit status 1; REPORT error Runtime.ExitError", false, 0,
     RunExit},
};

// The behaviours of --language.
std::span<const Behaviour> BehavioursOf(const std::string& language) {
  if (language == "python") return kPythonBehaviours;
  if (language == "nodejs") return kNodeBehaviours;
  return kBehaviours;
}

// --language python|nodejs: the managed runtime and the Handler of a behaviour.
struct ManagedStress {
  std::string runtime;
  std::string handler;
};
std::optional<ManagedStress> ManagedStressOf(const std::string& language,
                                             const std::string& behaviour) {
  if (language == "python") return ManagedStress{"python3.12", "app." + behaviour};
  if (language == "nodejs") return ManagedStress{"nodejs20.x", "index." + behaviour};
  return std::nullopt;
}

// Where a behaviour's zip is: stress-<name>.zip for Go, stress-<language>.zip otherwise.
std::string StressZip(const StressFlags& flags, const std::string& behaviour) {
  std::string stem = flags.language == "go" ? behaviour : flags.language;
  return flags.examples + "/stress-" + stem + ".zip";
}

// thaw-stress-<name>, thaw-stress-python-<name>.
std::string StressFunction(const StressFlags& flags, const std::string& behaviour) {
  std::string infix = flags.language == "go" ? "" : flags.language + "-";
  return std::string(kFunctionPrefix) + infix + behaviour;
}

// ---- Through a queue (--via event, --via sqs) ------------------------------------------------

// How each function fails through a queue; stress-selfsend (status "") is the recursion case.
struct ViaBehaviour {
  const char* name;
  const char* status;        // each failed invocation's record status
  const char* report_error;  // its REPORT Error Type
  const char* error_type;    // the errorType of its response
};

constexpr ViaBehaviour kViaBehaviours[] = {
    {"loop", "timeout", "", "Sandbox.Timedout"},
    {"panic", "error", "Runtime.ExitError", "string"},
    {"exit", "error", "Runtime.ExitError", "Runtime.ExitError"},
    {"selfsend", "", "", ""},
};

// The function's ARN (GetFunction's).
StatusOr<std::string> FunctionArn(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(std::optional<json> config, FindFunction(s.client(), function));
  if (!config) return Status::NotFound("function " + function + " is gone");
  return JsonString(*config, "FunctionArn");
}

// The function's ARN qualified with $LATEST, as destination records name it.
StatusOr<std::string> LatestArn(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(std::string arn, FunctionArn(s, function));
  return arn + ":$LATEST";
}

std::string Fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  return text;
}

// Lambda wants a trigger's queue to keep a message invisible at least the function's timeout;
// one second more leaves room for a timed-out invocation's end.
int64_t VisibilityTimeoutS(const StressFlags& flags) { return flags.timeout_s + 1; }

// The wait before an Event invoke's retry after `attempts` failed attempts, in seconds.
double RetryDelayS(int attempts, double scale) {
  return static_cast<double>(invoker::FunctionErrorDelay(attempts, scale).count()) / 1000;
}

// Lambda's outcome for the EXPECTED column.
std::string ViaExpected(const ViaBehaviour& b, const StressFlags& flags, double scale) {
  if (std::string_view(b.status).empty()) {
    return "stopped after 16 hops; the 17th's event to the DLQ; RecursiveInvocationsDropped";
  }
  if (flags.via == "event" || flags.via == "sns") {
    std::string attempts = "x" + std::to_string(kMaxRetryAttempts + 1);
    return std::string(flags.via == "sns" ? "SNS's Event invoke: " : "") + "Unhandled " +
           b.error_type + " " + attempts + ", retries +" + Fixed(RetryDelayS(1, scale)) + " s, +" +
           Fixed(RetryDelayS(2, scale)) + " s; " +
           (flags.via == "sns" ? "the events.SNSEvent; " : "") + "OnFailure RetriesExhausted " +
           attempts + "; DLQ";
  }
  return "Unhandled " + std::string(b.error_type) + " x" + std::to_string(kMaxReceiveCount) + ", " +
         std::to_string(VisibilityTimeoutS(flags)) +
         " s apart (visibility timeout), then the queue's DLQ";
}

// The function's DeadLetterConfig and an OnFailure destination, each a new queue. Through SNS
// MaximumRetryAttempts is left out: Lambda's default (2) applies.
StatusOr<std::pair<std::string, std::string>> ConfigureFailureTargets(Suite& s,
                                                                      const std::string& function) {
  THAW_ASSIGN_OR_RETURN(auto dlq, s.CreateQueue(s.Unique(function + "-dlq"), json::object()));
  THAW_ASSIGN_OR_RETURN(auto dest,
                        s.CreateQueue(s.Unique(function + "-onfailure"), json::object()));
  json config = {{"DeadLetterConfig", {{"TargetArn", dlq.second}}}};
  THAW_RETURN_IF_ERROR(
      CallJson(s.client(), "PUT", FunctionTarget(function, "/configuration"), &config).status());
  json invoke_config = {{"DestinationConfig", {{"OnFailure", {{"Destination", dest.second}}}}}};
  if (s.flags().via != "sns") invoke_config["MaximumRetryAttempts"] = kMaxRetryAttempts;
  THAW_RETURN_IF_ERROR(
      CallJson(s.client(), "PUT",
               "/2019-09-25/functions/" + http::PercentEncode(function) + "/event-invoke-config",
               &invoke_config)
          .status());
  return std::make_pair(dlq.first, dest.first);
}

// An Event invoke; returns its request id.
StatusOr<std::string> InvokeEvent(Suite& s, const std::string& function, const json& payload) {
  http::Headers headers;
  headers.Set("Content-Type", "application/json");
  headers.Set("X-Amz-Invocation-Type", "Event");
  THAW_ASSIGN_OR_RETURN(
      http::Response response,
      Send(s.client(), "POST", FunctionTarget(function, "/invocations"), payload.dump(), headers));
  if (response.status != 202) {
    return Status::Internal("Event invoke answered HTTP " + std::to_string(response.status) + ": " +
                            OneLine(response.body, 200));
  }
  return std::string(response.headers.Get("x-amzn-RequestId").value_or(""));
}

void Merge(Verdict& into, const Verdict& part) {
  if (!part.observed.empty()) {
    into.observed += (into.observed.empty() ? "" : "; ") + part.observed;
  }
  into.mismatches.insert(into.mismatches.end(), part.mismatches.begin(), part.mismatches.end());
}

// Event invoke of a failing function: its attempts, the OnFailure record and the DLQ message.
StatusOr<Verdict> RunEventFailure(Suite& s, const std::string& function, const ViaBehaviour& b) {
  THAW_ASSIGN_OR_RETURN(auto targets, ConfigureFailureTargets(s, function));
  AsyncFailure want;
  THAW_ASSIGN_OR_RETURN(want.function_arn, LatestArn(s, function));
  want.payload = {{"stress", b.name}};
  want.status = b.status;
  want.report_error = b.report_error;
  want.error_type = b.error_type;
  want.max_retry_attempts = kMaxRetryAttempts;
  want.delay_scale = s.delay_scale();
  THAW_ASSIGN_OR_RETURN(want.request_id, InvokeEvent(s, function, want.payload));
  // Every attempt may last the whole timeout, then the two retry delays.
  int64_t expected_ms = (kMaxRetryAttempts + 1) * s.flags().timeout_s * 1000 +
                        static_cast<int64_t>(1000 * (RetryDelayS(1, s.delay_scale()) +
                                                     RetryDelayS(2, s.delay_scale())));
  int64_t deadline = NowMs() + expected_ms + kViaSlackMs;
  THAW_ASSIGN_OR_RETURN(std::optional<QueueMessage> record, s.ReceiveOne(targets.second, deadline));
  THAW_ASSIGN_OR_RETURN(std::optional<QueueMessage> dead, s.ReceiveOne(targets.first, deadline));
  THAW_ASSIGN_OR_RETURN(
      std::vector<AttemptRecord> attempts,
      s.AwaitRecords("requestId=" + want.request_id, kMaxRetryAttempts + 1, 2000));
  Verdict v = CheckAsyncAttempts(attempts, want);
  if (record) {
    Merge(v, CheckFailureRecord(record->body, want));
  } else {
    Merge(v, {"no OnFailure record", {"no record reached the OnFailure destination"}});
  }
  if (dead) {
    Merge(v, CheckDeadLetter(*dead, want));
  } else {
    Merge(v, {"DLQ empty", {"the event did not reach the function's DeadLetterConfig queue"}});
  }
  return v;
}

// A topic whose lambda subscription is `function`, as AWS needs it: the function's resource
// policy lets sns.amazonaws.com invoke it for this topic (AddPermission with SourceArn). Then
// one Publish of `message` (with `subject` unless empty, and the attribute stress=<name>).
// Returns what the function should get.
StatusOr<SnsDelivery> PublishThroughTopic(Suite& s, const std::string& function,
                                          const std::string& name, const std::string& message,
                                          const std::string& subject) {
  SnsDelivery sent;
  THAW_ASSIGN_OR_RETURN(sent.topic_arn, s.CreateTopic(s.Unique(function)));
  THAW_ASSIGN_OR_RETURN(std::string function_arn, FunctionArn(s, function));
  json permission = {{"StatementId", "sns-" + std::to_string(NowMs())},
                     {"Action", "lambda:InvokeFunction"},
                     {"Principal", kSnsPrincipal},
                     {"SourceArn", sent.topic_arn}};
  THAW_RETURN_IF_ERROR(
      CallJson(s.client(), "POST", FunctionTarget(function, "/policy"), &permission).status());
  THAW_ASSIGN_OR_RETURN(std::string subscribed, s.Sns("Subscribe", {{"TopicArn", sent.topic_arn},
                                                                    {"Protocol", "lambda"},
                                                                    {"Endpoint", function_arn}}));
  sent.subscription_arn = XmlElementText(subscribed, "SubscriptionArn");
  sent.message = message;
  sent.subject = subject;
  sent.attributes["stress"] = {"String", name};
  std::vector<std::pair<std::string, std::string>> publish = {
      {"TopicArn", sent.topic_arn},
      {"Message", message},
      {"MessageAttributes.entry.1.Name", "stress"},
      {"MessageAttributes.entry.1.Value.DataType", "String"},
      {"MessageAttributes.entry.1.Value.StringValue", name}};
  if (!subject.empty()) publish.emplace_back("Subject", subject);
  THAW_ASSIGN_OR_RETURN(std::string published, s.Sns("Publish", publish));
  sent.message_id = XmlElementText(published, "MessageId");
  return sent;
}

// A failing function behind a topic: SNS hands the event over as an Event invoke, so Lambda's
// async path follows (retries, OnFailure, DLQ). The OnFailure record's requestPayload and the
// DLQ's body are the event the function got: it must be the events.SNSEvent of the publish.
StatusOr<Verdict> RunSnsFailure(Suite& s, const std::string& function, const ViaBehaviour& b) {
  THAW_ASSIGN_OR_RETURN(auto targets, ConfigureFailureTargets(s, function));
  std::string records = RecordsFrom(function);
  // exit's publish has no Subject, to see the event's null.
  std::string subject = std::string_view(b.name) == "exit" ? "" : std::string("stress ") + b.name;
  THAW_ASSIGN_OR_RETURN(
      SnsDelivery sent,
      PublishThroughTopic(s, function, b.name, json{{"stress", b.name}}.dump(), subject));
  int64_t expected_ms = (kMaxRetryAttempts + 1) * s.flags().timeout_s * 1000 +
                        static_cast<int64_t>(1000 * (RetryDelayS(1, s.delay_scale()) +
                                                     RetryDelayS(2, s.delay_scale())));
  int64_t deadline = NowMs() + expected_ms + kViaSlackMs;
  THAW_ASSIGN_OR_RETURN(std::optional<QueueMessage> record, s.ReceiveOne(targets.second, deadline));
  THAW_ASSIGN_OR_RETURN(std::optional<QueueMessage> dead, s.ReceiveOne(targets.first, deadline));
  THAW_ASSIGN_OR_RETURN(std::vector<AttemptRecord> attempts,
                        s.AwaitRecords(records, kMaxRetryAttempts + 1, 2000));
  AsyncFailure want;
  THAW_ASSIGN_OR_RETURN(want.function_arn, LatestArn(s, function));
  want.status = b.status;
  want.report_error = b.report_error;
  want.error_type = b.error_type;
  want.max_retry_attempts = kMaxRetryAttempts;
  want.delay_scale = s.delay_scale();
  want.request_id = attempts.empty() ? "" : attempts[0].request_id;
  Verdict v = CheckAsyncAttempts(attempts, want);
  for (const AttemptRecord& a : attempts) {
    if (a.request_id != want.request_id) {
      v.mismatches.push_back("the attempts have different request ids (" + want.request_id + ", " +
                             a.request_id + "); retries keep the event's");
      break;
    }
  }
  if (!record) {
    Merge(v, {"no OnFailure record", {"no record reached the OnFailure destination"}});
    return v;
  }
  json failure = json::parse(record->body, nullptr, false);
  want.payload = failure.is_object() ? failure.value("requestPayload", json()) : json();
  Merge(v, CheckSnsEvent(want.payload, sent));
  Merge(v, CheckFailureRecord(record->body, want));
  if (dead) {
    Merge(v, CheckDeadLetter(*dead, want));
  } else {
    Merge(v, {"DLQ empty", {"the event did not reach the function's DeadLetterConfig queue"}});
  }
  return v;
}

// A message that fails every time on an SQS trigger: it comes back after each visibility
// timeout until the redrive policy moves it to the DLQ.
StatusOr<Verdict> RunSqsPoison(Suite& s, const std::string& function, const ViaBehaviour& b) {
  int64_t visibility_s = VisibilityTimeoutS(s.flags());
  THAW_ASSIGN_OR_RETURN(auto dlq, s.CreateQueue(s.Unique(function + "-dlq"), json::object()));
  json redrive = {{"deadLetterTargetArn", dlq.second}, {"maxReceiveCount", kMaxReceiveCount}};
  json attributes = {{"VisibilityTimeout", std::to_string(visibility_s)},
                     {"RedrivePolicy", redrive.dump()}};
  THAW_ASSIGN_OR_RETURN(auto queue, s.CreateQueue(s.Unique(function), attributes));
  THAW_RETURN_IF_ERROR(s.CreateMapping(function, queue.second));
  std::string records = RecordsFrom(function);
  THAW_RETURN_IF_ERROR(
      s.Sqs("SendMessage", {{"QueueUrl", queue.first}, {"MessageBody", "poison"}}).status());
  int64_t deadline = NowMs() + (kMaxReceiveCount + 1) * visibility_s * 1000 + kViaSlackMs;
  THAW_ASSIGN_OR_RETURN(std::optional<QueueMessage> dead, s.ReceiveOne(dlq.first, deadline));
  THAW_ASSIGN_OR_RETURN(std::vector<AttemptRecord> invocations,
                        s.AwaitRecords(records, kMaxReceiveCount, 2000));
  return CheckPoisonCycles(invocations, dead ? &*dead : nullptr,
                           {kMaxReceiveCount, visibility_s, b.status, b.report_error});
}

// stress-selfsend until recursive loop detection drops its 17th hop; through an Event invoke
// the dropped event goes to the DeadLetterConfig queue, through SQS to the queue's DLQ.
StatusOr<Verdict> RunRecursion(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(int64_t drops_before, s.RecursiveDrops(function));
  std::string records = RecordsFrom(function);
  std::string dlq_url;
  json first = {{"hop", 1}};
  int64_t deadline = NowMs() + kViaSlackMs;
  if (s.flags().via == "event") {
    THAW_ASSIGN_OR_RETURN(auto targets, ConfigureFailureTargets(s, function));
    dlq_url = targets.first;
    THAW_RETURN_IF_ERROR(InvokeEvent(s, function, first).status());
  } else if (s.flags().via == "sns") {
    // Each hop publishes to the topic it came from; the dropped 17th event is an SNS event.
    THAW_ASSIGN_OR_RETURN(auto targets, ConfigureFailureTargets(s, function));
    dlq_url = targets.first;
    THAW_RETURN_IF_ERROR(PublishThroughTopic(s, function, "selfsend", first.dump(), "").status());
  } else {
    int64_t visibility_s = VisibilityTimeoutS(s.flags());
    THAW_ASSIGN_OR_RETURN(auto dlq, s.CreateQueue(s.Unique(function + "-dlq"), json::object()));
    dlq_url = dlq.first;
    json redrive = {{"deadLetterTargetArn", dlq.second}, {"maxReceiveCount", 1}};
    json attributes = {{"VisibilityTimeout", std::to_string(visibility_s)},
                       {"RedrivePolicy", redrive.dump()}};
    THAW_ASSIGN_OR_RETURN(auto queue, s.CreateQueue(s.Unique(function), attributes));
    THAW_RETURN_IF_ERROR(s.CreateMapping(function, queue.second));
    THAW_RETURN_IF_ERROR(
        s.Sqs("SendMessage", {{"QueueUrl", queue.first}, {"MessageBody", first.dump()}}).status());
    deadline += 2 * visibility_s * 1000;
  }
  THAW_ASSIGN_OR_RETURN(std::optional<QueueMessage> dead, s.ReceiveOne(dlq_url, deadline));
  THAW_ASSIGN_OR_RETURN(int64_t drops_after, s.RecursiveDrops(function));
  // Records are stored every 100 ms: wait for the 16th, and a little for a 17th that should not
  // be there.
  THAW_ASSIGN_OR_RETURN(std::vector<AttemptRecord> runs,
                        s.AwaitRecords(records, trace::kMaxRecursiveInvocations + 1, 1000));
  Verdict unwrapped;
  if (dead && s.flags().via == "sns") {
    // The DLQ holds the event as the function would have got it: the hop is its Sns.Message.
    std::optional<std::string> message = SnsMessage(json::parse(dead->body, nullptr, false));
    if (message) {
      dead->body = *message;
    } else {
      unwrapped.mismatches.push_back("the DLQ message is not an SNS event: " +
                                     OneLine(dead->body, 80));
    }
  }
  Verdict v = CheckRecursionStopped(static_cast<int64_t>(runs.size()), drops_before, drops_after,
                                    dead ? &*dead : nullptr);
  Merge(v, unwrapped);
  return v;
}

StatusOr<Verdict> RunVia(Suite& s, const std::string& function, const ViaBehaviour& b) {
  if (std::string_view(b.status).empty()) return RunRecursion(s, function);
  if (s.flags().via == "sns") return RunSnsFailure(s, function, b);
  return s.flags().via == "event" ? RunEventFailure(s, function, b) : RunSqsPoison(s, function, b);
}

// ---- Running and reporting -------------------------------------------------------------------

struct Row {
  std::string name;
  std::string expected;
  std::string observed;
  bool recovered = false;
  bool pass = false;
  std::vector<std::string> details;
  int64_t memory_mb = 0;
  double seconds = 0;
};

// The recovery invocation after a behaviour: a plain RequestResponse {"ok":true}.
void Recover(Suite& s, Row& row, const std::string& function, int64_t timeout_s) {
  StatusOr<Observation> after = s.Invoke(function, kOkEvent, timeout_s);
  row.recovered = after.ok() && Recovered(*after);
  if (!row.recovered) {
    row.details.push_back("recovery invoke: " +
                          (after.ok() ? Describe(*after) : after.status().message()));
  }
}

// --via: thaw-stress-<via>-<name>, deployed with the short timeout (the SQS trigger wants the
// queue's visibility timeout at least the function's) and deleted by `cleanup`.
Row RunViaBehaviour(Suite& s, const ViaBehaviour& b, const std::string& zip_path,
                    FunctionCleanup& cleanup) {
  int64_t start = NowMs();
  Row row{b.name, ViaExpected(b, s.flags(), s.delay_scale()), "", false, false, {}, 0, 0};
  std::string function = std::string(kFunctionPrefix) + s.flags().via + "-" + b.name;
  row.memory_mb = s.flags().memory_mb;
  StatusOr<std::string> zip = ReadFileOrStdin(zip_path);
  Status deployed =
      zip.ok() ? s.Deploy(function, std::move(zip).value(), row.memory_mb, s.flags().timeout_s)
               : zip.status();
  if (!deployed.ok()) {
    row.observed = "not deployed";
    row.details.push_back(deployed.message());
  } else {
    cleanup.Add(function);
    StatusOr<Verdict> verdict = RunVia(s, function, b);
    if (!verdict.ok()) {
      row.observed = "no answer";
      row.details.push_back(verdict.status().message());
    } else {
      row.observed = verdict->observed;
      row.details = verdict->mismatches;
      Recover(s, row, function, s.flags().timeout_s);
      row.pass = verdict->pass() && row.recovered;
    }
  }
  s.DeleteCreated();
  row.seconds = static_cast<double>(NowMs() - start) / 1000;
  return row;
}

Row RunBehaviour(Suite& s, const Behaviour& b, const std::string& zip_path) {
  int64_t start = NowMs();
  Row row{b.name, b.expected, "", false, false, {}, 0, 0};
  std::string function = StressFunction(s.flags(), b.name);
  int64_t timeout_s = b.short_timeout ? s.flags().timeout_s : kLongTimeoutS;
  StatusOr<std::string> zip = ReadFileOrStdin(zip_path);
  row.memory_mb = std::max(s.flags().memory_mb, b.min_memory_mb);
  std::optional<ManagedStress> managed = ManagedStressOf(s.flags().language, b.name);
  Status deployed = zip.ok()
                        ? s.Deploy(function, std::move(zip).value(), row.memory_mb, timeout_s,
                                   managed ? managed->runtime : "", managed ? managed->handler : "")
                        : zip.status();
  if (!deployed.ok()) {
    row.observed = "not deployed";
    row.details.push_back(deployed.message());
  } else {
    StatusOr<Verdict> verdict = b.run(s, function);
    if (!verdict.ok()) {
      row.observed = "no answer";
      row.details.push_back(verdict.status().message());
    } else {
      row.observed = verdict->observed;
      row.details = verdict->mismatches;
      Recover(s, row, function, timeout_s);
      row.pass = verdict->pass() && row.recovered;
    }
  }
  row.seconds = static_cast<double>(NowMs() - start) / 1000;
  return row;
}

json RowsJson(const std::vector<Row>& rows, const CommandContext& ctx, const StressFlags& flags,
              double delay_scale) {
  json results = json::array();
  int passed = 0;
  for (const Row& r : rows) {
    passed += r.pass ? 1 : 0;
    std::string function = flags.via == "invoke"
                               ? StressFunction(flags, r.name)
                               : std::string(kFunctionPrefix) + flags.via + "-" + r.name;
    results.push_back({{"behaviour", r.name},
                       {"via", flags.via},
                       {"language", flags.language},
                       {"function", function},
                       {"expected", r.expected},
                       {"observed", r.observed},
                       {"recovered", r.recovered},
                       {"verdict", r.pass ? "pass" : "FAIL"},
                       {"details", r.details},
                       {"memoryMb", r.memory_mb},
                       {"seconds", r.seconds}});
  }
  return {{"endpoint", ctx.endpoint},
          {"via", flags.via},
          {"language", flags.language},
          {"retryDelayScale", delay_scale},
          {"memoryMb", flags.memory_mb},
          {"timeoutS", flags.timeout_s},
          {"passed", passed},
          {"failed", static_cast<int>(rows.size()) - passed},
          {"results", results}};
}

Status UnknownBehaviour(const std::string& name, const StressFlags& flags) {
  std::string message = "unknown behaviour '" + name + "'";
  if (flags.via == "invoke") {
    if (flags.language != "go") message += " for --language " + flags.language;
    message += "; known:";
    for (const Behaviour& b : BehavioursOf(flags.language)) message += std::string(" ") + b.name;
  } else if (IsStreamVia(flags.via)) {
    message += " for --via " + flags.via + "; known:";
    for (const std::string& b : StreamBehaviourNames()) message += " " + b;
  } else {
    message += " for --via " + flags.via + "; known:";
    for (const ViaBehaviour& b : kViaBehaviours) message += std::string(" ") + b.name;
  }
  return Status::InvalidArgument(message);
}

// The server's --retry-delay-scale (GET /thaw/environments); 1 when it does not say.
StatusOr<double> RetryDelayScale(http::Client& client) {
  THAW_ASSIGN_OR_RETURN(json body, CallJson(client, "GET", "/thaw/environments"));
  auto it = body.find("retryDelayScale");
  return it != body.end() && it->is_number() ? it->get<double>() : 1.0;
}

// "pass (2.1 s)" for the progress lines.
std::string Outcome(const Row& row) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.1f", row.seconds);
  return std::string(row.pass ? "pass" : "FAIL") + " (" + seconds + " s)";
}

// The --via scenarios are independent (each has its function, queues and mapping), so each runs
// on a thread of its own with its own connection: a run lasts as long as its longest scenario.
std::vector<Row> RunViaConcurrently(const std::string& endpoint, const StressFlags& flags,
                                    double scale, const std::vector<std::string>& names) {
  std::vector<Row> rows(names.size());
  std::mutex print;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < names.size(); ++i) {
    threads.emplace_back([&, i] {
      if (IsStreamVia(flags.via)) {
        int64_t start = NowMs();
        StreamStressResult r = RunStreamBehaviour(
            {endpoint, flags.via, flags.examples, flags.memory_mb, flags.timeout_s}, names[i]);
        rows[i] =
            Row{names[i], r.expected, r.observed,      r.recovered,
                r.pass,   r.details,  flags.memory_mb, static_cast<double>(NowMs() - start) / 1000};
        std::lock_guard<std::mutex> lock(print);
        std::cerr << "stress: " << names[i] << " via " << flags.via << " " << Outcome(rows[i])
                  << "\n";
        return;
      }
      const ViaBehaviour* b = nullptr;
      for (const ViaBehaviour& v : kViaBehaviours) b = names[i] == v.name ? &v : b;
      StatusOr<std::unique_ptr<http::Client>> client = Connect(endpoint);
      if (!client.ok()) {
        rows[i] =
            Row{b->name, "", "not connected", false, false, {client.status().message()}, 0, 0};
        return;
      }
      FunctionCleanup cleanup(**client, /*keep=*/false);
      Suite suite(**client, flags, scale, endpoint);
      rows[i] = RunViaBehaviour(suite, *b, flags.examples + "/stress-" + b->name + ".zip", cleanup);
      std::lock_guard<std::mutex> lock(print);
      std::cerr << "stress: " << b->name << " via " << flags.via << " " << Outcome(rows[i]) << "\n";
    });
  }
  for (std::thread& t : threads) t.join();
  return rows;
}

// The names selected by --only among `names` (all when --only is empty); an unknown one is an
// error.
StatusOr<std::vector<std::string>> Select(const std::vector<std::string>& names,
                                          const StressFlags& flags) {
  for (const std::string& name : flags.only) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return UnknownBehaviour(name, flags);
    }
  }
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (flags.only.empty() ||
        std::find(flags.only.begin(), flags.only.end(), name) != flags.only.end()) {
      out.push_back(name);
    }
  }
  return out;
}

void RunStress(CommandContext& ctx, StressFlags& flags) {
  const bool via = flags.via != "invoke";
  if (via && flags.language != "go") {
    return ReportError(
        ctx, kCommand,
        Status::InvalidArgument("--language " + flags.language + " runs with --via invoke only"),
        kExitUsage);
  }
  std::vector<std::string> names;
  if (IsStreamVia(flags.via)) {
    names = StreamBehaviourNames();
  } else if (via) {
    for (const ViaBehaviour& b : kViaBehaviours) names.emplace_back(b.name);
  } else {
    for (const Behaviour& b : BehavioursOf(flags.language)) names.emplace_back(b.name);
  }
  StatusOr<std::vector<std::string>> selected = Select(names, flags);
  if (!selected.ok()) return ReportError(ctx, kCommand, selected.status(), kExitUsage);
  if (flags.examples.empty()) flags.examples = DefaultExamplesDir();
  for (const std::string& name : *selected) {
    std::string zip = via ? flags.examples + "/stress-" + name + ".zip" : StressZip(flags, name);
    if (::access(zip.c_str(), R_OK) != 0) {
      return ReportError(ctx, kCommand,
                         Status::NotFound(zip + " is missing; run scripts/build-examples.sh or "
                                                "pass --examples DIR"),
                         kExitUsage);
    }
  }

  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  // The suite needs thaw's introspection endpoint (ignoreterm, the retry delay scale, the
  // recursion counter); it also tells us the server is up.
  StatusOr<double> scale = RetryDelayScale(**client);
  if (!scale.ok()) return ReportError(ctx, kCommand, scale.status());
  if ((flags.via == "event" || flags.via == "sns") && *scale > 0.1) {
    std::cerr << "stress: the server retries after ~" << Fixed(RetryDelayS(1, *scale)) << " s and ~"
              << Fixed(RetryDelayS(2, *scale))
              << " s; start it with a small --retry-delay-scale (0.01) for a short run\n";
  }

  std::vector<Row> rows;
  if (via) {
    rows = RunViaConcurrently(ctx.endpoint, flags, *scale, *selected);
  } else {
    Suite suite(**client, flags, *scale, ctx.endpoint);
    for (const std::string& name : *selected) {
      std::cerr << "stress: " << name << " ..." << std::flush;
      const Behaviour* b = nullptr;
      for (const Behaviour& v : BehavioursOf(flags.language)) b = name == v.name ? &v : b;
      rows.push_back(RunBehaviour(suite, *b, StressZip(flags, name)));
      std::cerr << " " << Outcome(rows.back()) << "\n";
    }
  }

  std::vector<std::vector<std::string>> table = {
      {"BEHAVIOUR", "VIA", "EXPECTED (Lambda)", "OBSERVED", "RECOVERED", "VERDICT"}};
  bool all_pass = true;
  for (const Row& r : rows) {
    table.push_back({r.name, flags.via, r.expected, r.observed, r.recovered ? "yes" : "no",
                     r.pass ? "pass" : "FAIL"});
    all_pass = all_pass && r.pass;
  }
  std::cout << FormatTable(table);
  for (const Row& r : rows) {
    for (const std::string& d : r.details) std::cout << "  " << r.name << ": " << d << "\n";
  }
  ctx.exit_code = all_pass ? kExitOk : kExitFailure;
  if (!flags.json_file.empty()) {
    std::ofstream out(flags.json_file);
    out << DumpJson(RowsJson(rows, ctx, flags, *scale), 2) << "\n";
    if (!out) {
      ReportError(ctx, kCommand, Status::IoError("cannot write " + flags.json_file), kExitFailure);
    }
  }
}

}  // namespace

void AddStressCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<StressFlags>();
  CLI::App* cmd = app.add_subcommand(
      "stress",
      "Run the misbehaving functions of the stress suite on a thaw server and compare each "
      "outcome with Lambda's (exit 1 if any differs)");
  cmd->add_option("--via", flags->via,
                  "how the functions are invoked: invoke (RequestResponse), event (an Event "
                  "invoke with retries, an OnFailure destination and a DLQ), sqs (an SQS "
                  "trigger with a redrive policy), sns (a topic's lambda subscription, then "
                  "as event), kinesis or dynamodb (a stream trigger on a Kinesis stream or a "
                  "table's stream: retries blocking the shard, bisection, OnFailure, an event "
                  "bomb sampled through /thaw/esm until its mapping is disabled)")
      ->check(CLI::IsMember({"invoke", "event", "sqs", "sns", "kinesis", "dynamodb"}))
      ->capture_default_str();
  cmd->add_option("--language", flags->language,
                  "the functions' language: go (the whole suite), or python or nodejs (loop, "
                  "leak, crash and exit in the managed runtimes python3.12 and nodejs20.x)")
      ->check(CLI::IsMember({"go", "python", "nodejs"}))
      ->capture_default_str();
  cmd->add_option("--examples", flags->examples,
                  "directory of the stress-<name>.zip files (default: examples/go beside the "
                  "thaw binary, else build/examples/go)");
  cmd->add_option("--only", flags->only, "run only these behaviours (NAME[,NAME...])")
      ->delimiter(',');
  cmd->add_option("--json", flags->json_file, "also write the results as JSON to FILE");
  cmd->add_option("--memory", flags->memory_mb, "MemorySize of the functions (MB)")
      ->check(CLI::Range(128, 10240))
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout_s,
                  "Timeout of loop and sleep, and of every function with --via (seconds)")
      ->check(CLI::Range(1, 900))
      ->capture_default_str();
  cmd->footer(
      "Behaviours: loop sleep eventbomb leak panic nilderef exit forkbomb goroutines flood "
      "bigresponse tmpfill ignoreterm; with --via event|sqs|sns: loop panic exit selfsend; with "
      "--via kinesis|dynamodb: loop panic leak selfsend; with --language python|nodejs: loop leak "
      "crash exit (thaw-stress-<language>-<name>) (its functions, "
      "thaw-stress-<via>-<name>, and their queues, topics, streams and tables are deleted "
      "afterwards; start the server with a small --retry-delay-scale). Functions are named "
      "thaw-stress-<name>.\n" +
      std::string(kExitCodesFooter));
  cmd->callback([&ctx, flags] { RunStress(ctx, *flags); });
}

}  // namespace thaw::cli
