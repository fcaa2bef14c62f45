// Lambda's event filtering: the pattern engine behind an event source mapping's FilterCriteria
// (and, later, SNS filter policies). Self-contained: base and nlohmann/json only. Compiled
// patterns are immutable and cheap to copy; Parse and Matches are thread-safe.
//
// The operators are the ones Lambda's "Filter rule syntax" table lists, no more:
//   null            "UserID": [ null ]              matches a present null only
//   empty           "LastName": [ "" ]
//   equals          "Name": [ "Alice" ], [ 100 ], [ true ]
//   equals-ignore-case "Name": [ { "equals-ignore-case": "alice" } ]   (ASCII case folding)
//   and             several keys in one object
//   or              several rules in one array; "$or": [ {...}, {...} ] over whole sub-patterns
//   not             "Weather": [ { "anything-but": [ "Raining" ] } ] (or one string/number)
//   numeric         "Price": [ { "numeric": [ "=", 100 ] } ], [ ">", 10, "<=", 20 ]
//   exists          "ProductName": [ { "exists": true } ] / false (does not exist)
//   begins with     "Region": [ { "prefix": "us-" } ]
//   ends with       "FileName": [ { "suffix": ".png" } ]
// EventBridge accepts more, which Lambda does not list and Parse refuses: wildcard, cidr,
// anything-but with prefix / suffix / equals-ignore-case, prefix or suffix with
// equals-ignore-case. (EventBridge's table marks the anything-but forms unsupported in Pipes too.)
//
// Matching (event-ruler's rules, with Lambda's for JSON and plain-string data):
//   - A key's rules match when any rule matches any leaf value at that path. An array in the
//     record matches when any element does (nested arrays are flattened).
//   - A nested pattern under a key matches an object, or any object element of an array (all its
//     keys against the same element). A missing key is matched as missing (so only "exists":
//     false can match beneath it); a present string, number, true, false or null never matches a
//     nested pattern. This is Lambda's "plain-string body with a JSON pattern: dropped".
//   - "exists" looks at leaves only: an object is not a value ("exists": true does not match an
//     intermediate node; "exists": false does).
//   - Strings compare character by character. Numbers in equals / anything-but compare as the
//     record's JSON typed them: 300 equals 300 and 300.0 equals 300.0, but 300 is not 300.0
//     (Lambda: "300, 300.0 and 3.0e2 are not considered equal"; 300.0 and 3.0e2 are the same
//     double here). "numeric" compares values, within -5e9..5e9 as event-ruler does; true and
//     "5" are never numbers.
//   - anything-but needs a present value that differs from every listed one.
//
// Limits: a Pattern is at most 4,096 characters (the API model's bound), nesting at most
// kMaxDepth; FilterCriteria holds at most 5 filters (Lambda's default quota; 10 after a raise;
// AWS's text for too many is not known, so it gets the same one).
// Every refusal carries Lambda's text "Invalid filter pattern definition." (what
// CreateEventSourceMapping answers, as InvalidParameterValueException); `reason` says why, in
// event-ruler's words where they are known.
//
// What happens to a record no filter matches is the caller's business: an SQS mapping deletes the
// message at once (it never reaches the function, nor a DLQ); a stream mapping skips the record
// and checkpoints past it. A batching window only counts matching records.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::filter {

inline constexpr size_t kMaxPatternLength = 4096;
inline constexpr int kMaxDepth = 32;
inline constexpr size_t kDefaultMaxFilters = 5;
inline constexpr std::string_view kInvalidPattern = "Invalid filter pattern definition.";

struct Node;

class Pattern {
 public:
  // Parses one pattern (the JSON text of a Filter's Pattern). On error the Status message is
  // kInvalidPattern and *reason (when given) says what is wrong.
  static StatusOr<Pattern> Parse(std::string_view json, std::string* reason = nullptr);

  // Whether the record (a view built by SqsRecordView or the like) satisfies the pattern.
  bool Matches(const nlohmann::json& record) const;

 private:
  explicit Pattern(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

// FilterCriteria: {"Filters":[{"Pattern":"..."}, ...]}, OR over the patterns. No filters (an
// empty object, an empty list) matches every record.
class Criteria {
 public:
  static StatusOr<Criteria> Parse(const nlohmann::json& filter_criteria,
                                  size_t max_filters = kDefaultMaxFilters,
                                  std::string* reason = nullptr);

  bool Matches(const nlohmann::json& record) const;
  bool empty() const { return patterns_.empty(); }
  size_t size() const { return patterns_.size(); }

 private:
  std::vector<Pattern> patterns_;
};

// What a pattern sees for an SQS message: the record in Lambda's event shape (messageId,
// receiptHandle, body, attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN,
// awsRegion), with `body` replaced by its parsed JSON when the body is valid JSON and left the
// plain string otherwise. So a JSON pattern for body ({"body": {"k": [...]}}) matches only JSON
// bodies, and a plain-string pattern ({"body": ["text"]}) only bodies that are not JSON (a JSON
// string body "\"text\"" is the string text). Lambda's docs say SQS mappings filter on `body`;
// the other keys are there as Lambda's record has them.
nlohmann::json SqsRecordView(nlohmann::json record);

// Kinesis: patterns name the `kinesis` object's keys at the top ({"partitionKey": ["1"],
// "data": {...}}, as Lambda's and Pipes' examples do), beside the record's own (eventSource, ...).
// `data` is base64; decoded, it replaces `data` when it is valid JSON, else the base64 text stays
// (so a JSON pattern for data does not match it, as Lambda drops such records). Lambda also
// refuses, at CreateEventSourceMapping, a plain-string pattern for a stream's data; that check
// is the caller's.
nlohmann::json KinesisRecordView(const nlohmann::json& record);

// DynamoDB Streams records are matched as they are ("dynamodb": {"NewImage": {"id": {"S": ...}}}).

}  // namespace thaw::filter
