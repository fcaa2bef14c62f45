// ControlApi through a real server: versions, aliases, reserved concurrency, account settings,
// tags, and reloading everything after a restart.
#include <filesystem>

#include "lambda/control_fixture.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;
using testing::ControlApiTest;
using testing::Reply;

constexpr char kArnPrefix[] = "arn:aws:lambda:us-east-1:000000000000:function:";

TEST_F(ControlApiTest, PublishVersions) {
  Reply created = Call("POST", "/2015-03-31/functions", [&] {
    json b = CreateBody("ver");
    b["Publish"] = true;
    return b;
  }());
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.body["Version"], "1");
  EXPECT_EQ(created.body["FunctionArn"], std::string(kArnPrefix) + "ver:1");

  // Nothing changed since version 1: publishing returns it again.
  Reply same = Call("POST", "/2015-03-31/functions/ver/versions", json::object());
  EXPECT_EQ(same.status, 201);
  EXPECT_EQ(same.body["Version"], "1");
  EXPECT_EQ(same.body["RevisionId"], created.body["RevisionId"]);

  ASSERT_EQ(
      Call("PUT", "/2015-03-31/functions/ver/configuration", json{{"MemorySize", 256}}).status,
      200);
  Reply v2 = Call("POST", "/2015-03-31/functions/ver/versions", json{{"Description", "second"}});
  ASSERT_EQ(v2.status, 201) << v2.raw;
  EXPECT_EQ(v2.body["Version"], "2");
  EXPECT_EQ(v2.body["Description"], "second");
  EXPECT_EQ(v2.body["MemorySize"], 256);
  EXPECT_EQ(v2.body["State"], "Active");

  Reply list = Call("GET", "/2015-03-31/functions/ver/versions");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["Versions"].size(), 3u);
  EXPECT_EQ(list.body["Versions"][0]["Version"], "$LATEST");
  EXPECT_EQ(list.body["Versions"][0]["FunctionArn"], std::string(kArnPrefix) + "ver:$LATEST");
  EXPECT_EQ(list.body["Versions"][1]["Version"], "1");
  EXPECT_EQ(list.body["Versions"][1]["MemorySize"], 128);
  EXPECT_EQ(list.body["Versions"][2]["Version"], "2");
  Reply page = Call("GET", "/2015-03-31/functions/ver/versions?MaxItems=1");
  EXPECT_EQ(page.body["Versions"].size(), 1u);
  EXPECT_TRUE(page.body.contains("NextMarker"));

  Reply one = Call("GET", "/2015-03-31/functions/ver/configuration?Qualifier=1");
  EXPECT_EQ(one.body["MemorySize"], 128);
  EXPECT_EQ(one.body["FunctionArn"], std::string(kArnPrefix) + "ver:1");
  auto resolved = registry_->Resolve("ver:2", "");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->config->memory_mb, 256);

  Reply mismatch =
      Call("POST", "/2015-03-31/functions/ver/versions", json{{"CodeSha256", "wrong"}});
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/ver/versions", json{{"RevisionId", "old"}}).status,
            412);

  // Deleting versions: $LATEST is refused, numbers are never reused.
  Reply latest = Call("DELETE", "/2015-03-31/functions/ver?Qualifier=%24LATEST");
  EXPECT_EQ(latest.status, 400);
  EXPECT_EQ(latest.message(), "$LATEST version cannot be deleted without deleting the function.");
  changed_.clear();
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/ver?Qualifier=2").status, 204);
  EXPECT_EQ(changed_, std::vector<std::string>{"ver"});
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/ver?Qualifier=2").status, 404);
  EXPECT_FALSE(registry_->Resolve("ver", "2").ok());
  ASSERT_EQ(Call("PUT", "/2015-03-31/functions/ver/configuration", json{{"Timeout", 10}}).status,
            200);
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/ver/versions", json::object()).body["Version"],
            "3");
}

TEST_F(ControlApiTest, Aliases) {
  ASSERT_EQ(Call("POST", "/2015-03-31/functions",
                 [&] {
                   json b = CreateBody("al");
                   b["Publish"] = true;
                   return b;
                 }())
                .status,
            201);
  Reply created = Call("POST", "/2015-03-31/functions/al/aliases",
                       json{{"Name", "live"}, {"FunctionVersion", "1"}, {"Description", "prod"}});
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["AliasArn"], std::string(kArnPrefix) + "al:live");
  EXPECT_EQ(created.body["Name"], "live");
  EXPECT_EQ(created.body["FunctionVersion"], "1");
  EXPECT_EQ(created.body["Description"], "prod");
  std::string revision = created.body["RevisionId"];
  auto resolved = registry_->Resolve("al", "live");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->executed_version, "1");

  Reply dup = Call("POST", "/2015-03-31/functions/al/aliases",
                   json{{"Name", "live"}, {"FunctionVersion", "1"}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.message(), std::string("Alias already exists: ") + kArnPrefix + "al:live");
  Reply numeric = Call("POST", "/2015-03-31/functions/al/aliases",
                       json{{"Name", "12"}, {"FunctionVersion", "1"}});
  EXPECT_EQ(numeric.status, 400);
  EXPECT_EQ(numeric.error_type(), "ValidationException");
  Reply missing_version = Call("POST", "/2015-03-31/functions/al/aliases",
                               json{{"Name", "beta"}, {"FunctionVersion", "9"}});
  EXPECT_EQ(missing_version.status, 404);
  EXPECT_EQ(missing_version.message(), std::string("Function not found: ") + kArnPrefix + "al:9");
  ASSERT_EQ(Call("POST", "/2015-03-31/functions/al/aliases",
                 json{{"Name", "dev"}, {"FunctionVersion", "$LATEST"}})
                .status,
            201);

  Reply get = Call("GET", "/2015-03-31/functions/al/aliases/live");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, created.body);
  Reply config = Call("GET", "/2015-03-31/functions/al/configuration?Qualifier=live");
  EXPECT_EQ(config.body["Version"], "1");
  EXPECT_EQ(config.body["FunctionArn"], std::string(kArnPrefix) + "al:live");

  Reply list = Call("GET", "/2015-03-31/functions/al/aliases");
  ASSERT_EQ(list.body["Aliases"].size(), 2u);
  EXPECT_EQ(list.body["Aliases"][0]["Name"], "dev");
  Reply filtered = Call("GET", "/2015-03-31/functions/al/aliases?FunctionVersion=1");
  ASSERT_EQ(filtered.body["Aliases"].size(), 1u);
  EXPECT_EQ(filtered.body["Aliases"][0]["Name"], "live");

  // A version an alias points at cannot be deleted.
  Reply in_use = Call("DELETE", "/2015-03-31/functions/al?Qualifier=1");
  EXPECT_EQ(in_use.status, 409);
  EXPECT_EQ(in_use.error_type(), "ResourceConflictException");
  EXPECT_EQ(in_use.message(),
            "Unable to delete version because the following aliases reference it: [live]");

  Reply stale = Call("PUT", "/2015-03-31/functions/al/aliases/live",
                     json{{"FunctionVersion", "$LATEST"}, {"RevisionId", "stale"}});
  EXPECT_EQ(stale.status, 412);
  Reply updated = Call("PUT", "/2015-03-31/functions/al/aliases/live",
                       json{{"FunctionVersion", "$LATEST"}, {"RevisionId", revision}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body["FunctionVersion"], "$LATEST");
  EXPECT_EQ(updated.body["Description"], "prod");
  EXPECT_NE(updated.body["RevisionId"], revision);
  EXPECT_EQ(registry_->Resolve("al", "live")->executed_version, "$LATEST");

  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/al/aliases/live").status, 204);
  Reply gone = Call("GET", "/2015-03-31/functions/al/aliases/live");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.message(), std::string("Cannot find alias arn: ") + kArnPrefix + "al:live");
  EXPECT_FALSE(registry_->Resolve("al", "live").ok());
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/al?Qualifier=1").status, 204);
}

TEST_F(ControlApiTest, ReservedConcurrencyAndAccountSettings) {
  Create("a");
  Create("b");
  Reply none = Call("GET", "/2019-09-30/functions/a/concurrency");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, json::object());

  Reply put = Call("PUT", "/2017-10-31/functions/a/concurrency",
                   json{{"ReservedConcurrentExecutions", 600}});
  ASSERT_EQ(put.status, 200) << put.raw;
  EXPECT_EQ(put.body, json({{"ReservedConcurrentExecutions", 600}}));
  EXPECT_EQ(registry_->Get("a")->reserved_concurrency, 600);
  EXPECT_EQ(registry_->TotalReserved(), 600);
  EXPECT_EQ(Call("GET", "/2019-09-30/functions/a/concurrency").body,
            json({{"ReservedConcurrentExecutions", 600}}));
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/a").body["Concurrency"],
            json({{"ReservedConcurrentExecutions", 600}}));

  // 1000 - 600 - 301 < 100.
  Reply over = Call("PUT", "/2017-10-31/functions/b/concurrency",
                    json{{"ReservedConcurrentExecutions", 301}});
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.error_type(), "InvalidParameterValueException");
  EXPECT_EQ(over.message(),
            "Specified ReservedConcurrentExecutions for function decreases account's "
            "UnreservedConcurrentExecution below its minimum value of [100].");
  EXPECT_EQ(Call("PUT", "/2017-10-31/functions/b/concurrency",
                 json{{"ReservedConcurrentExecutions", 300}})
                .status,
            200);
  // Lowering a function's own reservation is always allowed.
  EXPECT_EQ(Call("PUT", "/2017-10-31/functions/a/concurrency",
                 json{{"ReservedConcurrentExecutions", 500}})
                .status,
            200);
  EXPECT_EQ(
      Call("PUT", "/2017-10-31/functions/a/concurrency", json{{"ReservedConcurrentExecutions", -1}})
          .error_type(),
      "ValidationException");
  EXPECT_EQ(
      Call("PUT", "/2017-10-31/functions/zz/concurrency", json{{"ReservedConcurrentExecutions", 1}})
          .status,
      404);

  Reply settings = Call("GET", "/2016-08-19/account-settings/");
  ASSERT_EQ(settings.status, 200);
  EXPECT_EQ(settings.body["AccountLimit"]["TotalCodeSize"], 80530636800);
  EXPECT_EQ(settings.body["AccountLimit"]["CodeSizeUnzipped"], 262144000);
  EXPECT_EQ(settings.body["AccountLimit"]["CodeSizeZipped"], 52428800);
  EXPECT_EQ(settings.body["AccountLimit"]["ConcurrentExecutions"], 1000);
  EXPECT_EQ(settings.body["AccountLimit"]["UnreservedConcurrentExecutions"], 200);
  EXPECT_EQ(settings.body["AccountUsage"]["FunctionCount"], 2);
  EXPECT_EQ(settings.body["AccountUsage"]["TotalCodeSize"], 2 * testing::BootstrapZip().size());

  EXPECT_EQ(Call("DELETE", "/2017-10-31/functions/a/concurrency").status, 204);
  EXPECT_EQ(Call("GET", "/2019-09-30/functions/a/concurrency").body, json::object());
  EXPECT_FALSE(registry_->Get("a")->reserved_concurrency.has_value());
  EXPECT_EQ(Call("GET", "/2016-08-19/account-settings/")
                .body["AccountLimit"]["UnreservedConcurrentExecutions"],
            700);
}

TEST_F(ControlApiTest, Tags) {
  json body = CreateBody("tagged");
  body["Tags"] = {{"team", "core"}};
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", body).status, 201);
  std::string arn = std::string(kArnPrefix) + "tagged";
  std::string path = "/2017-03-31/tags/" + http::PercentEncode(arn);
  EXPECT_EQ(Call("GET", path).body, json({{"Tags", {{"team", "core"}}}}));
  EXPECT_EQ(Call("POST", path, json{{"Tags", {{"env", "dev"}, {"cost", "1"}}}}).status, 204);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/tagged").body["Tags"],
            json({{"team", "core"}, {"env", "dev"}, {"cost", "1"}}));
  EXPECT_EQ(Call("DELETE", path + "?tagKeys=team&tagKeys=cost").status, 204);
  EXPECT_EQ(Call("GET", path).body, json({{"Tags", {{"env", "dev"}}}}));
  EXPECT_EQ(registry_->Get("tagged")->latest->tags,
            (std::map<std::string, std::string>{{"env", "dev"}}));
  EXPECT_EQ(Call("GET", "/2017-03-31/tags/" + http::PercentEncode(arn + ":1")).status, 400);
  EXPECT_EQ(
      Call("GET", "/2017-03-31/tags/" + http::PercentEncode(std::string(kArnPrefix) + "x")).status,
      404);
}

TEST_F(ControlApiTest, RestartReloadsEverything) {
  json body = CreateBody("durable");
  body["Publish"] = true;
  body["Tags"] = {{"k", "v"}};
  body["Environment"] = {{"Variables", {{"AB", "1"}}}};
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", body).status, 201);
  ASSERT_EQ(Call("POST", "/2015-03-31/functions/durable/aliases",
                 json{{"Name", "live"}, {"FunctionVersion", "1"}})
                .status,
            201);
  ASSERT_EQ(Call("PUT", "/2017-10-31/functions/durable/concurrency",
                 json{{"ReservedConcurrentExecutions", 5}})
                .status,
            200);
  Reply before = Call("GET", "/2015-03-31/functions/durable");
  uint64_t generation = registry_->Get("durable")->latest->generation;
  std::string code_dir = registry_->Get("durable")->latest->code_dir;

  // The code tree is rebuilt from the kept zip if it went missing.
  std::filesystem::remove_all(code_dir);
  StartApi();
  auto entry = registry_->Get("durable");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->latest->generation, generation);
  EXPECT_EQ(entry->versions.size(), 1u);
  EXPECT_EQ(entry->aliases.at("live").function_version, "1");
  EXPECT_EQ(entry->reserved_concurrency, 5);
  EXPECT_TRUE(std::filesystem::exists(code_dir + "/bootstrap"));
  EXPECT_EQ(registry_->Resolve("durable", "live")->executed_version, "1");

  Reply after = Call("GET", "/2015-03-31/functions/durable");
  EXPECT_EQ(after.body, before.body);
  // Generations keep growing after a restart.
  ASSERT_EQ(Call("PUT", "/2015-03-31/functions/durable/configuration", json{{"Timeout", 7}}).status,
            200);
  EXPECT_GT(registry_->Get("durable")->latest->generation, generation);
}

}  // namespace
}  // namespace thaw::lambda
