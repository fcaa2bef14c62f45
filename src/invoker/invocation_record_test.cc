#include "invoker/invocation_record.h"

#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

struct Ended {
  lambda::FunctionConfig config;
  Invocation inv;
  Ended() {
    config.name = "fn";
    config.memory_mb = 512;
    config.architecture = "arm64";
    inv.event.request_id = "req";
    inv.event.trace_id = "Root=1-a-b;Parent=c;Sampled=1";
    inv.arrived_ns = 10;
    inv.received_ns = 20;
    inv.ready_ns = 30;
    inv.delivered_ns = 40;
    inv.responded_ns = 50;
    inv.answered_ns = 60;
    inv.cold = true;
  }
  records::InvocationRecord Fill(std::string_view status, std::string_view error_type) {
    return MakeRecord(inv, {config, "$LATEST", "env", status, error_type, 70, 30, 1, 9, 5, 4});
  }
};

TEST(MakeRecordTest, CopiesIdentityTimesAndFigures) {
  Ended e;
  records::InvocationRecord r = e.Fill("", "");
  EXPECT_EQ(r.request_id, "req");
  EXPECT_EQ(r.function, "fn");
  EXPECT_EQ(r.version, "$LATEST");
  EXPECT_EQ(r.mechanism, "runtime-api");
  EXPECT_EQ(r.architecture, "arm64");
  EXPECT_EQ(r.environment, "env");
  EXPECT_EQ(r.trace, "Root=1-a-b;Parent=c;Sampled=1");
  EXPECT_TRUE(r.cold);
  EXPECT_FALSE(r.async);
  EXPECT_EQ(r.status, records::RecordStatus::kSuccess);
  EXPECT_EQ(r.memory_mb, 512);
  EXPECT_EQ(r.arrived_ns, 10);
  EXPECT_EQ(r.acquired_ns, 20);
  EXPECT_EQ(r.ended_ns, 70);
  EXPECT_EQ(r.freeze_ns, 4);
  EXPECT_EQ(r.duration_ns, 30);
  EXPECT_EQ(r.billed_ms, 1);
  EXPECT_EQ(r.max_memory_mb, 9);
  EXPECT_EQ(r.cpu_ns, 5);
}

TEST(MakeRecordTest, CopiesTheEventSourceBatch) {
  Ended e;
  EXPECT_TRUE(e.Fill("", "").source.empty());  // a direct invoke
  e.inv.source = {.mapping = "uuid",
                  .source_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s",
                  .shard = "shardId-000000000000",
                  .first_seq = "1",
                  .last_seq = "9",
                  .batch_size = 3,
                  .attempt = 2,
                  .bisected = true,
                  .invoked_ms = 1000,
                  .first_arrival_ms = 900,
                  .last_arrival_ms = 950};
  records::InvocationRecord r = e.Fill("", "");
  EXPECT_EQ(r.source.mapping, "uuid");
  EXPECT_EQ(r.source.source_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  EXPECT_EQ(r.source.shard, "shardId-000000000000");
  EXPECT_EQ(r.source.first_seq, "1");
  EXPECT_EQ(r.source.last_seq, "9");
  EXPECT_EQ(r.source.batch_size, 3);
  EXPECT_EQ(r.source.attempt, 2);
  EXPECT_TRUE(r.source.bisected);
  EXPECT_EQ(r.source.invoked_ms, 1000);
  EXPECT_EQ(r.source.first_arrival_ms, 900);
  EXPECT_EQ(r.source.last_arrival_ms, 950);
}

TEST(MakeRecordTest, StatusFromReportAndFunctionError) {
  Ended e;
  EXPECT_EQ(e.Fill("timeout", "").status, records::RecordStatus::kTimeout);
  records::InvocationRecord crash = e.Fill("error", "Runtime.ExitError");
  EXPECT_EQ(crash.status, records::RecordStatus::kError);
  EXPECT_EQ(crash.error_type, "Runtime.ExitError");
  e.inv.function_error = true;
  e.inv.error_type = "errorString";
  records::InvocationRecord handled = e.Fill("", "");
  EXPECT_EQ(handled.status, records::RecordStatus::kError);
  EXPECT_EQ(handled.error_type, "errorString");
}

TEST(ErrorTypeOfTest, HeaderElseBody) {
  EXPECT_EQ(ErrorTypeOf("Function.Custom", R"({"errorType":"x"})"), "Function.Custom");
  EXPECT_EQ(ErrorTypeOf("", R"({"errorMessage":"boom","errorType":"errorString"})"), "errorString");
  EXPECT_EQ(ErrorTypeOf("", "not json"), "");
  EXPECT_EQ(ErrorTypeOf("", R"({"errorType":3})"), "");
}

}  // namespace
}  // namespace thaw::invoker
