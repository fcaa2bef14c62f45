// SchedulerApi: EventBridge Scheduler's schedules (REST-JSON under /schedules, signed as
// "scheduler"): CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule, ListSchedules, in
// the default schedule group. Also thaw's GET /thaw/schedules (thaw schedules): every rule and
// schedule with its next run. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "events/schedules.h"
#include "http/api.h"

namespace thaw::events {

class SchedulerApi final : public http::Api {
 public:
  // `schedules` must outlive this object.
  explicit SchedulerApi(Schedules& schedules) : schedules_(schedules) {}

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

 private:
  Schedules& schedules_;
};

}  // namespace thaw::events
