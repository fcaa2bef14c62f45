// EventsApi: EventBridge's rule API (X-Amz-Target AWSEvents.<Op>, JSON 1.1) on the front door
// (http/dispatch.h names it "events"): PutRule, DescribeRule, ListRules, DeleteRule, EnableRule,
// DisableRule, PutTargets, RemoveTargets, ListTargetsByRule, on the default event bus. Schedule
// rules fire (events/schedules.h); EventPattern rules are kept but match nothing.
// Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "events/schedules.h"
#include "http/api.h"

namespace thaw::events {

class EventsApi final : public http::Api {
 public:
  // `schedules` must outlive this object.
  explicit EventsApi(Schedules& schedules) : schedules_(schedules) {}

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

 private:
  Schedules& schedules_;
};

}  // namespace thaw::events
