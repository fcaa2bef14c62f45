// ControlApi through a real server: CreateFunction, Get*, ListFunctions, Update*, Delete and
// the error shapes. Versions, aliases, concurrency, tags and restarts are in
// control_versions_test.cc.
#include "lambda/control_api.h"

#include <sys/stat.h>

#include <filesystem>

#include "base/codec.h"
#include "lambda/control_fixture.h"
#include "lambda/function_request.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;
using testing::BootstrapZip;
using testing::ControlApiTest;
using testing::MakeZip;
using testing::Reply;

constexpr char kArnPrefix[] = "arn:aws:lambda:us-east-1:000000000000:function:";

TEST_F(ControlApiTest, CreateFunctionAnswersLikeAws) {
  std::string zip = BootstrapZip();
  json body = CreateBody("hello", zip);
  body["Environment"] = {{"Variables", {{"GREETING", "hi"}}}};
  body["MemorySize"] = 256;
  body["Architectures"] = {"arm64"};
  Reply r = Call("POST", "/2015-03-31/functions", body);
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_FALSE(std::string(r.headers.Get("x-amzn-RequestId").value_or("")).empty());
  const json& c = r.body;
  EXPECT_EQ(c["FunctionName"], "hello");
  EXPECT_EQ(c["FunctionArn"], std::string(kArnPrefix) + "hello");
  EXPECT_EQ(c["Runtime"], "provided.al2023");
  EXPECT_EQ(c["Role"], "arn:aws:iam::000000000000:role/lambda");
  EXPECT_EQ(c["Handler"], "bootstrap");
  EXPECT_EQ(c["CodeSize"], zip.size());
  EXPECT_EQ(c["CodeSha256"], Sha256Base64(zip));
  EXPECT_EQ(c["Description"], "");
  EXPECT_EQ(c["Timeout"], 3);
  EXPECT_EQ(c["MemorySize"], 256);
  EXPECT_EQ(c["Version"], "$LATEST");
  EXPECT_EQ(c["LastModified"], FormatLambdaTime(clock_.RealtimeMillis()));
  EXPECT_EQ(c["Environment"], json({{"Variables", {{"GREETING", "hi"}}}}));
  EXPECT_EQ(c["TracingConfig"], json({{"Mode", "PassThrough"}}));
  EXPECT_EQ(c["RevisionId"].get<std::string>().size(), 36u);
  EXPECT_EQ(c["State"], "Pending");
  EXPECT_EQ(c["StateReason"], "The function is being created.");
  EXPECT_EQ(c["StateReasonCode"], "Creating");
  EXPECT_EQ(c["PackageType"], "Zip");
  EXPECT_EQ(c["Architectures"], json({"arm64"}));
  EXPECT_EQ(c["EphemeralStorage"], json({{"Size", 512}}));
  EXPECT_EQ(c["SnapStart"], json({{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}));
  EXPECT_EQ(c["LoggingConfig"], json({{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/hello"}}));

  // The registry sees it at once, with code the invoker can exec.
  auto resolved = registry_->Resolve("hello", "");
  ASSERT_TRUE(resolved.ok());
  const FunctionConfig& config = *resolved->config;
  EXPECT_EQ(config.memory_mb, 256);
  EXPECT_EQ(config.architecture, "arm64");
  EXPECT_GT(config.generation, 0u);
  struct stat st;
  ASSERT_EQ(stat((config.code_dir + "/bootstrap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  EXPECT_EQ(changed_, std::vector<std::string>{"hello"});

  Reply dup = Call("POST", "/2015-03-31/functions", CreateBody("hello"));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.error_type(), "ResourceConflictException");
  EXPECT_EQ(dup.message(), "Function already exist: hello");
}

TEST_F(ControlApiTest, GetFunctionAndCodeDownload) {
  std::string zip = BootstrapZip("#!/bin/sh\necho get\n");
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("getme", zip)).status, 201);
  Reply r = Call("GET", "/2015-03-31/functions/getme");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["Configuration"]["State"], "Active");
  EXPECT_EQ(r.body["Configuration"]["LastUpdateStatus"], "Successful");
  EXPECT_FALSE(r.body["Configuration"].contains("StateReason"));
  EXPECT_EQ(r.body["Code"]["RepositoryType"], "S3");
  EXPECT_FALSE(r.body.contains("Tags"));
  EXPECT_FALSE(r.body.contains("Concurrency"));
  std::string location = r.body["Code"]["Location"];
  std::string prefix = "http://127.0.0.1:" + std::to_string(server_->port());
  ASSERT_TRUE(location.starts_with(prefix)) << location;
  // Presigned, as S3's Code.Location is.
  std::string path = "/thaw/code/" + Sha256Hex(zip) + ".zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&";
  EXPECT_EQ(location.substr(prefix.size(), path.size()), path);
  EXPECT_NE(location.find("&X-Amz-Signature="), std::string::npos);
  Reply download = Call("GET", location.substr(prefix.size()));
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.raw, zip);
  EXPECT_EQ(Call("GET", "/thaw/code/" + std::string(64, 'b') + ".zip").status, 404);

  Reply config = Call("GET", "/2015-03-31/functions/getme/configuration");
  EXPECT_EQ(config.status, 200);
  EXPECT_EQ(config.body, r.body["Configuration"]);
  Reply by_arn = Call("GET", "/2015-03-31/functions/" + std::string(kArnPrefix) + "getme");
  EXPECT_EQ(by_arn.status, 200);
  Reply latest = Call("GET", "/2015-03-31/functions/getme/configuration?Qualifier=%24LATEST");
  EXPECT_EQ(latest.body["FunctionArn"], std::string(kArnPrefix) + "getme:$LATEST");
}

TEST_F(ControlApiTest, UnknownFunctionIsNotFound) {
  Reply r = Call("GET", "/2015-03-31/functions/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_type(), "ResourceNotFoundException");
  EXPECT_EQ(r.body, json({{"Type", "User"},
                          {"Message", std::string("Function not found: ") + kArnPrefix + "nope"}}));
  Reply q = Call("GET", "/2015-03-31/functions/nope/configuration?Qualifier=7");
  EXPECT_EQ(q.message(), std::string("Function not found: ") + kArnPrefix + "nope:7");
  Create("exists");
  Reply v = Call("GET", "/2015-03-31/functions/exists:3");
  EXPECT_EQ(v.status, 404);
  EXPECT_EQ(v.message(), std::string("Function not found: ") + kArnPrefix + "exists:3");
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/nope").status, 404);
  EXPECT_EQ(Call("PUT", "/2015-03-31/functions/nope/configuration", json::object()).status, 404);
  Reply bad = Call("GET", "/2015-03-31/functions/bad%20name");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_type(), "ValidationException");
}

TEST_F(ControlApiTest, CreateFunctionValidation) {
  auto expect_error = [&](json body, int status, const std::string& type,
                          const std::string& message_start) {
    Reply r = Call("POST", "/2015-03-31/functions", body);
    EXPECT_EQ(r.status, status) << body.dump().substr(0, 200) << " -> " << r.raw;
    EXPECT_EQ(r.error_type(), type) << r.raw;
    EXPECT_TRUE(r.message().starts_with(message_start)) << r.message();
    EXPECT_FALSE(std::string(r.headers.Get("x-amzn-RequestId").value_or("")).empty());
  };
  json b = CreateBody("v");
  b["MemorySize"] = 0;
  expect_error(b, 400, "ValidationException",
               "1 validation error detected: Value '0' at 'memorySize' failed to satisfy "
               "constraint: Member must have value greater than or equal to 128");
  b = CreateBody("v");
  b["Timeout"] = 901;
  expect_error(b, 400, "ValidationException", "1 validation error detected: Value '901'");
  b = CreateBody("v");
  b["Runtime"] = "fortran77";
  expect_error(b, 400, "InvalidParameterValueException",
               "Value fortran77 at 'runtime' failed to satisfy constraint: Member must satisfy "
               "enum value set: [");
  b = CreateBody("v");
  b["PackageType"] = "Image";
  expect_error(b, 400, "InvalidParameterValueException", "thaw runs .zip functions only");
  b = CreateBody("v");
  b.erase("Role");
  expect_error(b, 400, "ValidationException",
               "1 validation error detected: Value null at 'role' failed to satisfy constraint: "
               "Member must not be null");
  b = CreateBody("v");
  b.erase("Code");
  expect_error(b, 400, "ValidationException", "1 validation error detected: Value null at 'code'");
  b = CreateBody("v");
  b["Code"] = json::object();
  expect_error(b, 400, "InvalidParameterValueException",
               "Please provide a source for function code.");
  b = CreateBody("v");
  b["Code"] = {{"S3Bucket", "b"}, {"S3Key", "k"}};
  expect_error(b, 400, "InvalidParameterValueException",
               "thaw takes function code only as ZipFile");
  b = CreateBody("v");
  b.erase("Handler");
  expect_error(b, 400, "InvalidParameterValueException",
               "Runtime and Handler are mandatory parameters");
  b = CreateBody("v", "this is not a zip");
  expect_error(b, 400, "InvalidParameterValueException",
               "Could not unzip uploaded file. Please check your file, then try to upload "
               "again.");
  b = CreateBody("v", MakeZip({{"../escape", "x", 0100644}}));
  expect_error(b, 400, "InvalidParameterValueException", "Could not unzip uploaded file.");
  b = CreateBody("v");
  b["Environment"] = {{"Variables", {{"BIG", std::string(5000, 'x')}}}};
  expect_error(b, 400, "InvalidParameterValueException",
               "Lambda was unable to configure your environment variables because the "
               "environment variables you have provided exceeded the 4KB limit.");
  b = CreateBody("v");
  b["Architectures"] = {"x86_64", "arm64"};
  expect_error(b, 400, "ValidationException", "1 validation error detected");
  b = CreateBody("v");
  b["FunctionName"] = "has space";
  expect_error(b, 400, "ValidationException", "1 validation error detected: Value 'has space'");
  b = CreateBody("v");
  b["Code"]["ZipFile"] = "%%%";
  expect_error(b, 400, "InvalidRequestContentException", "Could not parse request body into json");

  Reply garbage = Call("POST", "/2015-03-31/functions", std::string("{not json"));
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.error_type(), "InvalidRequestContentException");
  EXPECT_EQ(garbage.message(),
            "Could not parse request body into json: the request body is not valid JSON");

  // Nothing was created by any of the refused requests.
  EXPECT_TRUE(registry_->Names().empty());
  EXPECT_TRUE(changed_.empty());
}

TEST_F(ControlApiTest, OversizedCodeRequestIs413) {
  std::string body(kMaxCodeRequestBytes + 1, ' ');
  Reply r = Call("POST", "/2015-03-31/functions", body);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error_type(), "RequestEntityTooLargeException");
  EXPECT_EQ(r.message(),
            "Request must be smaller than 70167211 bytes for the CreateFunction operation");
}

TEST_F(ControlApiTest, ListFunctionsPaginates) {
  for (const char* name : {"charlie", "alpha", "bravo"}) Create(name);
  Reply first = Call("GET", "/2015-03-31/functions/?MaxItems=2");
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(first.body["Functions"].size(), 2u);
  EXPECT_EQ(first.body["Functions"][0]["FunctionName"], "alpha");
  EXPECT_EQ(first.body["Functions"][1]["FunctionName"], "bravo");
  EXPECT_EQ(first.body["Functions"][0]["State"], "Active");
  ASSERT_TRUE(first.body.contains("NextMarker"));
  std::string marker = http::PercentEncode(first.body["NextMarker"].get<std::string>());
  Reply second = Call("GET", "/2015-03-31/functions/?MaxItems=2&Marker=" + marker);
  ASSERT_EQ(second.body["Functions"].size(), 1u);
  EXPECT_EQ(second.body["Functions"][0]["FunctionName"], "charlie");
  EXPECT_FALSE(second.body.contains("NextMarker"));

  Reply all = Call("GET", "/2015-03-31/functions/");
  EXPECT_EQ(all.body["Functions"].size(), 3u);
  EXPECT_FALSE(all.body.contains("NextMarker"));

  ASSERT_EQ(Call("POST", "/2015-03-31/functions/alpha/versions", json::object()).status, 201);
  Reply versions = Call("GET", "/2015-03-31/functions/?FunctionVersion=ALL");
  ASSERT_EQ(versions.body["Functions"].size(), 4u);
  EXPECT_EQ(versions.body["Functions"][0]["Version"], "$LATEST");
  EXPECT_EQ(versions.body["Functions"][0]["FunctionArn"],
            std::string(kArnPrefix) + "alpha:$LATEST");
  EXPECT_EQ(versions.body["Functions"][1]["Version"], "1");
  EXPECT_EQ(versions.body["Functions"][1]["FunctionArn"], std::string(kArnPrefix) + "alpha:1");
  EXPECT_EQ(versions.body["Functions"][2]["FunctionName"], "bravo");

  Reply zero = Call("GET", "/2015-03-31/functions/?MaxItems=0");
  EXPECT_EQ(zero.status, 400);
  EXPECT_EQ(zero.error_type(), "ValidationException");
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/?FunctionVersion=SOME").status, 400);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/?Marker=%21%21").status, 400);
}

TEST_F(ControlApiTest, UpdateFunctionConfiguration) {
  Reply created = Create("cfg");
  std::string revision = created.body["RevisionId"];
  uint64_t generation = registry_->Get("cfg")->latest->generation;
  changed_.clear();
  clock_.Advance(5'000'000'000);

  json update = {{"MemorySize", 1024},
                 {"Timeout", 60},
                 {"Description", "tuned"},
                 {"Environment", {{"Variables", {{"MODE", "fast"}}}}},
                 {"RevisionId", revision}};
  Reply r = Call("PUT", "/2015-03-31/functions/cfg/configuration", update);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["LastUpdateStatus"], "InProgress");
  EXPECT_EQ(r.body["State"], "Active");
  EXPECT_EQ(r.body["MemorySize"], 1024);
  EXPECT_NE(r.body["RevisionId"], revision);
  EXPECT_EQ(r.body["LastModified"], FormatLambdaTime(clock_.RealtimeMillis()));
  EXPECT_EQ(changed_, std::vector<std::string>{"cfg"});

  Reply get = Call("GET", "/2015-03-31/functions/cfg/configuration");
  EXPECT_EQ(get.body["LastUpdateStatus"], "Successful");
  EXPECT_EQ(get.body["Timeout"], 60);
  EXPECT_EQ(get.body["Description"], "tuned");
  EXPECT_EQ(get.body["Environment"]["Variables"]["MODE"], "fast");
  EXPECT_EQ(get.body["CodeSha256"], created.body["CodeSha256"]);
  auto entry = registry_->Get("cfg");
  EXPECT_GT(entry->latest->generation, generation);
  EXPECT_EQ(entry->latest->memory_mb, 1024);

  Reply stale = Call("PUT", "/2015-03-31/functions/cfg/configuration",
                     json{{"Timeout", 9}, {"RevisionId", revision}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.error_type(), "PreconditionFailedException");
  Reply invalid = Call("PUT", "/2015-03-31/functions/cfg/configuration",
                       json{{"Timeout", 0}, {"Description", "must not stick"}});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/cfg/configuration").body["Description"], "tuned");

  // An empty Variables map clears the environment.
  Reply cleared = Call("PUT", "/2015-03-31/functions/cfg/configuration",
                       json{{"Environment", {{"Variables", json::object()}}}});
  EXPECT_FALSE(cleared.body.contains("Environment"));
}

TEST_F(ControlApiTest, UpdateFunctionCode) {
  Reply created = Create("code");
  uint64_t generation = registry_->Get("code")->latest->generation;
  std::string old_dir = registry_->Get("code")->latest->code_dir;
  changed_.clear();
  std::string zip = BootstrapZip("#!/bin/sh\necho v2\n");
  Reply r = Call("PUT", "/2015-03-31/functions/code/code",
                 json{{"ZipFile", Base64Encode(zip)}, {"Architectures", {"arm64"}}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["LastUpdateStatus"], "InProgress");
  EXPECT_EQ(r.body["CodeSha256"], Sha256Base64(zip));
  EXPECT_EQ(r.body["Architectures"], json({"arm64"}));
  EXPECT_EQ(r.body["Version"], "$LATEST");
  auto entry = registry_->Get("code");
  EXPECT_GT(entry->latest->generation, generation);
  EXPECT_NE(entry->latest->code_dir, old_dir);
  EXPECT_TRUE(std::filesystem::exists(entry->latest->code_dir + "/bootstrap"));
  EXPECT_EQ(changed_, std::vector<std::string>{"code"});

  Reply published = Call(
      "PUT", "/2015-03-31/functions/code/code",
      json{{"ZipFile", Base64Encode(BootstrapZip("#!/bin/sh\necho v3\n"))}, {"Publish", true}});
  ASSERT_EQ(published.status, 200);
  EXPECT_EQ(published.body["Version"], "1");
  EXPECT_EQ(published.body["FunctionArn"], std::string(kArnPrefix) + "code:1");

  Reply stale = Call("PUT", "/2015-03-31/functions/code/code",
                     json{{"ZipFile", Base64Encode(zip)}, {"RevisionId", "nope"}});
  EXPECT_EQ(stale.status, 412);
  Reply bad = Call("PUT", "/2015-03-31/functions/code/code", json{{"ZipFile", Base64Encode("x")}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_type(), "InvalidParameterValueException");
  Reply none = Call("PUT", "/2015-03-31/functions/code/code", json::object());
  EXPECT_EQ(none.message(), "Please provide a source for function code.");
  Reply huge =
      Call("PUT", "/2015-03-31/functions/code/code", std::string(kMaxCodeRequestBytes + 1, ' '));
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(huge.message(),
            "Request must be smaller than 70167211 bytes for the UpdateFunctionCode operation");
}

TEST_F(ControlApiTest, CodeLocationIgnoresTheHostHeader) {
  std::string zip = BootstrapZip("#!/bin/sh\necho host\n");
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("hosted", zip)).status, 201);
  http::Headers forged;
  forged.Set("Host", "evil.example:666");
  Reply r = Call("GET", "/2015-03-31/functions/hosted", "", forged);
  ASSERT_EQ(r.status, 200) << r.raw;
  // Presigned, as S3's is: the query follows the path.
  std::string location = r.body["Code"]["Location"];
  EXPECT_TRUE(location.starts_with("http://127.0.0.1:" + std::to_string(server_->port()) +
                                   "/thaw/code/" + Sha256Hex(zip) + ".zip?X-Amz-Algorithm="))
      << location;
}

TEST_F(ControlApiTest, DryRunUpdateFunctionCodeStoresNothing) {
  Create("dry");
  auto before = registry_->Get("dry")->latest;
  std::string zip = BootstrapZip("#!/bin/sh\necho dry\n");
  Reply r = Call("PUT", "/2015-03-31/functions/dry/code",
                 json{{"ZipFile", Base64Encode(zip)}, {"DryRun", true}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["CodeSha256"], Sha256Base64(zip));
  EXPECT_EQ(r.body["CodeSize"], zip.size());
  EXPECT_FALSE(Stored(Sha256Hex(zip)));
  EXPECT_EQ(registry_->Get("dry")->latest, before);
  // Still validated: a zip that would be refused for real is refused.
  Reply bad =
      Call("PUT", "/2015-03-31/functions/dry/code",
           json{{"ZipFile", Base64Encode(MakeZip({{"a", "/tmp", 0120777}, {"a/x", "y", 0100644}}))},
                {"DryRun", true}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_type(), "InvalidParameterValueException");
  int entries = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir_.path() + "/code")) {
    ++entries;
  }
  EXPECT_EQ(entries, 3);  // the function's own zip, tree and marker
}

TEST_F(ControlApiTest, UnreferencedCodeIsReclaimed) {
  std::string a = BootstrapZip("#!/bin/sh\necho a\n");
  std::string a2 = BootstrapZip("#!/bin/sh\necho a2\n");
  std::string b = BootstrapZip("#!/bin/sh\necho b\n");
  std::string b2 = BootstrapZip("#!/bin/sh\necho b2\n");
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("fa", a)).status, 201);
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("fc", a)).status, 201);
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("fb", b)).status, 201);
  // fa moves on, but fc still uses a.
  ASSERT_EQ(
      Call("PUT", "/2015-03-31/functions/fa/code", json{{"ZipFile", Base64Encode(a2)}}).status,
      200);
  EXPECT_TRUE(Stored(Sha256Hex(a)));
  ASSERT_EQ(Call("DELETE", "/2015-03-31/functions/fc").status, 204);
  EXPECT_FALSE(Stored(Sha256Hex(a)));
  EXPECT_TRUE(std::filesystem::exists(registry_->Get("fa")->latest->code_dir + "/bootstrap"));
  // A published version keeps its code after $LATEST moves on, until it is deleted.
  ASSERT_EQ(Call("POST", "/2015-03-31/functions/fb/versions", json::object()).status, 201);
  ASSERT_EQ(
      Call("PUT", "/2015-03-31/functions/fb/code", json{{"ZipFile", Base64Encode(b2)}}).status,
      200);
  EXPECT_TRUE(Stored(Sha256Hex(b)));
  ASSERT_EQ(Call("DELETE", "/2015-03-31/functions/fb?Qualifier=1").status, 204);
  EXPECT_FALSE(Stored(Sha256Hex(b)));
  EXPECT_TRUE(Stored(Sha256Hex(b2)));
  ASSERT_EQ(Call("DELETE", "/2015-03-31/functions/fb").status, 204);
  EXPECT_FALSE(Stored(Sha256Hex(b2)));
  EXPECT_TRUE(Stored(Sha256Hex(a2)));
  // A refused create leaves nothing behind either (its code was stored before the check).
  json unknown_layer = CreateBody("fd", BootstrapZip("#!/bin/sh\necho d\n"));
  unknown_layer["Layers"] = {"arn:aws:lambda:us-east-1:000000000000:layer:none:1"};
  EXPECT_EQ(Call("POST", "/2015-03-31/functions", unknown_layer).status, 400);
  EXPECT_FALSE(Stored(Sha256Hex(BootstrapZip("#!/bin/sh\necho d\n"))));
}

TEST_F(ControlApiTest, CodeStillHeldByAnEnvironmentIsReclaimedOnlyAfterItsRelease) {
  std::string old_zip = BootstrapZip("#!/bin/sh\necho old\n");
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("held", old_zip)).status, 201);
  // What a running environment holds: the configuration it was started with.
  FunctionConfigPtr running = registry_->Get("held")->latest;
  ASSERT_EQ(Call("PUT", "/2015-03-31/functions/held/code",
                 json{{"ZipFile", Base64Encode(BootstrapZip("#!/bin/sh\necho new\n"))}})
                .status,
            200);
  EXPECT_TRUE(std::filesystem::exists(running->code_dir + "/bootstrap"));
  PumpUntil([] { return false; }, 300);
  EXPECT_TRUE(std::filesystem::exists(running->code_dir + "/bootstrap"));
  std::string old_dir = running->code_dir;
  running.reset();  // the environment is gone
  // The control thread looks again on its own (every 2 s by default).
  EXPECT_TRUE(PumpUntil([&] { return !Stored(Sha256Hex(old_zip)); }, 5000));
  EXPECT_FALSE(std::filesystem::exists(old_dir));
}

TEST_F(ControlApiTest, StartSweepsCodeNothingReferences) {
  Create("kept");
  std::string kept_dir = registry_->Get("kept")->latest->code_dir;
  std::string stray = dir_.path() + "/code/" + std::string(64, 'c');
  std::filesystem::create_directories(stray);
  std::filesystem::create_directories(dir_.path() + "/code/opt-" + std::string(64, 'd'));
  StartApi();
  EXPECT_FALSE(std::filesystem::exists(stray));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/code/opt-" + std::string(64, 'd')));
  EXPECT_TRUE(std::filesystem::exists(kept_dir + "/bootstrap"));
}

TEST_F(ControlApiTest, DeleteFunction) {
  Create("doomed");
  changed_.clear();
  Reply r = Call("DELETE", "/2015-03-31/functions/doomed");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.raw.empty());
  EXPECT_FALSE(registry_->Get("doomed").has_value());
  EXPECT_EQ(changed_, std::vector<std::string>{"doomed"});
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/doomed").status, 404);
  // The name is free again.
  Create("doomed");
}

TEST_F(ControlApiTest, InvalidUtf8InPathsIsAnsweredNotThrown) {
  Reply r = Call("GET", "/2015-03-31/functions/%FF%FE");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_type(), "ValidationException");
  EXPECT_FALSE(r.body.is_discarded()) << r.raw;
  Create("utf");
  Reply q = Call("GET", "/2015-03-31/functions/utf?Qualifier=%C3%28");
  EXPECT_EQ(q.status, 400);
  EXPECT_FALSE(q.body.is_discarded());
}

TEST_F(ControlApiTest, BodyOverServerLimitIs413) {
  // A server whose own body limit is tiny marks the request oversized without reading it.
  http::ServerOptions options;
  options.body_limit = 100;
  auto small = http::Server::Start(loop_, options, &front_);
  ASSERT_TRUE(small.ok());
  auto client = http::Client::Create("127.0.0.1:" + std::to_string((*small)->port()));
  ASSERT_TRUE(client.ok());
  std::swap(client_, *client);
  Reply r = Call("PUT", "/2015-03-31/functions/f/code", std::string(1000, ' '));
  std::swap(client_, *client);
  (*small)->Stop();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error_type(), "RequestEntityTooLargeException");
  EXPECT_EQ(r.message(),
            "Request must be smaller than 70167211 bytes for the UpdateFunctionCode operation");
  EXPECT_FALSE(std::string(r.headers.Get("x-amzn-RequestId").value_or("")).empty());
}

TEST_F(ControlApiTest, NonControlRoutesAreDeclined) {
  Create("inv");
  Reply invoke = Call("POST", "/2015-03-31/functions/inv/invocations", std::string("{}"));
  EXPECT_EQ(invoke.error_type(), "NotHandled");
  EXPECT_EQ(Call("GET", "/some/other/api").error_type(), "NotHandled");
  Reply wrong = Call("PATCH", "/2015-03-31/functions/inv");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.error_type(), "UnknownOperationException");
}

TEST_F(ControlApiTest, EachAccountHasItsOwnFunctions) {
  auto as = [](const std::string& account) {
    http::Headers h;
    h.Set("X-Test-Account", account);
    return h;
  };
  const std::string a = "111111111111", b = "222222222222";
  for (const std::string& account : {a, b}) {
    json body = CreateBody("fn");
    body["Description"] = "of " + account;
    Reply r = Call("POST", "/2015-03-31/functions", body.dump(), as(account));
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body["FunctionArn"], "arn:aws:lambda:us-east-1:" + account + ":function:fn");
    EXPECT_EQ(r.body["FunctionName"], "fn");
  }
  EXPECT_EQ(changed_, (std::vector<std::string>{a + ":function:fn", b + ":function:fn"}));
  // Each sees its own; 000000000000 sees none.
  Reply got = Call("GET", "/2015-03-31/functions/fn", "", as(b));
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["Configuration"]["Description"], "of " + b);
  Reply list = Call("GET", "/2015-03-31/functions/", "", as(a));
  ASSERT_EQ(list.body["Functions"].size(), 1u) << list.raw;
  EXPECT_EQ(list.body["Functions"][0]["Description"], "of " + a);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/").body["Functions"].size(), 0u);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/fn").status, 404);
  // Another account's function by ARN: refused, in AWS's words.
  const std::string arn_b = "arn:aws:lambda:us-east-1:" + b + ":function:fn";
  Reply denied = Call("GET", "/2015-03-31/functions/" + arn_b, "", as(a));
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.error_type(), "AccessDeniedException");
  EXPECT_EQ(denied.message(), "User: arn:aws:iam::" + a +
                                  ":root is not authorized to perform: lambda:GetFunction on "
                                  "resource: " +
                                  arn_b +
                                  " because no resource-based policy allows the "
                                  "lambda:GetFunction action");
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/" + arn_b, "", as(a)).status, 403);
  // Its own ARN is fine; deleting one account's fn leaves the other's.
  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/" + arn_b, "", as(b)).status, 204);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/fn", "", as(a)).status, 200);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/fn", "", as(b)).status, 404);
  // The registry has A's under its key, and a restart loads it there.
  EXPECT_TRUE(registry_->Get(a + ":function:fn").has_value());
  StartApi();
  EXPECT_EQ(registry_->Resolve("fn", "", a).value().config->description, "of " + a);
  EXPECT_FALSE(registry_->Resolve("fn", "", b).ok());
}

}  // namespace
}  // namespace thaw::lambda
