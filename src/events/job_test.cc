#include "events/job.h"

#include <gtest/gtest.h>

namespace thaw::events {
namespace {

using nlohmann::json;

TEST(Job, ArnsAndKeys) {
  Job rule;
  rule.account = "111122223333";
  rule.name = "nightly";
  EXPECT_EQ(rule.Arn(), "arn:aws:events:us-east-1:111122223333:rule/nightly");
  Job schedule = rule;
  schedule.kind = Job::Kind::kSchedule;
  EXPECT_EQ(schedule.Arn(), "arn:aws:scheduler:us-east-1:111122223333:schedule/default/nightly");
  EXPECT_NE(rule.Key(), schedule.Key());
}

TEST(Job, StoredAndLoaded) {
  Job job;
  job.kind = Job::Kind::kSchedule;
  job.account = "000000000000";
  job.name = "s";
  job.expression = "cron(0 9 * * ? *)";
  job.timezone = "Europe/Berlin";
  job.state = "DISABLED";
  job.flexible_window = {{"Mode", "OFF"}};
  job.targets = {Target{"", "arn:aws:lambda:us-east-1:000000000000:function:f", "{\"a\":1}", "",
                        "arn:aws:iam::000000000000:role/r"}};
  job.created_ms = 5;
  auto back = Job::FromJson(job.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), job.ToJson());
  EXPECT_FALSE(back->enabled());
  EXPECT_EQ(back->targets[0].input, "{\"a\":1}");
  EXPECT_FALSE(Job::FromJson(json::array()).ok());
}

TEST(Job, ScheduledEvent) {
  json e = ScheduledEvent("000000000000", "arn:aws:events:us-east-1:000000000000:rule/r",
                          1704067200000, "id-1");
  EXPECT_EQ(e, json::parse(R"({"version":"0","id":"id-1","detail-type":"Scheduled Event",
    "source":"aws.events","account":"000000000000","time":"2024-01-01T00:00:00Z",
    "region":"us-east-1","resources":["arn:aws:events:us-east-1:000000000000:rule/r"],
    "detail":{}})"));
}

TEST(Job, TargetPayload) {
  json event = {{"detail", {{"x", {{"y", 2}}}}}, {"id", "i"}};
  Target t;
  EXPECT_EQ(TargetPayload(t, event), event.dump());
  t.input_path = "$.detail.x";
  EXPECT_EQ(TargetPayload(t, event), "{\"y\":2}");
  t.input_path = "$.missing";
  EXPECT_EQ(TargetPayload(t, event), "null");
  t.input = "not even json";  // Input wins, verbatim
  EXPECT_EQ(TargetPayload(t, event), "not even json");
}

}  // namespace
}  // namespace thaw::events
