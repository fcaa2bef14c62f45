// ControlApi through a real server: layer versions (publish, get, list, delete), functions that
// use them (Layers, their /opt tree, the retirement of warm environments), resource policies,
// and all of it after a restart.
#include <filesystem>
#include <fstream>

#include "base/codec.h"
#include "lambda/control_fixture.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;
using testing::ControlApiTest;
using testing::MakeZip;
using testing::Reply;

constexpr char kLayerArn[] = "arn:aws:lambda:us-east-1:000000000000:layer:";

json PublishBody(const std::string& zip) {
  return {{"Content", {{"ZipFile", Base64Encode(zip)}}},
          {"Description", "d"},
          {"CompatibleRuntimes", {"provided.al2023"}},
          {"CompatibleArchitectures", {"x86_64"}},
          {"LicenseInfo", "MIT"}};
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(ControlApiTest, PublishGetListDeleteLayerVersions) {
  std::string zip = MakeZip({{"lib/a.txt", "one", 0100644}});
  Reply v1 = Call("POST", "/2018-10-31/layers/lib/versions", PublishBody(zip));
  ASSERT_EQ(v1.status, 201) << v1.raw;
  EXPECT_EQ(v1.body["LayerArn"], std::string(kLayerArn) + "lib");
  EXPECT_EQ(v1.body["LayerVersionArn"], std::string(kLayerArn) + "lib:1");
  EXPECT_EQ(v1.body["Version"], 1);
  EXPECT_EQ(v1.body["Content"]["CodeSize"], static_cast<int64_t>(zip.size()));
  EXPECT_EQ(v1.body["Content"]["CodeSha256"], Sha256Base64(zip));
  EXPECT_EQ(v1.body["CompatibleRuntimes"], json({"provided.al2023"}));
  EXPECT_EQ(v1.body["LicenseInfo"], "MIT");
  Reply v2 = Call("POST", "/2018-10-31/layers/lib/versions", PublishBody(zip));
  EXPECT_EQ(v2.body["Version"], 2);

  Reply got = Call("GET", "/2018-10-31/layers/lib/versions/1");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["LayerVersionArn"], std::string(kLayerArn) + "lib:1");
  Reply by_arn =
      Call("GET", "/2018-10-31/layers?find=LayerVersion&Arn=" + std::string(kLayerArn) + "lib:2");
  ASSERT_EQ(by_arn.status, 200) << by_arn.raw;
  EXPECT_EQ(by_arn.body["Version"], 2);

  Reply versions = Call("GET", "/2018-10-31/layers/lib/versions");
  ASSERT_EQ(versions.body["LayerVersions"].size(), 2u);
  EXPECT_EQ(versions.body["LayerVersions"][0]["Version"], 2);  // newest first
  Reply layers = Call("GET", "/2018-10-31/layers");
  ASSERT_EQ(layers.body["Layers"].size(), 1u);
  EXPECT_EQ(layers.body["Layers"][0]["LatestMatchingVersion"]["Version"], 2);
  EXPECT_EQ(Call("GET", "/2018-10-31/layers?CompatibleRuntime=python3.12").body["Layers"].size(),
            0u);

  EXPECT_EQ(Call("DELETE", "/2018-10-31/layers/lib/versions/2").status, 204);
  EXPECT_EQ(Call("GET", "/2018-10-31/layers/lib/versions/2").status, 404);
  EXPECT_EQ(Call("DELETE", "/2018-10-31/layers/lib/versions/2").status, 204);  // idempotent
  // Numbers are never reused.
  EXPECT_EQ(Call("POST", "/2018-10-31/layers/lib/versions", PublishBody(zip)).body["Version"], 3);

  Reply bad =
      Call("POST", "/2018-10-31/layers/lib/versions", PublishBody(std::string("not a zip")));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Call("POST", "/2018-10-31/layers/bad name/versions", PublishBody(zip)).status, 400);

  StartApi();  // a restart
  EXPECT_EQ(Call("GET", "/2018-10-31/layers/lib/versions/3").status, 200);
  EXPECT_EQ(Call("GET", "/2018-10-31/layers/lib/versions/2").status, 404);
  EXPECT_EQ(Call("POST", "/2018-10-31/layers/lib/versions", PublishBody(zip)).body["Version"], 4);
}

TEST_F(ControlApiTest, FunctionLayersMergeInOrderAndSurviveDeletion) {
  ASSERT_EQ(Call("POST", "/2018-10-31/layers/a/versions",
                 PublishBody(MakeZip({{"f.txt", "a", 0100644},
                                      {"only-a", "a", 0100644},
                                      {"extensions/zeta", "#!/bin/sh\n", 0100755}})))
                .status,
            201);
  ASSERT_EQ(Call("POST", "/2018-10-31/layers/b/versions",
                 PublishBody(MakeZip({{"f.txt", "b", 0100644},
                                      {"extensions/alpha", "#!/bin/sh\n", 0100755},
                                      {"extensions/data", "not executable", 0100644}})))
                .status,
            201);
  json body = CreateBody("withlayers");
  body["Layers"] = {std::string(kLayerArn) + "a:1", std::string(kLayerArn) + "b:1"};
  Reply created = Call("POST", "/2015-03-31/functions", body);
  ASSERT_EQ(created.status, 201) << created.raw;
  ASSERT_EQ(created.body["Layers"].size(), 2u);
  EXPECT_EQ(created.body["Layers"][1]["Arn"], std::string(kLayerArn) + "b:1");
  EXPECT_GT(created.body["Layers"][1]["CodeSize"].get<int64_t>(), 0);

  auto entry = registry_->Get("withlayers");
  ASSERT_TRUE(entry);
  const FunctionConfig& config = *entry->latest;
  EXPECT_EQ(ReadAll(config.opt_dir + "/f.txt"), "b");  // the later layer wins
  EXPECT_EQ(ReadAll(config.opt_dir + "/only-a"), "a");
  EXPECT_EQ(config.extensions, (std::vector<std::string>{"alpha", "zeta"}));

  // Deleting a version keeps it for the functions that use it.
  ASSERT_EQ(Call("DELETE", "/2018-10-31/layers/b/versions/1").status, 204);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/withlayers").status, 200);
  json keep = {{"Layers", {std::string(kLayerArn) + "a:1", std::string(kLayerArn) + "b:1"}},
               {"Timeout", 9}};
  changed_.clear();
  EXPECT_EQ(Call("PUT", "/2015-03-31/functions/withlayers/configuration", keep).status, 200);
  EXPECT_EQ(changed_, std::vector<std::string>{"withlayers"});  // warm environments retire
  uint64_t before = registry_->Get("withlayers")->latest->generation;

  StartApi();  // a restart rebuilds the derived /opt tree
  auto reloaded = registry_->Get("withlayers");
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->latest->generation, before);
  EXPECT_EQ(ReadAll(reloaded->latest->opt_dir + "/f.txt"), "b");
  EXPECT_EQ(reloaded->latest->extensions, (std::vector<std::string>{"alpha", "zeta"}));

  // Errors: unknown version, too many, malformed, two versions of one layer.
  json unknown = {{"Layers", {std::string(kLayerArn) + "a:9"}}};
  Reply r = Call("PUT", "/2015-03-31/functions/withlayers/configuration", unknown);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["Type"], "User");
  EXPECT_NE(r.raw.find("Layer version " + std::string(kLayerArn) + "a:9 does not exist."),
            std::string::npos)
      << r.raw;
  json six = {{"Layers", json::array()}};
  for (int i = 0; i < 6; ++i) six["Layers"].push_back(std::string(kLayerArn) + "a:1");
  EXPECT_NE(Call("PUT", "/2015-03-31/functions/withlayers/configuration", six)
                .raw.find("Cannot reference more than 5 layers."),
            std::string::npos);
  Reply malformed =
      Call("PUT", "/2015-03-31/functions/withlayers/configuration", json{{"Layers", {"nope"}}});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.raw.find("1 validation error detected"), std::string::npos) << malformed.raw;
  json twice = {{"Layers", {std::string(kLayerArn) + "a:1", std::string(kLayerArn) + "a:1"}}};
  EXPECT_EQ(Call("PUT", "/2015-03-31/functions/withlayers/configuration", twice).status, 400);
  // Removing every layer.
  Reply none = Call("PUT", "/2015-03-31/functions/withlayers/configuration",
                    json{{"Layers", json::array()}});
  EXPECT_EQ(none.status, 200);
  EXPECT_FALSE(none.body.contains("Layers"));
  EXPECT_EQ(registry_->Get("withlayers")->latest->opt_dir, "");
}

TEST_F(ControlApiTest, LayerCodeIsReclaimedWhenNoVersionOrFunctionUsesIt) {
  std::string lz = MakeZip({{"lib.txt", "layer", 0100644}});
  std::string unused = MakeZip({{"lib.txt", "unused", 0100644}});
  ASSERT_EQ(Call("POST", "/2018-10-31/layers/gl/versions", PublishBody(lz)).status, 201);
  ASSERT_EQ(Call("POST", "/2018-10-31/layers/gu/versions", PublishBody(unused)).status, 201);
  json body = CreateBody("gcuser");
  body["Layers"] = {std::string(kLayerArn) + "gl:1"};
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", body).status, 201);
  std::string opt_dir = registry_->Get("gcuser")->latest->opt_dir;
  ASSERT_FALSE(opt_dir.empty());
  // A deleted version stays for the function that uses it, zip, tree and /opt tree.
  ASSERT_EQ(Call("DELETE", "/2018-10-31/layers/gl/versions/1").status, 204);
  EXPECT_TRUE(Stored(Sha256Hex(lz)));
  EXPECT_EQ(ReadAll(opt_dir + "/lib.txt"), "layer");
  // A version nobody uses stays while it exists.
  EXPECT_TRUE(Stored(Sha256Hex(unused)));
  // The function drops the layer: nothing references it any more.
  ASSERT_EQ(
      Call("PUT", "/2015-03-31/functions/gcuser/configuration", json{{"Layers", json::array()}})
          .status,
      200);
  EXPECT_FALSE(Stored(Sha256Hex(lz)));
  EXPECT_FALSE(std::filesystem::exists(opt_dir));
  ASSERT_EQ(Call("DELETE", "/2018-10-31/layers/gu/versions/1").status, 204);
  EXPECT_FALSE(Stored(Sha256Hex(unused)));
}

TEST_F(ControlApiTest, ResourcePolicy) {
  Create("pol");
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/pol/policy").status, 404);
  json add = {{"StatementId", "sns"},
              {"Action", "lambda:InvokeFunction"},
              {"Principal", "sns.amazonaws.com"},
              {"SourceArn", "arn:aws:sns:us-east-1:000000000000:topic"}};
  Reply added = Call("POST", "/2015-03-31/functions/pol/policy", add);
  ASSERT_EQ(added.status, 201) << added.raw;
  json statement = json::parse(added.body["Statement"].get<std::string>());
  EXPECT_EQ(statement["Sid"], "sns");
  EXPECT_EQ(statement["Principal"]["Service"], "sns.amazonaws.com");
  EXPECT_EQ(statement["Resource"], "arn:aws:lambda:us-east-1:000000000000:function:pol");
  EXPECT_EQ(statement["Condition"]["ArnLike"]["AWS:SourceArn"],
            "arn:aws:sns:us-east-1:000000000000:topic");
  Reply dup = Call("POST", "/2015-03-31/functions/pol/policy", add);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/pol/policy?Qualifier=$LATEST", add).status, 400);
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/pol/policy?Qualifier=7", add).status, 404);
  json bad = add;
  bad["Action"] = "s3:GetObject";
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/pol/policy", bad).status, 400);

  StartApi();  // durable
  Reply policy = Call("GET", "/2015-03-31/functions/pol/policy");
  ASSERT_EQ(policy.status, 200);
  json doc = json::parse(policy.body["Policy"].get<std::string>());
  EXPECT_EQ(doc["Version"], "2012-10-17");
  ASSERT_EQ(doc["Statement"].size(), 1u);
  EXPECT_FALSE(policy.body["RevisionId"].get<std::string>().empty());

  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/pol/policy/other").status, 404);
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/pol/policy/sns").status, 204);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/pol/policy").status, 404);
}

}  // namespace
}  // namespace thaw::lambda
