// ControlApi through a real server: function URL configurations, their registry index (what the
// serving side looks URLs up in), and reloading them after a restart.
#include "lambda/control_fixture.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;
using testing::ControlApiTest;
using testing::Reply;

TEST_F(ControlApiTest, FunctionUrlsAreIndexedAndSurviveARestart) {
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("web")).status, 201);
  Reply created = Call("POST", "/2021-10-31/functions/web/url",
                       json{{"AuthType", "NONE"}, {"Cors", {{"AllowOrigins", {"http://a"}}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const std::string id = UrlIdOfHost(
      created.body["FunctionUrl"].get<std::string>().substr(std::string_view("http://").size()));
  ASSERT_EQ(id.size(), 32u) << created.raw;
  EXPECT_FALSE(created.body.contains("LastModifiedTime"));
  auto found = registry_->FindUrl(id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->key, FunctionKey(kAccount, "web"));
  EXPECT_EQ(found->config.auth_type, "NONE");

  Reply conflict = Call("POST", "/2021-10-31/functions/web/url", json{{"AuthType", "NONE"}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.error_type(), "ResourceConflictException");
  Reply version =
      Call("POST", "/2021-10-31/functions/web/url?Qualifier=1", json{{"AuthType", "NONE"}});
  EXPECT_EQ(version.error_type(), "ValidationException");

  StartApi();  // a restart: the registry is rebuilt from the database
  found = registry_->FindUrl(id);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->config.cors.has_value());
  EXPECT_EQ(found->config.cors->allow_origins, std::vector<std::string>{"http://a"});

  Reply updated = Call("PUT", "/2021-10-31/functions/web/url", json{{"AuthType", "AWS_IAM"}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(registry_->FindUrl(id)->config.auth_type, "AWS_IAM");

  ASSERT_EQ(Call("DELETE", "/2015-03-31/functions/web").status, 204);
  EXPECT_FALSE(registry_->FindUrl(id).has_value());
  Reply gone = Call("GET", "/2021-10-31/functions/web/url");
  EXPECT_EQ(gone.status, 404);
}

TEST_F(ControlApiTest, DeletingAnAliasDeletesItsUrl) {
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("aliased")).status, 201);
  ASSERT_EQ(Call("POST", "/2015-03-31/functions/aliased/versions", json::object()).status, 201);
  ASSERT_EQ(Call("POST", "/2015-03-31/functions/aliased/aliases",
                 json{{"Name", "live"}, {"FunctionVersion", "1"}})
                .status,
            201);
  Reply created =
      Call("POST", "/2021-10-31/functions/aliased/url?Qualifier=live", json{{"AuthType", "NONE"}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const std::string id = UrlIdOfHost(
      created.body["FunctionUrl"].get<std::string>().substr(std::string_view("http://").size()));
  ASSERT_TRUE(registry_->FindUrl(id).has_value());
  EXPECT_EQ(registry_->FindUrl(id)->qualifier, "live");
  ASSERT_EQ(Call("DELETE", "/2015-03-31/functions/aliased/aliases/live").status, 204);
  EXPECT_FALSE(registry_->FindUrl(id).has_value());
  StartApi();
  EXPECT_FALSE(registry_->FindUrl(id).has_value());
}

}  // namespace
}  // namespace thaw::lambda
