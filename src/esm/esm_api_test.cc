#include "esm/esm_api.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::esm {
namespace {

using nlohmann::json;

struct Readers {
  int live = 0;
  int started = 0;
  int updates = 0;
};

class FakeReader final : public Reader {
 public:
  explicit FakeReader(Readers& r) : r_(r) {
    ++r_.live;
    ++r_.started;
  }
  ~FakeReader() override { --r_.live; }
  void Update(const Mapping&) override { ++r_.updates; }

 private:
  Readers& r_;
};

class FakeSource final : public Source {
 public:
  explicit FakeSource(Readers& r) : r_(r) {}
  SourceKind kind() const override { return SourceKind::kSqs; }
  bool Reads(std::string_view arn) const override { return arn.starts_with("arn:aws:sqs:"); }
  int64_t default_batch_size() const override { return 10; }
  Status Validate(const Mapping& m, int64_t) const override {
    if (m.event_source_arn.ends_with(":missing")) return Status::InvalidArgument("no queue");
    return ValidateSqs(m, false);
  }
  std::unique_ptr<Reader> Start(const Mapping&) override {
    return std::make_unique<FakeReader>(r_);
  }

 private:
  Readers& r_;
};

constexpr char kArn[] = "arn:aws:sqs:us-east-1:000000000000:q";

class EsmApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("esm_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto config = std::make_shared<lambda::FunctionConfig>();
    config->name = "f";
    lambda::FunctionEntry entry;
    entry.latest = config;
    registry_.Put("f", entry);
    Open();
  }
  void TearDown() override {
    api_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    api_.reset();
    db_.reset();
    auto db = store::Database::Open((dir_ / "state.db").string());
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    // One io_context for the loop and the control thread: the test runs both.
    api_ = std::make_unique<EsmApi>(EsmApi::Options{.loop = loop_,
                                                    .control = loop_,
                                                    .db = *db_,
                                                    .registry = registry_,
                                                    .clock = SystemClock::Get(),
                                                    .transition = std::chrono::milliseconds(50)});
    api_->AddSource(std::make_unique<FakeSource>(readers_));
    ASSERT_TRUE(api_->Start().ok());
  }
  template <typename Pred>
  bool RunUntil(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  http::Response Call(std::string method, std::string path, std::string body = "",
                      std::string query = "") {
    http::Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.query = std::move(query);
    std::optional<http::Response> got;
    EXPECT_TRUE(api_->Serve(r, [&](http::Response response) { got = std::move(response); }));
    EXPECT_TRUE(RunUntil([&] { return got.has_value(); }));
    return got.value_or(http::Response{});
  }
  json Create(const std::string& extra = "") {
    http::Response r =
        Call("POST", "/2015-03-31/event-source-mappings",
             R"({"FunctionName":"f","EventSourceArn":")" + std::string(kArn) + "\"" + extra + "}");
    EXPECT_EQ(r.status, 202) << r.body;
    return json::parse(r.body);
  }
  std::string StateOf(const std::string& uuid) {
    const Mapping* m = api_->Find(uuid);
    return m ? std::string(StateName(m->state)) : "gone";
  }

  boost::asio::io_context loop_;
  std::filesystem::path dir_;
  lambda::Registry registry_;
  std::unique_ptr<store::Database> db_;
  Readers readers_;
  std::unique_ptr<EsmApi> api_;
};

TEST_F(EsmApiTest, CreateSettlesToEnabledAndStartsReading) {
  json m = Create();
  EXPECT_EQ(m["State"], "Creating");
  EXPECT_EQ(m["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:f");
  std::string uuid = m["UUID"];
  // Nothing is read while Creating (on a slow box the 50 ms may already have passed).
  EXPECT_TRUE(readers_.live == 0 || StateOf(uuid) == "Enabled") << StateOf(uuid);
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Enabled"; }));
  EXPECT_EQ(readers_.live, 1);
  json got = json::parse(Call("GET", "/2015-03-31/event-source-mappings/" + uuid).body);
  EXPECT_EQ(got["State"], "Enabled");
}

TEST_F(EsmApiTest, CreatedDisabledNeverReads) {
  std::string uuid = Create(R"(,"Enabled":false)")["UUID"];
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Disabled"; }));
  EXPECT_EQ(readers_.started, 0);
}

TEST_F(EsmApiTest, UpdatesMoveThroughTheirStates) {
  std::string uuid = Create()["UUID"];
  const std::string path = "/2015-03-31/event-source-mappings/" + uuid;
  // Still Creating: refused.
  http::Response busy = Call("PUT", path, R"({"BatchSize":5})");
  EXPECT_EQ(busy.status, 400);
  EXPECT_EQ(busy.headers.Get("x-amzn-ErrorType"), "ResourceInUseException");
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Enabled"; }));

  json u = json::parse(Call("PUT", path, R"({"BatchSize":5})").body);
  EXPECT_EQ(u["State"], "Updating");
  EXPECT_EQ(u["BatchSize"], 5);
  EXPECT_EQ(readers_.updates, 1);
  EXPECT_EQ(readers_.live, 1);  // an enabled mapping keeps reading while Updating
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Enabled"; }));

  EXPECT_EQ(json::parse(Call("PUT", path, R"({"Enabled":false})").body)["State"], "Disabling");
  EXPECT_EQ(readers_.live, 0);  // stops at once
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Disabled"; }));
  EXPECT_EQ(json::parse(Call("PUT", path, R"({"Enabled":true})").body)["State"], "Enabling");
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Enabled"; }));
  EXPECT_EQ(readers_.live, 1);

  // Source-specific validation applies to updates too.
  http::Response bad = Call("PUT", path, R"({"BatchSize":11})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("Maximum batch window"), std::string::npos);
}

TEST_F(EsmApiTest, DeleteAnswersDeletingThenTheMappingIsGone) {
  std::string uuid = Create()["UUID"];
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Enabled"; }));
  const std::string path = "/2015-03-31/event-source-mappings/" + uuid;
  http::Response d = Call("DELETE", path);
  EXPECT_EQ(d.status, 202);
  EXPECT_EQ(json::parse(d.body)["State"], "Deleting");
  EXPECT_EQ(readers_.live, 0);
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "gone"; }));
  EXPECT_EQ(Call("GET", path).status, 404);
  // And from state.db.
  loop_.restart();
  loop_.run_for(std::chrono::milliseconds(100));  // the delete's control-thread write
  Open();
  EXPECT_EQ(api_->Find(uuid), nullptr);
}

TEST_F(EsmApiTest, ErrorsAsAws) {
  auto create = [&](const std::string& body) {
    return Call("POST", "/2015-03-31/event-source-mappings", body);
  };
  http::Response r =
      create(R"({"FunctionName":"nope","EventSourceArn":")" + std::string(kArn) + "\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Function does not exist"), std::string::npos);
  r = create(R"({"FunctionName":"f","EventSourceArn":"arn:aws:sns:us-east-1:0:t"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Unrecognized event source"), std::string::npos);
  r = create(R"({"FunctionName":"f","EventSourceArn":"arn:aws:sqs:us-east-1:0:missing"})");
  EXPECT_NE(r.body.find("no queue"), std::string::npos);
  std::string uuid = Create()["UUID"];
  r = create(R"({"FunctionName":"f","EventSourceArn":")" + std::string(kArn) + "\"}");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find(uuid), std::string::npos);
  EXPECT_EQ(Call("GET", "/2015-03-31/event-source-mappings/nope").status, 404);
  EXPECT_EQ(Call("PATCH", "/2015-03-31/event-source-mappings/").status, 405);
}

TEST_F(EsmApiTest, UpdateToAFunctionThatHasAMappingConflicts) {
  auto config = std::make_shared<lambda::FunctionConfig>();
  config->name = "g";
  lambda::FunctionEntry entry;
  entry.latest = config;
  registry_.Put("g", entry);
  std::string on_f = Create()["UUID"];
  std::string on_g =
      json::parse(Call("POST", "/2015-03-31/event-source-mappings",
                       R"({"FunctionName":"g","EventSourceArn":")" + std::string(kArn) + "\"}")
                      .body)["UUID"];
  ASSERT_TRUE(RunUntil([&] { return StateOf(on_f) == "Enabled" && StateOf(on_g) == "Enabled"; }));
  http::Response r =
      Call("PUT", "/2015-03-31/event-source-mappings/" + on_g, R"({"FunctionName":"f"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body)["Type"], "User");
  EXPECT_EQ(r.headers.Get("x-amzn-ErrorType").value_or(""), "ResourceConflictException");
  EXPECT_NE(r.body.find(on_f), std::string::npos);
  EXPECT_EQ(StateOf(on_g), "Enabled");
  // Naming its own function again is no conflict.
  r = Call("PUT", "/2015-03-31/event-source-mappings/" + on_g, R"({"FunctionName":"g"})");
  EXPECT_EQ(r.status, 202) << r.body;
}

TEST_F(EsmApiTest, DeletedFunctionStopsReadingUntilItIsBack) {
  std::string uuid = Create()["UUID"];
  ASSERT_TRUE(RunUntil([&] { return StateOf(uuid) == "Enabled"; }));
  EXPECT_EQ(readers_.live, 1);
  lambda::FunctionEntry kept = *registry_.Get("f");
  registry_.Remove("f");
  api_->FunctionChanged("f");
  EXPECT_EQ(readers_.live, 0);
  EXPECT_EQ(StateOf(uuid), "Enabled");  // AWS leaves the mapping as it was
  api_->FunctionChanged("other");
  EXPECT_EQ(readers_.live, 0);
  registry_.Put("f", kept);
  api_->FunctionChanged("f");
  EXPECT_EQ(readers_.live, 1);
  // A restart with the function gone reads nothing either.
  registry_.Remove("f");
  Open();
  EXPECT_EQ(StateOf(uuid), "Enabled");
  EXPECT_EQ(readers_.live, 0);
}

TEST_F(EsmApiTest, ListFiltersAndPages) {
  std::set<std::string> all;
  for (int i = 0; i < 3; ++i) {
    all.insert(
        json::parse(Call("POST", "/2015-03-31/event-source-mappings",
                         R"({"FunctionName":"f","EventSourceArn":"arn:aws:sqs:us-east-1:0:q)" +
                             std::to_string(i) + "\"}")
                        .body)["UUID"]
            .get<std::string>());
  }
  json one = json::parse(Call("GET", "/2015-03-31/event-source-mappings/", "",
                              "EventSourceArn=arn:aws:sqs:us-east-1:0:q1")
                             .body);
  EXPECT_EQ(one["EventSourceMappings"].size(), 1u);
  std::set<std::string> seen;
  std::string marker;
  for (int pages = 0; pages < 5; ++pages) {
    std::string q = "FunctionName=f&MaxItems=2";
    if (!marker.empty()) q += "&Marker=" + marker;
    json page = json::parse(Call("GET", "/2015-03-31/event-source-mappings", "", q).body);
    EXPECT_LE(page["EventSourceMappings"].size(), 2u);
    for (const json& m : page["EventSourceMappings"]) seen.insert(m["UUID"].get<std::string>());
    if (!page.contains("NextMarker")) break;
    marker = page["NextMarker"];
  }
  EXPECT_EQ(seen, all);
  json none =
      json::parse(Call("GET", "/2015-03-31/event-source-mappings", "", "FunctionName=g").body);
  EXPECT_TRUE(none["EventSourceMappings"].empty());
}

TEST_F(EsmApiTest, RestartLoadsAndSettles) {
  std::string enabled = Create()["UUID"];
  ASSERT_TRUE(RunUntil([&] { return StateOf(enabled) == "Enabled"; }));
  // A second one is still Creating when the "server" goes away.
  std::string creating =
      json::parse(Call("POST", "/2015-03-31/event-source-mappings",
                       R"({"FunctionName":"f","EventSourceArn":"arn:aws:sqs:us-east-1:0:other"})")
                      .body)["UUID"];
  EXPECT_EQ(StateOf(creating), "Creating");
  Open();
  EXPECT_EQ(StateOf(enabled), "Enabled");
  EXPECT_EQ(StateOf(creating), "Enabled");
  EXPECT_EQ(readers_.live, 2);
}

}  // namespace
}  // namespace thaw::esm
