#include "invoker/env_state.h"

#include <algorithm>
#include <string>

namespace thaw::invoker {

namespace {

using P = EnvPhase;
using E = EnvEvent;
using A = EnvAction;

struct Row {
  EnvPhase from;
  EnvEvent event;
  EnvPhase next;
  EnvAction action;
};

// The whole life cycle. A failed cold init is retried once inside its invocation, as Lambda
// does; a failure after that resets the environment, and the next invoke re-runs init.
constexpr Row kTable[] = {
    {P::kCold, E::kInvoke, P::kColdInit, A::kStartColdInit},
    {P::kCold, E::kStop, P::kStopping, A::kBeginStop},

    {P::kColdInit, E::kSpawned, P::kColdInit, A::kAdoptProcess},
    {P::kColdInit, E::kRuntimeNext, P::kInvoking, A::kDeliver},
    {P::kColdInit, E::kInitFailed, P::kInvokeInit, A::kRetryInit},
    {P::kColdInit, E::kInitError, P::kInvokeInit, A::kRetryInit},
    {P::kColdInit, E::kInitTimeout, P::kInvokeInit, A::kRetryInit},
    {P::kColdInit, E::kProcessExit, P::kInvokeInit, A::kRetryInit},
    {P::kColdInit, E::kStop, P::kStopping, A::kBeginStop},

    {P::kInvokeInit, E::kSpawned, P::kInvokeInit, A::kAdoptProcess},
    {P::kInvokeInit, E::kRuntimeNext, P::kInvoking, A::kDeliver},
    {P::kInvokeInit, E::kInitFailed, P::kReset, A::kFailInvoke},
    {P::kInvokeInit, E::kInitError, P::kReset, A::kFailInvoke},
    {P::kInvokeInit, E::kProcessExit, P::kReset, A::kFailInvoke},
    {P::kInvokeInit, E::kDeadline, P::kReset, A::kTimeOut},
    {P::kInvokeInit, E::kStop, P::kStopping, A::kBeginStop},

    {P::kInvoking, E::kResponse, P::kResponded, A::kKeepResult},
    {P::kInvoking, E::kResponseTooLarge, P::kResponded, A::kAnswerTooLarge},
    // A runtime that asks again without answering: the invocation ends with "no response".
    {P::kInvoking, E::kRuntimeNext, P::kIdle, A::kEndInvocation},
    {P::kInvoking, E::kDeadline, P::kReset, A::kTimeOut},
    {P::kInvoking, E::kProcessExit, P::kReset, A::kCrash},
    {P::kInvoking, E::kStop, P::kStopping, A::kBeginStop},

    // Extensions still busy after the response keep the invocation open, and its timeout.
    {P::kResponded, E::kRuntimeNext, P::kIdle, A::kEndInvocation},
    {P::kResponded, E::kDeadline, P::kReset, A::kTimeOut},
    {P::kResponded, E::kProcessExit, P::kReset, A::kCrash},
    {P::kResponded, E::kStop, P::kStopping, A::kBeginStop},

    {P::kIdle, E::kInvoke, P::kInvoking, A::kDeliverWarm},
    {P::kIdle, E::kFrozen, P::kFrozen, A::kNone},
    {P::kIdle, E::kProcessExit, P::kReset, A::kForgetProcess},
    {P::kIdle, E::kStop, P::kStopping, A::kBeginStop},

    {P::kFrozen, E::kInvoke, P::kInvoking, A::kDeliverThawed},
    {P::kFrozen, E::kProcessExit, P::kReset, A::kForgetProcess},
    {P::kFrozen, E::kStop, P::kStopping, A::kBeginStop},

    {P::kReset, E::kInvoke, P::kInvokeInit, A::kStartInvokeInit},
    {P::kReset, E::kStop, P::kStopping, A::kBeginStop},

    {P::kStopping, E::kProcessExit, P::kDead, A::kFinishStop},
    {P::kStopping, E::kStopTimeout, P::kDead, A::kGiveUpStop},
    {P::kStopping, E::kStop, P::kStopping, A::kNone},  // a second caller waits for the same end
};

}  // namespace

const char* EnvStateName(EnvState state) {
  switch (state) {
    case EnvState::kCold:
      return "cold";
    case EnvState::kInitializing:
      return "initializing";
    case EnvState::kInvoking:
      return "invoking";
    case EnvState::kIdle:
      return "idle";
    case EnvState::kStopping:
      return "stopping";
    case EnvState::kDead:
      return "dead";
  }
  return "unknown";
}

const char* EnvPhaseName(EnvPhase phase) {
  switch (phase) {
    case P::kCold:
      return "cold";
    case P::kColdInit:
      return "cold-init";
    case P::kInvokeInit:
      return "invoke-init";
    case P::kInvoking:
      return "invoking";
    case P::kResponded:
      return "responded";
    case P::kIdle:
      return "idle";
    case P::kFrozen:
      return "frozen";
    case P::kReset:
      return "reset";
    case P::kStopping:
      return "stopping";
    case P::kDead:
      return "dead";
  }
  return "unknown";
}

EnvState StateOf(EnvPhase phase) {
  switch (phase) {
    case P::kCold:
    case P::kReset:
      return EnvState::kCold;
    case P::kColdInit:
    case P::kInvokeInit:
      return EnvState::kInitializing;
    case P::kInvoking:
    case P::kResponded:
      return EnvState::kInvoking;
    case P::kIdle:
    case P::kFrozen:
      return EnvState::kIdle;
    case P::kStopping:
      return EnvState::kStopping;
    case P::kDead:
      return EnvState::kDead;
  }
  return EnvState::kDead;
}

const char* EnvEventName(EnvEvent event) {
  switch (event) {
    case E::kInvoke:
      return "invoke";
    case E::kSpawned:
      return "spawned";
    case E::kInitFailed:
      return "init-failed";
    case E::kInitError:
      return "init-error";
    case E::kInitTimeout:
      return "init-timeout";
    case E::kRuntimeNext:
      return "runtime-next";
    case E::kResponse:
      return "response";
    case E::kResponseTooLarge:
      return "response-too-large";
    case E::kDeadline:
      return "deadline";
    case E::kProcessExit:
      return "process-exit";
    case E::kFrozen:
      return "frozen";
    case E::kStop:
      return "stop";
    case E::kStopTimeout:
      return "stop-timeout";
  }
  return "unknown";
}

const char* EnvActionName(EnvAction action) {
  switch (action) {
    case A::kNone:
      return "none";
    case A::kStartColdInit:
      return "start-cold-init";
    case A::kStartInvokeInit:
      return "start-invoke-init";
    case A::kAdoptProcess:
      return "adopt-process";
    case A::kDeliver:
      return "deliver";
    case A::kDeliverWarm:
      return "deliver-warm";
    case A::kDeliverThawed:
      return "deliver-thawed";
    case A::kRetryInit:
      return "retry-init";
    case A::kFailInvoke:
      return "fail-invoke";
    case A::kKeepResult:
      return "keep-result";
    case A::kAnswerTooLarge:
      return "answer-too-large";
    case A::kEndInvocation:
      return "end-invocation";
    case A::kTimeOut:
      return "time-out";
    case A::kCrash:
      return "crash";
    case A::kForgetProcess:
      return "forget-process";
    case A::kBeginStop:
      return "begin-stop";
    case A::kFinishStop:
      return "finish-stop";
    case A::kGiveUpStop:
      return "give-up-stop";
  }
  return "unknown";
}

StatusOr<EnvTransition> NextPhase(EnvPhase phase, EnvEvent event) {
  for (const Row& row : kTable) {
    if (row.from == phase && row.event == event) return EnvTransition{row.next, row.action};
  }
  return Status::FailedPrecondition(std::string("event ") + EnvEventName(event) +
                                    " is not allowed in phase " + EnvPhaseName(phase));
}

const char* EndStatusName(EndStatus status) {
  switch (status) {
    case EndStatus::kSuccess:
      return "";
    case EndStatus::kError:
      return "error";
    case EndStatus::kTimeout:
      return "timeout";
  }
  return "error";
}

StopSchedule StopScheduleFor(int64_t budget_ms) {
  constexpr int64_t kGiveUpMs = 5000;
  constexpr int64_t kAfterKillMs = 1000;
  int64_t kill_ms = std::max<int64_t>(budget_ms, 0);
  return {kill_ms, std::max(kGiveUpMs, kill_ms + kAfterKillMs)};
}

}  // namespace thaw::invoker
