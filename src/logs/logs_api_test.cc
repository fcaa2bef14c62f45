#include "logs/logs_api.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/client.h"
#include "http/server.h"
#include "logs/log_params.h"

namespace thaw::logs {
namespace {

using nlohmann::json;

constexpr char kGroup[] = "/aws/lambda/fn";

// Routes to the API and answers 404 for whatever it declines, like the front door.
class FrontDoor final : public http::Handler {
 public:
  explicit FrontDoor(http::Api* api) : api_(api) {}
  std::optional<uint64_t> BodyLimit(const http::Request& head) override {
    return api_->BodyLimit(head);
  }
  void Handle(http::Request request, http::ResponseWriter writer) override {
    request.account = std::string(request.headers.Get("X-Test-Account").value_or(""));
    if (!api_->Handle(request, writer)) writer.Send(http::Response::Json(404, "{}"));
  }

 private:
  http::Api* api_;
};

class LogsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/logs_api_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    clock_.SetRealtime(1'735'430'000'000'000'000);
    auto store = LogStore::Open({.path = dir_ + "/logs.db", .clock = &clock_});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    api_ = std::make_unique<LogsApi>(io_, *store_);
    door_ = std::make_unique<FrontDoor>(api_.get());
    auto server = http::Server::Start(io_, {}, door_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    auto client = http::Client::Create("127.0.0.1:" + std::to_string(server_->port()));
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }

  void TearDown() override {
    server_->Stop();
    api_.reset();
    store_->Stop();
    std::filesystem::remove_all(dir_);
  }

  // Sends from a helper thread while this thread runs the loop until the answer is in.
  http::Response Raw(const http::Headers& headers, const std::string& body,
                     const std::string& method = "POST", const std::string& target = "/") {
    auto answer = std::async(std::launch::async,
                             [&] { return client_->Do(method, target, headers, body, 10'000); });
    while (answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io_.run_for(std::chrono::milliseconds(1));
    }
    auto response = answer.get();
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::Response{};
  }

  http::Response Call(const std::string& operation, const json& input,
                      const std::string& account = "") {
    http::Headers headers;
    if (!account.empty()) headers.Set("X-Test-Account", account);
    headers.Set("X-Amz-Target", "Logs_20140328." + operation);
    headers.Set("Content-Type", "application/x-amz-json-1.1");
    return Raw(headers, input.dump());
  }

  // Calls and expects success; returns the parsed body.
  json Ok(const std::string& operation, const json& input, const std::string& account = "") {
    http::Response r = Call(operation, input, account);
    EXPECT_EQ(r.status, 200) << operation << ": " << r.body;
    EXPECT_TRUE(r.headers.Get("x-amzn-RequestId").has_value());
    json body = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(body.is_discarded());
    return body;
  }

  // Calls and expects a JSON 1.1 error; returns "<__type>: <message>".
  std::string Error(const std::string& operation, const json& input, int status = 400) {
    http::Response r = Call(operation, input);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_TRUE(r.headers.Get("x-amzn-RequestId").has_value());
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body["__type"].is_string() || !body["message"].is_string()) {
      return "unparsable: " + r.body;
    }
    return body["__type"].get<std::string>() + ": " + body["message"].get<std::string>();
  }

  void PutEvents(const std::string& stream,
                 const std::vector<std::pair<int64_t, std::string>>& events) {
    json list = json::array();
    for (const auto& [ts, message] : events)
      list.push_back({{"timestamp", ts}, {"message", message}});
    Ok("PutLogEvents", {{"logGroupName", kGroup}, {"logStreamName", stream}, {"logEvents", list}});
  }

  static std::vector<std::string> Messages(const json& body) {
    std::vector<std::string> out;
    for (const auto& e : body["events"]) out.push_back(e["message"].get<std::string>());
    return out;
  }

  std::string dir_;
  FakeClock clock_;
  boost::asio::io_context io_;
  std::unique_ptr<LogStore> store_;
  std::unique_ptr<LogsApi> api_;
  std::unique_ptr<FrontDoor> door_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(LogsApiTest, DeclinesRequestsForOtherApis) {
  http::Headers lambda_json;
  lambda_json.Set("Content-Type", "application/json");
  EXPECT_EQ(Raw(lambda_json, "{}", "GET", "/2015-03-31/functions").status, 404);
  http::Headers dynamo;
  dynamo.Set("X-Amz-Target", "DynamoDB_20120810.ListTables");
  dynamo.Set("Content-Type", "application/x-amz-json-1.0");
  EXPECT_EQ(Raw(dynamo, "{}").status, 404);
  http::Headers wrong_type;
  wrong_type.Set("X-Amz-Target", "Logs_20140328.DescribeLogGroups");
  wrong_type.Set("Content-Type", "application/json");
  EXPECT_EQ(Raw(wrong_type, "{}").status, 404);

  http::Request request;
  request.method = "POST";
  request.path = "/";
  http::ResponseWriter unused;
  EXPECT_FALSE(api_->Handle(request, unused));
}

TEST_F(LogsApiTest, UnknownOperationAndMalformedBodies) {
  EXPECT_EQ(Error("StartQuery", json::object()),
            "UnknownOperationException: Unknown operation StartQuery");
  http::Headers headers;
  headers.Set("X-Amz-Target", "Logs_20140328.DescribeLogGroups");
  headers.Set("Content-Type", "application/x-amz-json-1.1");
  http::Response r = Raw(headers, "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("x-amzn-ErrorType"), "SerializationException");
  EXPECT_EQ(Error("DescribeLogGroups", {{"limit", 0}}).substr(0, 27),
            "InvalidParameterException: ");
  EXPECT_EQ(Error("DescribeLogGroups", {{"limit", "5"}}),
            "InvalidParameterException: Invalid value for limit: expected an integer");
  EXPECT_EQ(Error("DescribeLogGroups", {{"nextToken", "garbage"}}),
            "InvalidParameterException: The specified nextToken is invalid.");
}

TEST_F(LogsApiTest, CreateDescribeAndDeleteLogGroups) {
  EXPECT_EQ(Ok("CreateLogGroup", {{"logGroupName", "/aws/lambda/b"}}), json::object());
  Ok("CreateLogGroup", {{"logGroupName", "/aws/lambda/a"}});
  Ok("CreateLogGroup", {{"logGroupName", "/aws/lambda/c"}});
  Ok("CreateLogGroup", {{"logGroupName", "/other"}});
  EXPECT_EQ(Error("CreateLogGroup", {{"logGroupName", "/aws/lambda/a"}}),
            "ResourceAlreadyExistsException: The specified log group already exists");
  EXPECT_EQ(Error("CreateLogGroup", {{"logGroupName", "bad name!"}}).substr(0, 26),
            "InvalidParameterException:");

  json page1 = Ok("DescribeLogGroups", {{"logGroupNamePrefix", "/aws/lambda/"}, {"limit", 2}});
  ASSERT_EQ(page1["logGroups"].size(), 2u);
  EXPECT_EQ(page1["logGroups"][0]["logGroupName"], "/aws/lambda/a");
  EXPECT_EQ(page1["logGroups"][0]["creationTime"], 1'735'430'000'000);
  EXPECT_EQ(page1["logGroups"][0]["arn"],
            "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/a:*");
  EXPECT_EQ(page1["logGroups"][1]["logGroupName"], "/aws/lambda/b");
  ASSERT_TRUE(page1["nextToken"].is_string());
  json page2 =
      Ok("DescribeLogGroups",
         {{"logGroupNamePrefix", "/aws/lambda/"}, {"limit", 2}, {"nextToken", page1["nextToken"]}});
  ASSERT_EQ(page2["logGroups"].size(), 1u);
  EXPECT_EQ(page2["logGroups"][0]["logGroupName"], "/aws/lambda/c");
  EXPECT_FALSE(page2.contains("nextToken"));
  EXPECT_EQ(Ok("DescribeLogGroups", json::object())["logGroups"].size(), 4u);

  EXPECT_EQ(Ok("DeleteLogGroup", {{"logGroupName", "/aws/lambda/b"}}), json::object());
  EXPECT_EQ(Error("DeleteLogGroup", {{"logGroupName", "/aws/lambda/b"}}),
            "ResourceNotFoundException: The specified log group does not exist.");
  EXPECT_EQ(Ok("DescribeLogGroups", json::object())["logGroups"].size(), 3u);
}

TEST_F(LogsApiTest, LogGroupsBelongToAnAccount) {
  const std::string a = "111111111111", b = "222222222222";
  // The function's logs, as the invoker writes them: keyed by account.
  store_->Append({GroupKey(b, kGroup), "s", 100, "from b\n"});
  store_->Append({kGroup, "s", 100, "from 000000000000\n"});
  Ok("CreateLogGroup", {{"logGroupName", kGroup}}, a);
  Ok("CreateLogStream", {{"logGroupName", kGroup}, {"logStreamName", "t"}}, a);
  Ok("PutLogEvents",
     {{"logGroupName", kGroup},
      {"logStreamName", "t"},
      {"logEvents", {{{"timestamp", 200}, {"message", "from a"}}}}},
     a);
  ASSERT_TRUE(store_->Flush());
  for (const auto& [account, message] : std::vector<std::pair<std::string, std::string>>{
           {a, "from a"}, {b, "from b\n"}, {"", "from 000000000000\n"}}) {
    json groups = Ok("DescribeLogGroups", json::object(), account);
    ASSERT_EQ(groups["logGroups"].size(), 1u) << account << groups.dump();
    EXPECT_EQ(groups["logGroups"][0]["logGroupName"], kGroup);
    EXPECT_EQ(groups["logGroups"][0]["logGroupArn"],
              "arn:aws:logs:us-east-1:" + (account.empty() ? "000000000000" : account) +
                  ":log-group:" + kGroup);
    EXPECT_EQ(
        Ok("DescribeLogGroups", {{"logGroupNamePrefix", "/aws"}}, account)["logGroups"].size(), 1u);
    json events = Ok("FilterLogEvents", {{"logGroupName", kGroup}}, account);
    EXPECT_EQ(Messages(events), std::vector<std::string>{message}) << account;
  }
  EXPECT_EQ(Error("GetLogEvents", {{"logGroupName", "/aws/lambda/other"}, {"logStreamName", "s"}}),
            "ResourceNotFoundException: The specified log group does not exist.");
  EXPECT_EQ(GroupKey("000000000000", kGroup), kGroup);
  EXPECT_EQ(SplitGroupKey(GroupKey(b, kGroup)), std::make_pair(b, std::string(kGroup)));
}

TEST_F(LogsApiTest, DescribeLogStreamsOrdersAndPages) {
  EXPECT_EQ(Error("DescribeLogStreams", {{"logGroupName", kGroup}}),
            "ResourceNotFoundException: The specified log group does not exist.");
  EXPECT_EQ(Error("CreateLogStream", {{"logGroupName", kGroup}, {"logStreamName", "s"}}),
            "ResourceNotFoundException: The specified log group does not exist.");
  Ok("CreateLogGroup", {{"logGroupName", kGroup}});
  for (const char* s : {"s1", "s2", "s3"}) {
    Ok("CreateLogStream", {{"logGroupName", kGroup}, {"logStreamName", s}});
  }
  EXPECT_EQ(Error("CreateLogStream", {{"logGroupName", kGroup}, {"logStreamName", "s1"}}),
            "ResourceAlreadyExistsException: The specified log stream already exists");
  PutEvents("s1", {{300, "late"}});
  PutEvents("s2", {{100, "early"}, {150, "early 2"}});
  PutEvents("s3", {{200, "middle"}});

  json by_time = Ok("DescribeLogStreams",
                    {{"logGroupName", kGroup}, {"orderBy", "LastEventTime"}, {"descending", true}});
  ASSERT_EQ(by_time["logStreams"].size(), 3u);
  EXPECT_EQ(by_time["logStreams"][0]["logStreamName"], "s1");
  EXPECT_EQ(by_time["logStreams"][2]["logStreamName"], "s2");
  const json& s2 = by_time["logStreams"][2];
  EXPECT_EQ(s2["firstEventTimestamp"], 100);
  EXPECT_EQ(s2["lastEventTimestamp"], 150);
  EXPECT_EQ(s2["lastIngestionTime"], 1'735'430'000'000);
  EXPECT_EQ(s2["storedBytes"], 0);
  EXPECT_EQ(s2["arn"],
            "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:log-stream:s2");

  json page1 = Ok("DescribeLogStreams", {{"logGroupName", kGroup}, {"limit", 2}});
  ASSERT_EQ(page1["logStreams"].size(), 2u);
  EXPECT_EQ(page1["logStreams"][0]["logStreamName"], "s1");
  json page2 = Ok("DescribeLogStreams",
                  {{"logGroupName", kGroup}, {"limit", 2}, {"nextToken", page1["nextToken"]}});
  ASSERT_EQ(page2["logStreams"].size(), 1u);
  EXPECT_EQ(page2["logStreams"][0]["logStreamName"], "s3");
  EXPECT_FALSE(page2.contains("nextToken"));

  json prefixed =
      Ok("DescribeLogStreams", {{"logGroupName", kGroup}, {"logStreamNamePrefix", "s2"}});
  ASSERT_EQ(prefixed["logStreams"].size(), 1u);
  EXPECT_EQ(
      Error("DescribeLogStreams",
            {{"logGroupName", kGroup}, {"logStreamNamePrefix", "s"}, {"orderBy", "LastEventTime"}}),
      "InvalidParameterException: Cannot order by LastEventTime with a logStreamNamePrefix.");
}

TEST_F(LogsApiTest, PutAndGetLogEventsWithTokens) {
  Ok("CreateLogGroup", {{"logGroupName", kGroup}});
  EXPECT_EQ(Error("PutLogEvents", {{"logGroupName", kGroup},
                                   {"logStreamName", "s"},
                                   {"logEvents", {{{"timestamp", 1}, {"message", "m"}}}}}),
            "ResourceNotFoundException: The specified log stream does not exist.");
  Ok("CreateLogStream", {{"logGroupName", kGroup}, {"logStreamName", "s"}});
  EXPECT_EQ(Error("PutLogEvents",
                  {{"logGroupName", kGroup},
                   {"logStreamName", "s"},
                   {"logEvents",
                    {{{"timestamp", 2}, {"message", "b"}}, {{"timestamp", 1}, {"message", "a"}}}}}),
            "InvalidParameterException: Log events in a single PutLogEvents request must be in "
            "chronological order.");
  PutEvents("s", {{10, "e1"}, {20, "e2"}, {30, "e3"}, {40, "e4"}, {50, "e5"}});
  EXPECT_EQ(Error("GetLogEvents", {{"logGroupName", kGroup}, {"logStreamName", "nope"}}),
            "ResourceNotFoundException: The specified log stream does not exist.");

  // From the head, two at a time, until the forward token repeats (how the AWS CLI pages).
  json request = {
      {"logGroupName", kGroup}, {"logStreamName", "s"}, {"limit", 2}, {"startFromHead", true}};
  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    json body = Ok("GetLogEvents", request);
    for (auto& m : Messages(body)) seen.push_back(m);
    std::string next = body["nextForwardToken"].get<std::string>();
    EXPECT_EQ(next.substr(0, 2), "f/");
    EXPECT_EQ(body["nextBackwardToken"].get<std::string>().substr(0, 2), "b/");
    if (next == token) break;
    token = next;
    request["nextToken"] = token;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"e1", "e2", "e3", "e4", "e5"}));

  // Without startFromHead: the newest events, oldest first; then backwards.
  json tail = Ok("GetLogEvents", {{"logGroupName", kGroup}, {"logStreamName", "s"}, {"limit", 2}});
  EXPECT_EQ(Messages(tail), (std::vector<std::string>{"e4", "e5"}));
  EXPECT_EQ(tail["events"][0]["timestamp"], 40);
  EXPECT_EQ(tail["events"][0]["ingestionTime"], 1'735'430'000'000);
  json back = Ok("GetLogEvents", {{"logGroupName", kGroup},
                                  {"logStreamName", "s"},
                                  {"limit", 2},
                                  {"nextToken", tail["nextBackwardToken"]}});
  EXPECT_EQ(Messages(back), (std::vector<std::string>{"e2", "e3"}));

  json window = Ok("GetLogEvents", {{"logGroupName", kGroup},
                                    {"logStreamName", "s"},
                                    {"startTime", 20},
                                    {"endTime", 40},
                                    {"startFromHead", true}});
  EXPECT_EQ(Messages(window), (std::vector<std::string>{"e2", "e3"}));
  EXPECT_EQ(Error("GetLogEvents",
                  {{"logGroupName", kGroup}, {"logStreamName", "s"}, {"nextToken", "f/999"}}),
            "InvalidParameterException: The specified nextToken is invalid.");
}

TEST_F(LogsApiTest, FilterLogEventsAcrossStreamsWithPatternsAndPaging) {
  EXPECT_EQ(Error("FilterLogEvents", {{"logGroupName", kGroup}}),
            "ResourceNotFoundException: The specified log group does not exist.");
  // Lambda's own path: events appended to the store create the group and streams.
  store_->Append({kGroup, "a", 100, "START RequestId: 1 Version: $LATEST\n"});
  store_->Append({kGroup, "b", 150, "ERROR connection reset by peer\n"});
  store_->Append({kGroup, "a", 200, "ERROR timeout talking to db\n"});
  store_->Append({kGroup, "b", 250, "WARN slow\n"});
  store_->Append({kGroup, "a", 300, "END RequestId: 1\n"});

  json all = Ok("FilterLogEvents", {{"logGroupName", kGroup}, {"interleaved", true}});
  EXPECT_EQ(Messages(all).size(), 5u);
  EXPECT_EQ(all["events"][1]["logStreamName"], "b");
  EXPECT_EQ(all["events"][1]["timestamp"], 150);
  EXPECT_TRUE(all["events"][1]["eventId"].is_string());
  EXPECT_EQ(all["searchedLogStreams"].size(), 2u);
  EXPECT_FALSE(all.contains("nextToken"));

  auto filtered = [&](const std::string& pattern) {
    return Messages(Ok("FilterLogEvents", {{"logGroupName", kGroup}, {"filterPattern", pattern}}));
  };
  EXPECT_EQ(filtered("ERROR").size(), 2u);
  EXPECT_EQ(filtered("ERROR db"), std::vector<std::string>{"ERROR timeout talking to db\n"});
  EXPECT_EQ(filtered("\"connection reset\""),
            std::vector<std::string>{"ERROR connection reset by peer\n"});
  EXPECT_EQ(filtered("\"reset connection\"").size(), 0u);
  EXPECT_EQ(filtered("error").size(), 0u);  // case-sensitive, as in CloudWatch
  EXPECT_EQ(filtered("?WARN ?db").size(), 2u);
  EXPECT_EQ(filtered("RequestId -END"),
            std::vector<std::string>{"START RequestId: 1 Version: $LATEST\n"});
  EXPECT_EQ(filtered("").size(), 5u);
  EXPECT_EQ(Error("FilterLogEvents", {{"logGroupName", kGroup}, {"filterPattern", "{ $.a = 1 }"}})
                .substr(0, 26),
            "InvalidParameterException:");

  json only_b = Ok("FilterLogEvents", {{"logGroupName", kGroup}, {"logStreamNames", {"b"}}});
  EXPECT_EQ(Messages(only_b).size(), 2u);
  EXPECT_EQ(only_b["searchedLogStreams"].size(), 1u);
  json window =
      Ok("FilterLogEvents", {{"logGroupName", kGroup}, {"startTime", 150}, {"endTime", 300}});
  EXPECT_EQ(Messages(window).size(), 3u);

  // Pages of two with nextToken only while more remain.
  json request = {{"logGroupName", kGroup}, {"limit", 2}};
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    json body = Ok("FilterLogEvents", request);
    for (auto& m : Messages(body)) seen.push_back(m);
    if (!body.contains("nextToken")) break;
    request["nextToken"] = body["nextToken"];
  }
  EXPECT_EQ(seen, Messages(all));

  // logGroupIdentifier in ARN form works too.
  json by_arn = Ok(
      "FilterLogEvents",
      {{"logGroupIdentifier", "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:*"}});
  EXPECT_EQ(Messages(by_arn).size(), 5u);
}

TEST_F(LogsApiTest, InvalidUtf8InMessagesDoesNotBreakResponses) {
  store_->Append({kGroup, "a", 1, std::string("bad \xff\xfe bytes\n")});
  json body = Ok("FilterLogEvents", {{"logGroupName", kGroup}});
  ASSERT_EQ(body["events"].size(), 1u);
}

TEST_F(LogsApiTest, StoppedStoreAnswersServiceUnavailable) {
  store_->Stop();
  EXPECT_EQ(Error("DescribeLogGroups", json::object(), 503),
            "ServiceUnavailableException: The log store is stopped");
}

}  // namespace
}  // namespace thaw::logs
