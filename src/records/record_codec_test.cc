#include "records/record_codec.h"

#include <gtest/gtest.h>

namespace thaw::records {
namespace {

InvocationRecord Sample(int i) {
  InvocationRecord r;
  r.request_id = "c0a4e1f2-1234-4321-8888-0123456789ab";
  r.function = i < 2 ? "one" : "two";
  r.version = "$LATEST";
  r.mechanism = "runtime-api";
  r.architecture = "arm64";
  r.environment = i < 2 ? "aaaa" : "bbbb";  // an environment has one identity
  r.memory_mb = 1769;
  r.error_type = i == 1 ? "Runtime.ExitError" : "";
  r.trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  r.cold = i == 0;
  r.async = i == 2;
  r.status = i == 1   ? RecordStatus::kError
             : i == 2 ? RecordStatus::kTimeout
                      : RecordStatus::kSuccess;
  r.arrived_ns = 5'000'000'000 + i * 1'000'000;
  r.acquired_ns = r.arrived_ns + 2'000;
  r.ready_ns = i == 1 ? 0 : r.arrived_ns + 50'000;  // 0: did not happen
  r.sent_ns = r.arrived_ns + 60'000;
  r.responded_ns = r.arrived_ns + 900'000;
  r.answered_ns = r.arrived_ns + 910'000;
  r.ended_ns = r.arrived_ns - 1;  // out of order still round-trips
  r.init_ns = i == 0 ? 45'000'000 : 0;
  r.freeze_ns = 4'321;
  r.duration_ns = 850'000;
  r.billed_ms = 1;
  r.max_memory_mb = 21;
  r.cpu_ns = 700'000;
  if (i != 2) {  // one record without stamps, as records from before HLC read back
    r.hlc_arrived = {int64_t{1'764'280'000'123'456'789} + i, static_cast<uint32_t>(i)};
    r.hlc_answered = {r.hlc_arrived.l + (i == 3 ? -5 : 910'000), 7};  // may be behind: skew
  }
  return r;
}

bool Same(const InvocationRecord& a, const DecodedRecord& b) {
  return a.request_id == b.request_id && a.function == b.function && a.version == b.version &&
         a.mechanism == b.mechanism && a.architecture == b.architecture &&
         a.environment == b.environment && a.memory_mb == b.memory_mb &&
         a.error_type == b.error_type && a.trace == b.trace && a.cold == b.cold &&
         a.async == b.async && a.status == b.status && a.arrived_ns == b.arrived_ns &&
         a.acquired_ns == b.acquired_ns && a.ready_ns == b.ready_ns && a.sent_ns == b.sent_ns &&
         a.responded_ns == b.responded_ns && a.answered_ns == b.answered_ns &&
         a.ended_ns == b.ended_ns && a.init_ns == b.init_ns && a.freeze_ns == b.freeze_ns &&
         a.duration_ns == b.duration_ns && a.billed_ms == b.billed_ms &&
         a.max_memory_mb == b.max_memory_mb && a.cpu_ns == b.cpu_ns &&
         a.hlc_arrived == b.hlc_arrived && a.hlc_answered == b.hlc_answered &&
         a.source.mapping == b.source.mapping && a.source.source_arn == b.source.source_arn &&
         a.source.shard == b.source.shard && a.source.first_seq == b.source.first_seq &&
         a.source.last_seq == b.source.last_seq && a.source.batch_size == b.source.batch_size &&
         a.source.attempt == b.source.attempt && a.source.bisected == b.source.bisected &&
         a.source.invoked_ms == b.source.invoked_ms &&
         a.source.first_arrival_ms == b.source.first_arrival_ms &&
         a.source.last_arrival_ms == b.source.last_arrival_ms;
}

// A stream poller's invocation: Sample(i) with the batch it delivered.
InvocationRecord FromStream(int i) {
  InvocationRecord r = Sample(i);
  r.source.mapping = "a1b2c3d4-0000-4000-8000-00000000000e";
  r.source.source_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";
  r.source.shard = "shardId-000000000001";
  r.source.first_seq = "49590338271490256608559692538361571095921575989136588898";
  r.source.last_seq = "49590338271490256608559692540925702759324208523137515618";
  r.source.batch_size = 100 + i;
  r.source.attempt = i + 1;
  r.source.bisected = i == 1;
  r.source.invoked_ms = 1'764'280'000'123 + i;
  r.source.first_arrival_ms = r.source.invoked_ms - 250;
  r.source.last_arrival_ms = r.source.invoked_ms + 3;  // clocks may disagree
  return r;
}

// Encodes `in` as a batch, each record carrying its identity only when the previous differs.
std::string Batch(const std::vector<InvocationRecord>& in) {
  std::string blob;
  for (size_t i = 0; i < in.size(); ++i) {
    bool identity = i == 0 || in[i].environment != in[i - 1].environment;
    std::string buf(MaxEncodedSize(in[i]), '\0');
    blob.append(buf.data(), EncodeRecord(in[i], identity, buf.data()));
  }
  return blob;
}

void ExpectRoundTrip(const std::vector<InvocationRecord>& in) {
  auto out = DecodeBatch(Batch(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_TRUE(Same(in[i], (*out)[i]))
        << i << ": " << (*out)[i].request_id << " " << (*out)[i].trace << " " << (*out)[i].function;
  }
}

TEST(RecordCodecTest, ABatchRoundTrips) {
  ExpectRoundTrip({Sample(0), Sample(1), Sample(2), Sample(3)});
}

TEST(RecordCodecTest, AWarmRecordIsSmall) {
  InvocationRecord r = Sample(3);
  std::string buf(MaxEncodedSize(r), '\0');
  size_t with = EncodeRecord(r, true, buf.data());
  size_t without = EncodeRecord(r, false, buf.data());
  EXPECT_LT(without, 95u);  // UUID and trace packed, times relative to the arrival
  EXPECT_EQ(with - without, (1 + 3) + (1 + 7) + (1 + 11) + (1 + 5) + 2 + (1 + 4));
}

TEST(RecordCodecTest, OddIdsAndTraceHeadersRoundTripAsText) {
  std::vector<InvocationRecord> in;
  for (const char* id : {"C0A4E1F2-1234-4321-8888-0123456789AB", "not-a-uuid", ""}) {
    for (const char* trace :
         {"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?",
          "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:0",
          "Root=1-5759E988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
          "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampler=1", ""}) {
      InvocationRecord r = Sample(3);
      r.request_id = id;
      r.trace = trace;
      in.push_back(r);
    }
  }
  ExpectRoundTrip(in);
}

TEST(RecordCodecTest, IdentityCanBePutBackForANewBatch) {
  InvocationRecord a = Sample(3), b = Sample(3);
  b.arrived_ns += 1000;
  std::string buf_a(MaxEncodedSize(a), '\0'), buf_b(MaxEncodedSize(b), '\0');
  std::string_view with(buf_a.data(), EncodeRecord(a, true, buf_a.data()));
  std::string_view without(buf_b.data(), EncodeRecord(b, false, buf_b.data()));
  EXPECT_TRUE(IdentityOf(without).empty());
  std::string_view identity = IdentityOf(with);
  EXPECT_FALSE(identity.empty());
  std::string batch;
  AppendWithIdentity(without, identity, batch);  // b alone, as a batch of its own
  auto out = DecodeBatch(batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_TRUE(Same(b, (*out)[0]));
}

TEST(RecordCodecTest, TheEventSourceRoundTripsWithEveryStatus) {
  ExpectRoundTrip({FromStream(0), FromStream(1), Sample(1), FromStream(2), FromStream(3)});
  InvocationRecord sqs = Sample(3);  // an SQS mapping: no shard or sequence numbers
  sqs.source.mapping = "a1b2c3d4-0000-4000-8000-00000000000f";
  sqs.source.source_arn = "arn:aws:sqs:us-east-1:000000000000:jobs";
  sqs.source.batch_size = 10;
  sqs.source.attempt = 1;
  ExpectRoundTrip({sqs, Sample(3)});
}

TEST(RecordCodecTest, ARecordWithoutSourceIsAsBefore) {
  InvocationRecord r = Sample(2);  // timeout
  std::string buf(MaxEncodedSize(r), '\0');
  EncodeRecord(r, true, buf.data());
  EXPECT_EQ((static_cast<uint8_t>(buf[0]) >> 2) & 3, 2);  // the status itself, no extension
  InvocationRecord s = FromStream(2);
  std::string with_source(MaxEncodedSize(s), '\0');
  EncodeRecord(s, true, with_source.data());
  EXPECT_EQ((static_cast<uint8_t>(with_source[0]) >> 2) & 3, 3);
}

TEST(RecordCodecTest, RecordsWrittenBeforeSourcesDecode) {
  // Two records in the old layout, written by hand: flags (identity; then timeout), identity
  // (function "f", empty version, mechanism, architecture, memory 128, environment "e"),
  // request id "r", no trace, no error, arrival 5, six times and six figures.
  std::string old(
      "\x10\x01"
      "f"
      "\x00\x00\x00\x80\x01\x01"
      "e"
      "\x01"
      "r"
      "\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"
      "\x08\x01"
      "q"
      "\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
      45);
  auto out = DecodeBatch(old);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].function, "f");
  EXPECT_EQ((*out)[0].memory_mb, 128);
  EXPECT_EQ((*out)[0].cpu_ns, 1);
  EXPECT_EQ((*out)[1].request_id, "q");
  EXPECT_EQ((*out)[1].status, RecordStatus::kTimeout);
  EXPECT_EQ((*out)[1].environment, "e");
  EXPECT_TRUE((*out)[0].source.empty());
  EXPECT_TRUE((*out)[1].source.empty());
}

TEST(RecordCodecTest, ASourceRecordTakesItsIdentityBack) {
  InvocationRecord a = FromStream(3), b = FromStream(3);
  b.source.attempt = 7;
  b.source.bisected = true;
  std::string buf_a(MaxEncodedSize(a), '\0'), buf_b(MaxEncodedSize(b), '\0');
  std::string_view with(buf_a.data(), EncodeRecord(a, true, buf_a.data()));
  std::string_view without(buf_b.data(), EncodeRecord(b, false, buf_b.data()));
  std::string batch;
  AppendWithIdentity(without, IdentityOf(with), batch);
  auto out = DecodeBatch(batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_TRUE(Same(b, (*out)[0]));
}

TEST(RecordCodecTest, GarbageIsRefused) {
  EXPECT_FALSE(DecodeBatch(std::string("\x10\xff\xff", 3)).ok());
  InvocationRecord r = Sample(3);
  std::string buf(MaxEncodedSize(r), '\0');
  std::string lone(buf.data(), EncodeRecord(r, false, buf.data()));
  EXPECT_FALSE(DecodeBatch(lone).ok());  // a first record must carry its identity
  EXPECT_TRUE(DecodeBatch("").ok());
}

}  // namespace
}  // namespace thaw::records
