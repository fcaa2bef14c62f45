#include "filter/pattern.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "base/codec.h"

namespace thaw::filter {
namespace {

using nlohmann::json;

bool Match(const char* pattern, const json& record) {
  StatusOr<Pattern> p = Pattern::Parse(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().ToString();
  return p.ok() && p->Matches(record);
}

std::string Refusal(std::string_view pattern) {
  std::string reason;
  StatusOr<Pattern> p = Pattern::Parse(pattern, &reason);
  if (p.ok()) return "accepted";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), kInvalidPattern);
  return reason;
}

// The shared table (testdata/cases.json): what Lambda's docs say each case does. The moto
// differential test runs the same table through moto.
TEST(PatternTest, CaseTable) {
  std::ifstream in(THAW_FILTER_CASES);
  ASSERT_TRUE(in) << THAW_FILTER_CASES;
  std::stringstream text;
  text << in.rdbuf();
  json table = json::parse(text.str(), nullptr, false);
  ASSERT_TRUE(table.is_object());
  ASSERT_GE(table["cases"].size(), 50u);
  for (const json& c : table["cases"]) {
    std::string name = c["name"].get<std::string>();
    StatusOr<Pattern> p = Pattern::Parse(c["pattern"].dump());
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ(p->Matches(c["event"]), c["match"].get<bool>()) << name;
  }
}

TEST(PatternTest, Equality) {
  EXPECT_TRUE(Match(R"({"a":["x"]})", {{"a", "x"}}));
  EXPECT_FALSE(Match(R"({"a":["x"]})", {{"a", "X"}}));
  EXPECT_TRUE(Match(R"({"a":[5]})", {{"a", 5}}));
  EXPECT_FALSE(Match(R"({"a":[5]})", {{"a", 5.0}}));
  EXPECT_TRUE(Match(R"({"a":[5.0]})", {{"a", 5.0}}));
  EXPECT_TRUE(Match(R"({"a":[5.0]})", json::parse(R"({"a":5e0})")));
  EXPECT_TRUE(Match(R"({"a":[-5]})", {{"a", -5}}));
  EXPECT_FALSE(Match(R"({"a":[-5]})", {{"a", 5}}));
  EXPECT_TRUE(
      Match(R"({"a":[18446744073709551615]})", json::parse(R"({"a":18446744073709551615})")));
  EXPECT_FALSE(Match(R"({"a":[-1]})", json::parse(R"({"a":18446744073709551615})")));
  EXPECT_FALSE(Match(R"({"a":[true]})", {{"a", 1}}));
  EXPECT_FALSE(Match(R"({"a":[1]})", {{"a", true}}));
  EXPECT_TRUE(Match(R"({"a":[false]})", {{"a", false}}));
  EXPECT_TRUE(Match(R"({"a":[null]})", {{"a", nullptr}}));
  EXPECT_FALSE(Match(R"({"a":[null]})", json::object()));
  EXPECT_TRUE(Match(R"({"a":[""]})", {{"a", ""}}));
  EXPECT_FALSE(Match(R"({"a":[""]})", {{"a", nullptr}}));
  // Several rules in one array: any of them.
  EXPECT_TRUE(Match(R"({"a":["x", {"prefix":"y"}, 3]})", {{"a", "yes"}}));
  EXPECT_TRUE(Match(R"({"a":["x", {"prefix":"y"}, 3]})", {{"a", 3}}));
  EXPECT_FALSE(Match(R"({"a":["x", {"prefix":"y"}, 3]})", {{"a", "no"}}));
}

TEST(PatternTest, StringOperators) {
  EXPECT_TRUE(Match(R"({"a":[{"prefix":"us-"}]})", {{"a", "us-east-1"}}));
  EXPECT_TRUE(Match(R"({"a":[{"prefix":"us-"}]})", {{"a", "us-"}}));
  EXPECT_FALSE(Match(R"({"a":[{"prefix":"us-"}]})", {{"a", "US-east-1"}}));
  EXPECT_TRUE(Match(R"({"a":[{"prefix":""}]})", {{"a", "anything"}}));
  EXPECT_FALSE(Match(R"({"a":[{"prefix":""}]})", {{"a", 1}}));
  EXPECT_TRUE(Match(R"({"a":[{"suffix":".png"}]})", {{"a", "x.png"}}));
  EXPECT_FALSE(Match(R"({"a":[{"suffix":".png"}]})", {{"a", "png"}}));
  EXPECT_TRUE(Match(R"({"a":[{"equals-ignore-case":"AbC"}]})", {{"a", "aBc"}}));
  EXPECT_FALSE(Match(R"({"a":[{"equals-ignore-case":"AbC"}]})", {{"a", "aBcd"}}));
  EXPECT_FALSE(Match(R"({"a":[{"equals-ignore-case":"1"}]})", {{"a", 1}}));
}

TEST(PatternTest, AnythingBut) {
  EXPECT_TRUE(Match(R"({"a":[{"anything-but":["x","y"]}]})", {{"a", "z"}}));
  EXPECT_FALSE(Match(R"({"a":[{"anything-but":["x","y"]}]})", {{"a", "y"}}));
  EXPECT_FALSE(Match(R"({"a":[{"anything-but":["x"]}]})", json::object()));
  EXPECT_TRUE(Match(R"({"a":[{"anything-but":"x"}]})", {{"a", 1}}));
  EXPECT_FALSE(Match(R"({"a":[{"anything-but":3}]})", {{"a", 3}}));
  EXPECT_TRUE(Match(R"({"a":[{"anything-but":3}]})", {{"a", 3.5}}));
  // Over an array: some element that is none of them.
  EXPECT_TRUE(Match(R"({"a":[{"anything-but":["x"]}]})", {{"a", {"x", "q"}}}));
  EXPECT_FALSE(Match(R"({"a":[{"anything-but":["x"]}]})", {{"a", {"x", "x"}}}));
}

TEST(PatternTest, Numeric) {
  const char* range = R"({"p":[{"numeric":[">",10,"<=",20]}]})";
  EXPECT_FALSE(Match(range, {{"p", 10}}));
  EXPECT_TRUE(Match(range, {{"p", 10.5}}));
  EXPECT_TRUE(Match(range, {{"p", 20}}));
  EXPECT_FALSE(Match(range, {{"p", 20.01}}));
  EXPECT_FALSE(Match(range, {{"p", "15"}}));
  EXPECT_FALSE(Match(range, {{"p", true}}));
  EXPECT_FALSE(Match(range, json::object()));
  EXPECT_TRUE(Match(R"({"p":[{"numeric":["=",3]}]})", {{"p", 3.0}}));
  EXPECT_TRUE(Match(R"({"p":[{"numeric":[">=",-1e9]}]})", {{"p", -1e9}}));
  EXPECT_TRUE(Match(R"({"p":[{"numeric":["<",0]}]})", {{"p", -4}}));
  EXPECT_TRUE(Match(R"({"p":[{"numeric":[">=",0,"<",1]}]})", {{"p", 0}}));
  // Outside event-ruler's -5e9..5e9 nothing compares.
  EXPECT_FALSE(Match(R"({"p":[{"numeric":[">",0]}]})", {{"p", 6e9}}));
  EXPECT_TRUE(Match(R"({"p":[{"numeric":[">",0]}]})", {{"p", 5e9}}));
}

TEST(PatternTest, Exists) {
  EXPECT_TRUE(Match(R"({"a":[{"exists":true}]})", {{"a", 0}}));
  EXPECT_TRUE(Match(R"({"a":[{"exists":true}]})", {{"a", nullptr}}));
  EXPECT_TRUE(Match(R"({"a":[{"exists":true}]})", {{"a", {1}}}));
  EXPECT_FALSE(Match(R"({"a":[{"exists":true}]})", {{"a", json::array()}}));
  EXPECT_FALSE(Match(R"({"a":[{"exists":true}]})", {{"a", {{"b", 1}}}}));
  EXPECT_TRUE(Match(R"({"a":[{"exists":false}]})", {{"b", 1}}));
  EXPECT_TRUE(Match(R"({"a":[{"exists":false}]})", {{"a", {{"b", 1}}}}));
  EXPECT_FALSE(Match(R"({"a":[{"exists":false}]})", {{"a", "x"}}));
  // Beneath a missing key, only absence can match.
  EXPECT_TRUE(Match(R"({"a":{"b":{"c":[{"exists":false}]}}})", json::object()));
  EXPECT_FALSE(Match(R"({"a":{"b":{"c":[{"exists":true}]}}})", json::object()));
  EXPECT_FALSE(Match(R"({"a":{"b":["x"]}})", json::object()));
}

TEST(PatternTest, AndOrNesting) {
  const char* p = R"({"k":["v"],"$or":[{"a":["1"]},{"b":{"c":[{"numeric":[">",5]}]}}]})";
  EXPECT_TRUE(Match(p, {{"k", "v"}, {"a", "1"}}));
  EXPECT_TRUE(Match(p, {{"k", "v"}, {"b", {{"c", 6}}}}));
  EXPECT_FALSE(Match(p, {{"k", "v"}, {"b", {{"c", 5}}}}));
  EXPECT_FALSE(Match(p, {{"k", "w"}, {"a", "1"}}));
  // Two $or groups at different levels both have to hold.
  const char* two = R"({"$or":[{"a":["1"]},{"a":["2"]}],"n":{"$or":[{"x":["y"]},{"z":["w"]}]}})";
  EXPECT_TRUE(Match(two, {{"a", "2"}, {"n", {{"z", "w"}}}}));
  EXPECT_FALSE(Match(two, {{"a", "2"}, {"n", {{"z", "q"}}}}));
  // The empty pattern matches every object.
  EXPECT_TRUE(Match("{}", {{"a", 1}}));
  EXPECT_FALSE(Match("{}", json::array()));
}

TEST(PatternTest, Arrays) {
  // Nested arrays are flattened; objects in an array are matched one at a time.
  EXPECT_TRUE(Match(R"({"a":["x"]})", json::parse(R"({"a":["y",["z",["x"]]]})")));
  const char* both = R"({"r":{"id":["1"],"ok":[true]}})";
  EXPECT_TRUE(Match(both, {{"r", {{{"id", "2"}, {"ok", true}}, {{"id", "1"}, {"ok", true}}}}}));
  EXPECT_FALSE(Match(both, {{"r", {{{"id", "1"}, {"ok", false}}, {{"id", "2"}, {"ok", true}}}}}));
  EXPECT_TRUE(Match(R"({"r":{"s":{"t":["x"]}}})",
                    json::parse(R"({"r":[[{"s":[{"t":"y"},{"t":["q","x"]}]}]]})")));
  // An array of scalars never matches a nested pattern; an empty one is as if missing.
  EXPECT_FALSE(Match(R"({"a":{"b":[{"exists":false}]}})", {{"a", {1, 2}}}));
  EXPECT_TRUE(Match(R"({"a":{"b":[{"exists":false}]}})", {{"a", json::array()}}));
}

TEST(PatternTest, DeepRecordsDoNotRecurse) {
  std::string deep(200000, '[');
  deep += "\"x\"";
  deep += std::string(200000, ']');
  json record = {{"a", json::parse(deep, nullptr, false)}};
  ASSERT_FALSE(record["a"].is_discarded());
  EXPECT_TRUE(Match(R"({"a":["x"]})", record));
  EXPECT_FALSE(Match(R"({"a":{"b":["x"]}})", record));
}

TEST(PatternTest, Refusals) {
  EXPECT_EQ(Refusal("{"), "Filter is not valid JSON");
  EXPECT_EQ(Refusal(""), "Filter is not valid JSON");
  EXPECT_EQ(Refusal("[]"), "Filter is not an object");
  EXPECT_EQ(Refusal(R"("a")"), "Filter is not an object");
  EXPECT_EQ(Refusal(R"({"a":"x"})"), "\"a\" must be an object or an array");
  EXPECT_EQ(Refusal(R"({"a":{"b":1}})"), "\"b\" must be an object or an array");
  EXPECT_EQ(Refusal(R"({"a":[]})"), "Empty arrays are not allowed");
  EXPECT_EQ(Refusal(R"({"a":[["x"]]})"),
            "Match value must be String, number, true, false, or null");
  EXPECT_EQ(Refusal(R"({"a":[{}]})"), "Only one key allowed in match expression");
  EXPECT_EQ(Refusal(R"({"a":[{"prefix":"x","suffix":"y"}]})"),
            "Only one key allowed in match expression");
  EXPECT_EQ(Refusal(R"({"a":[{"regex":"x"}]})"), "Unrecognized match type regex");
  EXPECT_EQ(Refusal(R"({"a":[{"prefix":1}]})"), "prefix match pattern must be a string");
  EXPECT_EQ(Refusal(R"({"a":[{"suffix":null}]})"), "suffix match pattern must be a string");
  EXPECT_EQ(Refusal(R"({"a":[{"equals-ignore-case":["x"]}]})"),
            "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(Refusal(R"({"a":[{"exists":"true"}]})"),
            "exists match pattern must be either true or false.");
  EXPECT_EQ(Refusal(R"({"a":[{"anything-but":[]}]})"), "Empty arrays are not allowed");
  EXPECT_EQ(Refusal(R"({"a":[{"anything-but":[null]}]})"),
            "Inside anything but list, start|null|boolean is not supported.");
  EXPECT_EQ(Refusal(R"({"a":[{"anything-but":true}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(Refusal(R"({"$or":[]})"), "Empty arrays are not allowed");
  EXPECT_EQ(Refusal(R"({"$or":[{"a":["x"]},"b"]})"), "$or alternatives must be objects");
  EXPECT_EQ(Refusal(R"({"$or":[{"a":["x"]},{"b":[]}]})"), "Empty arrays are not allowed");
}

TEST(PatternTest, NumericRefusals) {
  auto numeric = [](const char* spec) {
    return Refusal(std::string(R"({"a":[{"numeric":)") + spec + "}]}");
  };
  EXPECT_EQ(numeric("[\">\", 1, \"<\", 2]"), "accepted");
  EXPECT_EQ(numeric("5"), "Value of numeric must be an array.");
  EXPECT_EQ(numeric("[]"), "Invalid member in numeric match: ]");
  EXPECT_EQ(numeric("[5]"), "Invalid member in numeric match: 5");
  EXPECT_EQ(numeric("[\"!=\", 5]"), "Unrecognized numeric range operator: !=");
  EXPECT_EQ(numeric("[\"=\"]"), "Value of equals must be numeric");
  EXPECT_EQ(numeric("[\">\", \"5\"]"), "Value of > must be numeric");
  EXPECT_EQ(numeric("[\"=\", 5, \"<\", 6]"), "Too many elements in numeric expression");
  EXPECT_EQ(numeric("[\"<\", 5, \">\", 1]"), "Too many elements in numeric expression");
  EXPECT_EQ(numeric("[\">\", 5, \">\", 6]"), "Bad numeric range operator: >");
  EXPECT_EQ(numeric("[\">\", 5, 6]"), "Bad value in numeric range: 6");
  EXPECT_EQ(numeric("[\">\", 5, \"<\", 5]"), "Bottom must be less than top");
  EXPECT_EQ(numeric("[\">\", 5, \"<\", 6, \"<\", 7]"),
            "Too many terms in numeric range expression");
  EXPECT_EQ(numeric("[\">\", 6e9]"), "Value of > must be between -5.0E9 and 5.0E9");
}

// What EventBridge accepts and Lambda's table does not list.
TEST(PatternTest, EventBridgeOnlyOperatorsAreRefused) {
  EXPECT_EQ(Refusal(R"({"a":[{"wildcard":"*.png"}]})"),
            "wildcard is not supported by Lambda event filtering");
  EXPECT_EQ(Refusal(R"({"a":[{"cidr":"10.0.0.0/8"}]})"),
            "cidr is not supported by Lambda event filtering");
  EXPECT_NE(Refusal(R"({"a":[{"anything-but":{"prefix":"x"}}]})"), "accepted");
  EXPECT_NE(Refusal(R"({"a":[{"anything-but":{"equals-ignore-case":"x"}}]})"), "accepted");
  EXPECT_EQ(Refusal(R"({"a":[{"prefix":{"equals-ignore-case":"x"}}]})"),
            "prefix with equals-ignore-case is not supported by Lambda");
  EXPECT_NE(Refusal(R"({"a":[{"suffix":{"equals-ignore-case":"x"}}]})"), "accepted");
}

TEST(PatternTest, Limits) {
  std::string big = R"({"a":[")" + std::string(kMaxPatternLength, 'x') + R"("]})";
  EXPECT_NE(Refusal(big), "accepted");
  std::string fits = R"({"a":[")" + std::string(kMaxPatternLength - 10, 'x') + R"("]})";
  EXPECT_EQ(fits.size(), kMaxPatternLength);
  EXPECT_EQ(Refusal(fits), "accepted");
  // kMaxDepth objects, the pattern's own included.
  std::string deep;
  for (int i = 0; i < kMaxDepth + 1; ++i) deep += "{\"a\":";
  deep += "[1]" + std::string(static_cast<size_t>(kMaxDepth + 1), '}');
  EXPECT_NE(Refusal(deep), "accepted");
  std::string ok;
  for (int i = 0; i < kMaxDepth; ++i) ok += "{\"a\":";
  ok += "[1]" + std::string(static_cast<size_t>(kMaxDepth), '}');
  EXPECT_EQ(Refusal(ok), "accepted");
}

TEST(CriteriaTest, OrOverFilters) {
  json fc = {{"Filters", {{{"Pattern", R"({"a":["1"]})"}}, {{"Pattern", R"({"b":["2"]})"}}}}};
  StatusOr<Criteria> c = Criteria::Parse(fc);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->size(), 2u);
  EXPECT_TRUE(c->Matches({{"a", "1"}}));
  EXPECT_TRUE(c->Matches({{"b", "2"}}));
  EXPECT_FALSE(c->Matches({{"a", "2"}}));
}

TEST(CriteriaTest, EmptyMatchesEverything) {
  for (const json& fc : {json(), json::object(), json{{"Filters", json::array()}}}) {
    StatusOr<Criteria> c = Criteria::Parse(fc);
    ASSERT_TRUE(c.ok()) << fc;
    EXPECT_TRUE(c->empty());
    EXPECT_TRUE(c->Matches({{"a", 1}}));
  }
}

TEST(CriteriaTest, Refusals) {
  auto refusal = [](const json& fc, size_t max = kDefaultMaxFilters) {
    std::string reason;
    StatusOr<Criteria> c = Criteria::Parse(fc, max, &reason);
    if (c.ok()) return std::string("accepted");
    EXPECT_EQ(c.status().message(), kInvalidPattern);
    return reason;
  };
  json five = json::array();
  for (int i = 0; i < 5; ++i) five.push_back({{"Pattern", R"({"a":["x"]})"}});
  EXPECT_EQ(refusal({{"Filters", five}}), "accepted");
  json six = five;
  six.push_back({{"Pattern", R"({"a":["x"]})"}});
  EXPECT_EQ(refusal({{"Filters", six}}), "more than 5 filters");
  EXPECT_EQ(refusal({{"Filters", six}}, 10), "accepted");
  EXPECT_EQ(refusal({{"Filters", {{{"Pattern", "{"}}}}}), "Filter is not valid JSON");
  EXPECT_EQ(refusal({{"Filters", {json::object()}}}), "a filter has no Pattern string");
  EXPECT_EQ(refusal({{"Filters", {{{"Pattern", 5}}}}}), "a filter has no Pattern string");
  EXPECT_EQ(refusal({{"Filters", "x"}}), "Filters is not a list");
  EXPECT_EQ(refusal("x"), "FilterCriteria is not an object");
}

json SqsRecord(std::string body) {
  return {{"messageId", "059f36b4-87a3-44ab-83d2-661975830a7d"},
          {"receiptHandle", "AQEB"},
          {"body", std::move(body)},
          {"attributes", {{"ApproximateReceiveCount", "1"}, {"SenderId", "AIDA"}}},
          {"messageAttributes", {{"color", {{"stringValue", "red"}, {"dataType", "String"}}}}},
          {"md5OfBody", "e4e68fb7bd0e697a0ae8f1bb342846b3"},
          {"eventSource", "aws:sqs"},
          {"eventSourceARN", "arn:aws:sqs:us-east-1:000000000000:q"},
          {"awsRegion", "us-east-1"}};
}

bool SqsMatch(const char* pattern, std::string body) {
  return Match(pattern, SqsRecordView(SqsRecord(std::move(body))));
}

// Lambda's table for SQS bodies: the pattern's form for body has to be the body's form.
TEST(SqsRecordViewTest, BodyFormats) {
  const char* json_pattern = R"({"body":{"RequestCode":["BBBB"]}})";
  const char* plain_pattern = R"({"body":["BBBB"]})";
  const char* metadata_pattern = R"({"attributes":{"SenderId":["AIDA"]}})";
  // JSON body.
  EXPECT_TRUE(SqsMatch(json_pattern, R"({"RecordNumber":1234,"RequestCode":"BBBB"})"));
  EXPECT_FALSE(SqsMatch(json_pattern, R"({"RecordNumber":1234,"RequestCode":"AAAA"})"));
  EXPECT_FALSE(SqsMatch(plain_pattern, R"({"RequestCode":"BBBB"})"));
  EXPECT_TRUE(SqsMatch(metadata_pattern, R"({"RequestCode":"BBBB"})"));
  // Plain-string body.
  EXPECT_TRUE(SqsMatch(plain_pattern, "BBBB"));
  EXPECT_FALSE(SqsMatch(json_pattern, "BBBB"));
  EXPECT_FALSE(SqsMatch(R"({"body":{"RequestCode":[{"exists":false}]}})", "BBBB"));
  EXPECT_TRUE(SqsMatch(metadata_pattern, "BBBB"));
  EXPECT_TRUE(SqsMatch(R"({"body":[{"prefix":"{not"}]})", "{not json"));
  // A body that is JSON but not an object is its value.
  EXPECT_TRUE(SqsMatch(R"({"body":[{"numeric":[">",100]}]})", "123"));
  EXPECT_FALSE(SqsMatch(R"({"body":["123"]})", "123"));
  EXPECT_TRUE(SqsMatch(R"({"body":["BBBB"]})", R"("BBBB")"));
  // The metadata keys are there as the record has them.
  EXPECT_TRUE(SqsMatch(R"({"messageAttributes":{"color":{"stringValue":["red"]}}})", "x"));
  EXPECT_TRUE(SqsMatch(R"({"eventSource":["aws:sqs"]})", "x"));
  // The view leaves everything but the body as it was.
  json view = SqsRecordView(SqsRecord(R"({"k":1})"));
  EXPECT_EQ(view["body"], json({{"k", 1}}));
  json original = SqsRecord(R"({"k":1})");
  view["body"] = original["body"];
  EXPECT_EQ(view, original);
}

TEST(KinesisRecordViewTest, DataIsDecoded) {
  auto record = [](std::string_view data) {
    return json{{"kinesis", {{"partitionKey", "1"}, {"data", Base64Encode(data)}}},
                {"eventSource", "aws:kinesis"}};
  };
  const char* p = R"({"partitionKey":["1"],"data":{"City":["Seattle"]}})";
  EXPECT_TRUE(Match(p, KinesisRecordView(record(R"({"City":"Seattle","State":"WA"})"))));
  EXPECT_FALSE(Match(p, KinesisRecordView(record(R"({"City":"Boston"})"))));
  EXPECT_FALSE(Match(p, KinesisRecordView(record("Seattle"))));
  EXPECT_TRUE(Match(R"({"partitionKey":["1"],"eventSource":["aws:kinesis"]})",
                    KinesisRecordView(record("Seattle"))));
  EXPECT_EQ(KinesisRecordView(record("plain"))["data"], Base64Encode("plain"));
  EXPECT_FALSE(KinesisRecordView(record("{}")).contains("kinesis"));
  EXPECT_EQ(KinesisRecordView(json("x")), json::object());
}

// DynamoDB stream records are matched as they come, typed AttributeValues and all.
TEST(DynamoDbRecordTest, TypedAttributeValues) {
  json record = json::parse(R"({"eventName":"INSERT","dynamodb":{"Keys":{"Id":{"N":"101"}},
      "NewImage":{"Message":{"S":"New item!"},"Id":{"N":"101"},"On":{"BOOL":true}}}})");
  EXPECT_TRUE(
      Match(R"({"eventName":["INSERT"],"dynamodb":{"NewImage":{"On":{"BOOL":[true]}}}})", record));
  EXPECT_TRUE(Match(R"({"dynamodb":{"Keys":{"Id":{"N":["101"]}}}})", record));
  EXPECT_FALSE(Match(R"({"dynamodb":{"Keys":{"Id":{"N":[101]}}}})", record));
}

}  // namespace
}  // namespace thaw::filter
