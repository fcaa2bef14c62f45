// Fuzzes Lambda's event filtering (filter/pattern.h): the first line is a FilterCriteria pattern,
// the rest a record (JSON, also tried as an SQS message body and as Kinesis data). Checks that a
// pattern accepted once is accepted again after a JSON round trip and matches the same records, and
// that nothing a caller sends can crash Parse, Matches or the record views.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "filter/pattern.h"

using nlohmann::json;
using thaw::StatusOr;
using thaw::filter::Criteria;
using thaw::filter::Pattern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string_view pattern_text = input.substr(0, newline);
  std::string_view record_text = newline == std::string_view::npos ? "" : input.substr(newline + 1);

  StatusOr<Pattern> pattern = Pattern::Parse(pattern_text);
  json record = json::parse(record_text, nullptr, false);
  if (record.is_discarded()) record = json::object();
  json sqs = thaw::filter::SqsRecordView(
      json{{"messageId", "m"}, {"body", std::string(record_text)}, {"attributes", json::object()}});
  json kinesis = thaw::filter::KinesisRecordView(
      json{{"kinesis", {{"data", thaw::Base64Encode(record_text)}}}, {"eventSource", record}});
  if (!pattern.ok()) return 0;
  bool matches = pattern->Matches(record);
  bool matches_sqs = pattern->Matches(sqs);
  pattern->Matches(kinesis);

  // The same pattern, reserialized, is the same pattern.
  json reparsed = json::parse(pattern_text, nullptr, false);
  if (reparsed.is_discarded()) std::abort();
  std::string again = reparsed.dump(-1, ' ', false, json::error_handler_t::replace);
  if (again.size() <= thaw::filter::kMaxPatternLength) {
    StatusOr<Pattern> second = Pattern::Parse(again);
    if (!second.ok()) std::abort();
    if (second->Matches(record) != matches || second->Matches(sqs) != matches_sqs) std::abort();
    // As the only filter of a FilterCriteria, it decides alone.
    StatusOr<Criteria> criteria = Criteria::Parse(json{{"Filters", {{{"Pattern", again}}}}});
    if (!criteria.ok() || criteria->Matches(record) != matches) std::abort();
  }
  return 0;
}
