#include "invoker/spawn_error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

using sys::SpawnFailure;
using sys::SpawnStep;

SpawnError Classify(const SpawnFailure& failure, std::string_view mechanism = "runtime-api") {
  return ClassifySpawnFailure(SpawnFailureStatus(failure), mechanism);
}

// A failed /tmp mount used to reach the caller as Runtime.InvalidEntrypoint "fork/exec
// /var/task/bootstrap: exec: Input/output error".
TEST(SpawnErrorTest, SetupFailuresAreSandboxFailuresNamingTheStepAndErrno) {
  SpawnError e = Classify({1, SpawnStep::kTmp, EINVAL, "mount /dev/loop3 on /r/tmp"});
  EXPECT_EQ(e.type, LambdaError::kSandboxFailure);
  EXPECT_EQ(e.message,
            "Sandbox setup failed at step 'tmp' (errno 22, Invalid argument): mount .../loop3 on "
            ".../tmp");
  EXPECT_EQ(e.detail,
            "Sandbox setup failed at step 'tmp' (errno 22, Invalid argument): mount /dev/loop3 on "
            "/r/tmp");
  for (SpawnStep step : {SpawnStep::kRequest, SpawnStep::kShell, SpawnStep::kRootFs,
                         SpawnStep::kUid, SpawnStep::kSeccomp, SpawnStep::kWorkingDir}) {
    e = Classify({1, step, EPERM, ""}, "spawn");
    EXPECT_EQ(e.type, LambdaError::kSandboxFailure) << sys::SpawnStepName(step);
    EXPECT_NE(e.message.find(sys::SpawnStepName(step)), std::string::npos) << e.message;
  }
}

// The caller may not be the operator: the state directory and the sandbox root stay in the log.
TEST(SpawnErrorTest, SetupFailuresDoNotShowHostPaths) {
  SpawnError e = Classify(
      {1, SpawnStep::kTmp, EINVAL, "open /srv/thaw/sandbox/tmp/e1.img: (on /run/t/root/tmp/, x)"});
  EXPECT_EQ(e.message.find("/srv"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("/run"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("open .../e1.img: (on .../tmp, x)"), std::string::npos) << e.message;
  EXPECT_NE(e.detail.find("/srv/thaw/sandbox/tmp/e1.img"), std::string::npos) << e.detail;
}

TEST(SpawnErrorTest, ExecFailuresAreInvalidEntrypoints) {
  SpawnError e = Classify({1, SpawnStep::kExec, ENOENT, "execve /var/task/bootstrap"});
  EXPECT_EQ(e.type, LambdaError::kRuntimeInvalidEntrypoint);
  EXPECT_EQ(e.message, "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
  e = Classify({1, SpawnStep::kExec, EACCES, ""});
  EXPECT_EQ(e.message, "fork/exec /var/task/bootstrap: permission denied");
  e = Classify({1, SpawnStep::kExec, ENOEXEC, ""});
  EXPECT_EQ(e.message, "fork/exec /var/task/bootstrap: exec format error");
  e = Classify({1, SpawnStep::kExec, EIO, ""});
  EXPECT_EQ(e.message, "fork/exec /var/task/bootstrap: exec: Input/output error");
  e = Classify({1, SpawnStep::kExec, ENOENT, ""}, "go1.x");
  EXPECT_EQ(e.type, LambdaError::kRuntimeInvalidEntrypoint);
  EXPECT_EQ(e.message,
            "thaw-host (the go1.x mechanism's host) failed to start: exec: No such file or "
            "directory");
}

// Failures on the server's side of the wire keep their old answer.
TEST(SpawnErrorTest, ClientSideFailuresStayInvalidEntrypoints) {
  SpawnError e = ClassifySpawnFailure(Status::Unavailable("thaw-launcher exited"), "runtime-api");
  EXPECT_EQ(e.type, LambdaError::kRuntimeInvalidEntrypoint);
  EXPECT_EQ(e.message, "fork/exec /var/task/bootstrap: thaw-launcher exited");
}

}  // namespace
}  // namespace thaw::invoker
