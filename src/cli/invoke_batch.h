// What `thaw bench`, `thaw tune` and `thaw compare` share to drive a function: Ctrl-C as a flag
// for the run, reading one Invoke answer into a profile::InvocationRecord, a closed-loop batch
// over several clients, and waiting for a configuration change to settle.
// Main thread, except RunBatch's workers (one per client) and Interrupted() (any thread).
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "http/client.h"
#include "profile/bench_report.h"

namespace thaw::cli {

// Routes SIGINT to a flag for the guard's life (a second Ctrl-C still kills), then restores
// the previous handler. One at a time.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

// Ctrl-C came while an InterruptGuard was up.
bool Interrupted();

// Reads one answer into `record` (with `tail`, the REPORT line of X-Amz-Log-Result). Returns a
// Status for answers every later invocation would get too (no server, no function, a refused
// payload): a run stops on those. 429 is a throttle, not an error.
Status ClassifyAnswer(const StatusOr<http::Response>& response, bool tail,
                      profile::InvocationRecord& record);

struct BatchSpec {
  std::string target;  // the Invoke path
  std::string payload = "{}";
  int64_t count = 0;        // invocations; ignored when duration_ns > 0
  int64_t duration_ns = 0;  // > 0: as many as start within it
  size_t threads = 0;       // clients used (0: all of them)
};

// Runs the batch with the log tail, one thread per client, each starting its next invocation as
// soon as the last is answered. Appends the records in issue order and sets *elapsed_ns (the
// batch's wall time) when given; returns the first fatal answer. Stops early on Ctrl-C.
Status RunBatch(std::vector<std::unique_ptr<http::Client>>& clients, const BatchSpec& spec,
                std::vector<profile::InvocationRecord>& out, int64_t* elapsed_ns = nullptr);

// Polls GetFunctionConfiguration until the function is not Pending and its last update is done
// (and, when given, MemorySize is memory_mb). FailedPrecondition when the update failed or does
// not settle within 60 s.
Status WaitSettled(http::Client& client, const std::string& name,
                   std::optional<int64_t> memory_mb = std::nullopt);

}  // namespace thaw::cli
