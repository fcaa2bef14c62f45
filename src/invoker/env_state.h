// The execution environment's life cycle as one transition table: (phase, event) -> the next
// phase and the one action that carries it out. Every pair the table does not list is refused
// (kFailedPrecondition), as rapid's core/states.go refuses with ErrNotAllowed. What used to be
// flags beside a coarse state (which init runs, whether one ever ran, frozen, whether the
// invocation has its result) is the phase itself. Pure and stateless; any thread.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace thaw::invoker {

// What callers outside the environment see (the pool, `thaw ps`): a coarse view of EnvPhase.
enum class EnvState { kCold, kInitializing, kInvoking, kIdle, kStopping, kDead };
const char* EnvStateName(EnvState state);

enum class EnvPhase : uint8_t {
  kCold,        // nothing ever ran: the first invoke runs a cold init (INIT_START, init timeout)
  kColdInit,    // the cold init runs under the init timeout; its invocation waits
  kInvokeInit,  // init re-runs inside an invocation, under its timeout (a "suppressed init")
  kInvoking,    // the event is with the runtime, no result yet
  kResponded,   // the result is in; the invocation ends when the runtime (and extensions) ask again
  kIdle,        // the runtime waits for the next event
  kFrozen,      // idle, and its cgroup frozen
  kReset,       // the processes are gone after a failure: the next invoke re-runs init inside it
  kStopping,    // being shut down: SIGTERM or SIGKILL sent, waiting for the exit
  kDead,
};
inline constexpr int kEnvPhaseCount = static_cast<int>(EnvPhase::kDead) + 1;
const char* EnvPhaseName(EnvPhase phase);
EnvState StateOf(EnvPhase phase);

enum class EnvEvent : uint8_t {
  kInvoke,            // an invocation is handed to the environment
  kSpawned,           // the launcher started the process
  kInitFailed,        // the process could not be started or given its Runtime API
  kInitError,         // the runtime or an extension posted /init/error
  kInitTimeout,       // the cold init's timer fired
  kRuntimeNext,       // init done, or the invocation ended (runtime and extensions called next)
  kResponse,          // the runtime posted its response or its /error
  kResponseTooLarge,  // the runtime's response passed kMaxResponseBytes
  kDeadline,          // the invocation's timeout passed
  kProcessExit,       // the process group is gone
  kFrozen,            // the freezer took the idle environment
  kStop,              // shut the environment down for good
  kStopTimeout,       // no exit was reported within the stop's budget
};
inline constexpr int kEnvEventCount = static_cast<int>(EnvEvent::kStopTimeout) + 1;
const char* EnvEventName(EnvEvent event);

// How the environment carries a transition out; one member function each.
enum class EnvAction : uint8_t {
  kNone,
  kStartColdInit,    // INIT_START, the init timer, spawn
  kStartInvokeInit,  // START, the deadline, spawn (init counts against the invocation)
  kAdoptProcess,     // take the spawn's pid, cgroup and Runtime API socket
  kDeliver,          // after init: hand the waiting event to the runtime
  kDeliverWarm,      // an idle environment takes an invocation
  kDeliverThawed,    // a frozen one: thaw, then hand it over
  kRetryInit,        // the cold init failed: report it, re-run init inside the invocation
  kFailInvoke,       // init inside the invocation failed: report, answer the error, reset
  kKeepResult,       // hold the runtime's answer (sent now unless the caller wants the tail)
  kAnswerTooLarge,   // answer Function.ResponseSizeTooLarge
  kEndInvocation,    // REPORT, the answer, freeze, release
  kTimeOut,          // Task timed out: kill, answer, reset
  kCrash,            // the process died during the invocation: answer, reset
  kForgetProcess,    // the process died while idle: the next invoke re-runs init
  kBeginStop,        // answer what is in flight, SHUTDOWN/SIGTERM or SIGKILL, the kill timer
  kFinishStop,       // the process is gone: reclaim /tmp, tell the caller
  kGiveUpStop,       // no exit ever came: log it, then as kFinishStop
};
const char* EnvActionName(EnvAction action);

struct EnvTransition {
  EnvPhase next;
  EnvAction action;
};

// The transition for `event` in `phase`; FailedPrecondition for every pair not listed.
StatusOr<EnvTransition> NextPhase(EnvPhase phase, EnvEvent event);

// How an invocation ended, as REPORT's status and the invocation record show it.
enum class EndStatus { kSuccess, kError, kTimeout };
// "" for success (REPORT has no status then), "error", "timeout".
const char* EndStatusName(EndStatus status);

// When a stop with a shutdown budget of `budget_ms` sends SIGKILL, and when it gives up waiting
// for an exit that is never reported: 5 s after the stop began, and at least 1 s after the
// SIGKILL. Both in milliseconds from the stop.
struct StopSchedule {
  int64_t kill_ms;
  int64_t give_up_ms;
};
StopSchedule StopScheduleFor(int64_t budget_ms);

}  // namespace thaw::invoker
