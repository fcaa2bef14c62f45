#include "events/schedules.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "base/codec.h"

namespace thaw::events {
namespace {

using nlohmann::json;

struct Delivery {
  std::string how;  // "as" (InvokeAsyncAs), "invoke", "queue", "topic"
  std::string principal;
  std::string source_arn;
  std::string arn;
  std::string payload;
};

class FakeSinks final : public delivery::Sinks {
 public:
  void SendToQueue(const std::string& arn, std::string body, sqs::MessageAttributes,
                   std::function<void(Status)> done) override {
    got.push_back({"queue", "", "", arn, std::move(body)});
    done(Status::Ok());
  }
  void InvokeAsync(const std::string& arn, std::string payload,
                   std::function<void(Status)> done) override {
    got.push_back({"invoke", "", "", arn, std::move(payload)});
    done(Status::Ok());
  }
  void PublishToTopic(const std::string& arn, std::string message, sqs::MessageAttributes,
                      std::function<void(Status)> done) override {
    got.push_back({"topic", "", "", arn, std::move(message)});
    done(Status::Ok());
  }
  void SendToQueueAs(const lambda::InvokePrincipal&, const std::string& arn, sqs::Message,
                     std::function<void(Status)> done) override {
    got.push_back({"queue-as", "", "", arn, ""});
    done(Status::Ok());
  }
  void InvokeAsyncAs(const lambda::InvokePrincipal& who, const std::string& arn,
                     std::string payload, std::string, std::function<void(Status)> done) override {
    got.push_back({"as", who.service, who.source_arn, arn, std::move(payload)});
    done(Status::Ok());
  }
  std::vector<Delivery> got;
};

constexpr char kFunction[] = "arn:aws:lambda:us-east-1:000000000000:function:f";

class SchedulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("schedules_test_" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    auto db = store::Database::Open((dir_ / "state.db").string());
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    schedules_ = Make();
    ASSERT_TRUE(schedules_->Start().ok());
  }
  void TearDown() override {
    schedules_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A minute lasts 6 ms. One io_context is both the loop and the control thread.
  std::unique_ptr<Schedules> Make() {
    return std::make_unique<Schedules>(Schedules::Options{.loop = loop_,
                                                          .control = loop_,
                                                          .db = *db_,
                                                          .sinks = sinks_,
                                                          .clock = SystemClock::Get(),
                                                          .time_scale = 0.0001});
  }
  void RunFor(int ms) {
    loop_.restart();
    loop_.run_for(std::chrono::milliseconds(ms));
  }
  static Job Rule(const std::string& name, const std::string& expression) {
    Job job;
    job.account = "000000000000";
    job.name = name;
    job.expression = expression;
    job.targets = {Target{"t", kFunction, std::nullopt, "", ""}};
    return job;
  }
  Status Put(Job job) {
    Status stored = Status::Internal("not committed");
    bool done = false;
    Status s = schedules_->Put(std::move(job), [&](Status c) {
      stored = c;
      done = true;
    });
    if (!s.ok()) return s;
    loop_.restart();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      loop_.run_one_for(std::chrono::milliseconds(10));
    }
    return stored;
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  std::unique_ptr<store::Database> db_;
  FakeSinks sinks_;
  std::unique_ptr<Schedules> schedules_;
};

TEST_F(SchedulesTest, RuleFiresWithTheScheduledEventAsEventBridge) {
  ASSERT_TRUE(Put(Rule("r", "rate(1 minute)")).ok());
  RunFor(100);
  ASSERT_GE(sinks_.got.size(), 3u);
  const Delivery& d = sinks_.got[0];
  EXPECT_EQ(d.how, "as");
  EXPECT_EQ(d.principal, "events.amazonaws.com");
  EXPECT_EQ(d.source_arn, "arn:aws:events:us-east-1:000000000000:rule/r");
  EXPECT_EQ(d.arn, kFunction);
  json event = json::parse(d.payload);
  EXPECT_EQ(event["detail-type"], "Scheduled Event");
  EXPECT_EQ(event["resources"], json::array({d.source_arn}));
  // Each run one minute later on the rule's clock.
  json next = json::parse(sinks_.got[1].payload);
  EXPECT_NE(event["id"], next["id"]);
  EXPECT_NE(event["time"], next["time"]);
  EXPECT_GE(schedules_->fired(Rule("r", "").Key()), 3);
}

TEST_F(SchedulesTest, DisabledRuleDoesNotFireAndRemovedStops) {
  Job off = Rule("off", "rate(1 minute)");
  off.state = "DISABLED";
  ASSERT_TRUE(Put(off).ok());
  RunFor(60);
  EXPECT_TRUE(sinks_.got.empty());
  EXPECT_EQ(schedules_->NextRunMs(off.Key()), std::nullopt);
  ASSERT_TRUE(Put(Rule("on", "rate(1 minute)")).ok());
  RunFor(60);
  ASSERT_FALSE(sinks_.got.empty());
  ASSERT_TRUE(schedules_->Remove(Rule("on", "").Key(), [](Status) {}));
  RunFor(1);
  size_t n = sinks_.got.size();
  RunFor(60);
  EXPECT_EQ(sinks_.got.size(), n);
}

TEST_F(SchedulesTest, ScheduleDeliversItsInputThroughItsRole) {
  Job job = Rule("s", "rate(1 minute)");
  job.kind = Job::Kind::kSchedule;
  job.timezone = "Europe/Berlin";
  job.targets[0].input = "not json at all";
  ASSERT_TRUE(Put(job).ok());
  RunFor(40);
  ASSERT_FALSE(sinks_.got.empty());
  EXPECT_EQ(sinks_.got[0].how, "invoke");
  EXPECT_EQ(sinks_.got[0].payload, "not json at all");
}

TEST_F(SchedulesTest, AtRunsOnceThenDeletesItselfWhenAsked) {
  // A minute from now, as a Berlin wall-clock time.
  int64_t now_s = SystemClock::Get().RealtimeMillis() / 1000;
  auto berlin = schedule::TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  std::time_t local = static_cast<std::time_t>(now_s + 60 + berlin->OffsetAt(now_s + 60));
  std::tm tm{};
  gmtime_r(&local, &tm);
  char at[40];
  std::strftime(at, sizeof at, "at(%Y-%m-%dT%H:%M:%S)", &tm);
  Job job = Rule("once", at);
  job.kind = Job::Kind::kSchedule;
  job.timezone = "Europe/Berlin";
  job.action_after_completion = "DELETE";
  ASSERT_TRUE(Put(job).ok());
  RunFor(60);
  EXPECT_EQ(sinks_.got.size(), 1u);
  EXPECT_EQ(schedules_->Find(job.Key()), nullptr);
}

TEST_F(SchedulesTest, RunsOnlyBetweenStartAndEnd) {
  int64_t now_s = SystemClock::Get().RealtimeMillis() / 1000;
  Job ended = Rule("ended", "rate(1 minute)");
  ended.kind = Job::Kind::kSchedule;
  ended.end_s = now_s - 10;
  ASSERT_TRUE(Put(ended).ok());
  Job later = Rule("later", "rate(1 minute)");
  later.kind = Job::Kind::kSchedule;
  later.start_s = now_s + 3600;  // 0.36 s scaled
  ASSERT_TRUE(Put(later).ok());
  RunFor(100);
  EXPECT_TRUE(sinks_.got.empty());
  EXPECT_EQ(schedules_->NextRunMs(ended.Key()), std::nullopt);
  ASSERT_TRUE(schedules_->NextRunMs(later.Key()).has_value());
  RunFor(600);
  EXPECT_FALSE(sinks_.got.empty());
}

TEST_F(SchedulesTest, RefusesBadExpressionsAndZones) {
  Status s = schedules_->Put(Rule("bad", "rate(1 minutes)"), [](Status) {});
  EXPECT_EQ(s.message(), schedule::kInvalidExpression);
  Job at = Rule("at", "at(2030-01-01T00:00:00)");
  EXPECT_FALSE(schedules_->Put(at, [](Status) {}).ok());  // at() is Scheduler's alone
  Job zone = Rule("zone", "rate(1 hour)");
  zone.kind = Job::Kind::kSchedule;
  zone.timezone = "Nowhere/Atlantis";
  EXPECT_FALSE(schedules_->Put(zone, [](Status) {}).ok());
  EXPECT_EQ(schedules_->Find(zone.Key()), nullptr);
}

TEST_F(SchedulesTest, KeptAcrossARestart) {
  Job job = Rule("kept", "cron(* * * * ? *)");
  job.targets.push_back(Target{"q", "arn:aws:sqs:us-east-1:000000000000:q", "{}", "", ""});
  ASSERT_TRUE(Put(job).ok());
  schedules_.reset();
  sinks_.got.clear();
  schedules_ = Make();
  ASSERT_TRUE(schedules_->Start().ok());
  ASSERT_NE(schedules_->Find(job.Key()), nullptr);
  EXPECT_EQ(schedules_->Find(job.Key())->targets.size(), 2u);
  RunFor(60);
  bool queue = false;
  for (const Delivery& d : sinks_.got) queue = queue || (d.how == "queue" && d.payload == "{}");
  EXPECT_TRUE(queue);
}

}  // namespace
}  // namespace thaw::events
