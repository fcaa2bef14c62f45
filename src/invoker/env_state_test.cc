#include "invoker/env_state.h"

#include <set>
#include <utility>

#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

using P = EnvPhase;
using E = EnvEvent;

struct Allowed {
  EnvPhase from;
  EnvEvent event;
  EnvPhase next;
};

// The life cycle as docs/design.md draws it; every other pair must be refused.
const Allowed kAllowed[] = {
    {P::kCold, E::kInvoke, P::kColdInit},
    {P::kCold, E::kStop, P::kStopping},
    {P::kColdInit, E::kSpawned, P::kColdInit},
    {P::kColdInit, E::kRuntimeNext, P::kInvoking},
    {P::kColdInit, E::kInitFailed, P::kInvokeInit},
    {P::kColdInit, E::kInitError, P::kInvokeInit},
    {P::kColdInit, E::kInitTimeout, P::kInvokeInit},
    {P::kColdInit, E::kProcessExit, P::kInvokeInit},
    {P::kColdInit, E::kStop, P::kStopping},
    {P::kInvokeInit, E::kSpawned, P::kInvokeInit},
    {P::kInvokeInit, E::kRuntimeNext, P::kInvoking},
    {P::kInvokeInit, E::kInitFailed, P::kReset},
    {P::kInvokeInit, E::kInitError, P::kReset},
    {P::kInvokeInit, E::kProcessExit, P::kReset},
    {P::kInvokeInit, E::kDeadline, P::kReset},
    {P::kInvokeInit, E::kStop, P::kStopping},
    {P::kInvoking, E::kResponse, P::kResponded},
    {P::kInvoking, E::kResponseTooLarge, P::kResponded},
    {P::kInvoking, E::kRuntimeNext, P::kIdle},
    {P::kInvoking, E::kDeadline, P::kReset},
    {P::kInvoking, E::kProcessExit, P::kReset},
    {P::kInvoking, E::kStop, P::kStopping},
    {P::kResponded, E::kRuntimeNext, P::kIdle},
    {P::kResponded, E::kDeadline, P::kReset},
    {P::kResponded, E::kProcessExit, P::kReset},
    {P::kResponded, E::kStop, P::kStopping},
    {P::kIdle, E::kInvoke, P::kInvoking},
    {P::kIdle, E::kFrozen, P::kFrozen},
    {P::kIdle, E::kProcessExit, P::kReset},
    {P::kIdle, E::kStop, P::kStopping},
    {P::kFrozen, E::kInvoke, P::kInvoking},
    {P::kFrozen, E::kProcessExit, P::kReset},
    {P::kFrozen, E::kStop, P::kStopping},
    {P::kReset, E::kInvoke, P::kInvokeInit},
    {P::kReset, E::kStop, P::kStopping},
    {P::kStopping, E::kProcessExit, P::kDead},
    {P::kStopping, E::kStopTimeout, P::kDead},
    {P::kStopping, E::kStop, P::kStopping},
};

TEST(EnvStateTest, ListedTransitionsGoWhereTheDiagramSays) {
  for (const Allowed& a : kAllowed) {
    auto t = NextPhase(a.from, a.event);
    ASSERT_TRUE(t.ok()) << EnvPhaseName(a.from) << " + " << EnvEventName(a.event);
    EXPECT_EQ(t->next, a.next) << EnvPhaseName(a.from) << " + " << EnvEventName(a.event);
  }
}

TEST(EnvStateTest, EveryOtherPairIsRefused) {
  std::set<std::pair<int, int>> allowed;
  for (const Allowed& a : kAllowed) {
    allowed.insert({static_cast<int>(a.from), static_cast<int>(a.event)});
  }
  int refused = 0;
  for (int p = 0; p < kEnvPhaseCount; ++p) {
    for (int e = 0; e < kEnvEventCount; ++e) {
      if (allowed.count({p, e})) continue;
      auto t = NextPhase(static_cast<EnvPhase>(p), static_cast<EnvEvent>(e));
      EXPECT_FALSE(t.ok()) << EnvPhaseName(static_cast<EnvPhase>(p)) << " + "
                           << EnvEventName(static_cast<EnvEvent>(e)) << " is allowed";
      if (!t.ok()) {
        EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
        ++refused;
      }
    }
  }
  EXPECT_EQ(refused, kEnvPhaseCount * kEnvEventCount - static_cast<int>(allowed.size()));
  // A dead environment takes nothing.
  for (int e = 0; e < kEnvEventCount; ++e) {
    EXPECT_FALSE(NextPhase(P::kDead, static_cast<EnvEvent>(e)).ok());
  }
}

TEST(EnvStateTest, EveryPhaseHasItsCoarseState) {
  EXPECT_EQ(StateOf(P::kReset), EnvState::kCold);
  EXPECT_EQ(StateOf(P::kInvokeInit), EnvState::kInitializing);
  EXPECT_EQ(StateOf(P::kResponded), EnvState::kInvoking);
  EXPECT_EQ(StateOf(P::kFrozen), EnvState::kIdle);  // `thaw ps` and the pool see it idle
  EXPECT_STREQ(EndStatusName(EndStatus::kSuccess), "");
  EXPECT_STREQ(EndStatusName(EndStatus::kTimeout), "timeout");
}

// The SIGKILL comes at the end of the shutdown budget; the wait for the exit ends 5 s after
// the stop began, whatever the budget (it used to be 5 s after the SIGKILL, always).
TEST(EnvStateTest, StopGivesUpFiveSecondsAfterItBegan) {
  EXPECT_EQ(StopScheduleFor(0).kill_ms, 0);
  EXPECT_EQ(StopScheduleFor(0).give_up_ms, 5000);
  EXPECT_EQ(StopScheduleFor(2000).kill_ms, 2000);
  EXPECT_EQ(StopScheduleFor(2000).give_up_ms, 5000);
  EXPECT_EQ(StopScheduleFor(500).give_up_ms, 5000);
  // A budget near 5 s still leaves the SIGKILL time to work.
  EXPECT_EQ(StopScheduleFor(4500).give_up_ms, 5500);
}

}  // namespace
}  // namespace thaw::invoker
