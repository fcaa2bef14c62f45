#include "cli/client_util.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "base/codec.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

// ---- Helpers ---------------------------------------------------------------------------------

http::Response MakeResponse(int status, std::string body,
                            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  for (const auto& [k, v] : headers) r.headers.Set(k, v);
  return r;
}

// Answers scripted requests in order and records what was sent.
class FakeClient final : public http::Client {
 public:
  struct Call {
    std::string method;
    std::string target;
    std::string body;
    http::Headers headers;
    int64_t timeout_ms = 0;
  };

  void Expect(std::string method, std::string target, http::Response response) {
    script_.push_back({std::move(method), std::move(target), std::move(response)});
  }
  void ExpectUnavailable() { unavailable_ = true; }

  StatusOr<http::Response> Do(const std::string& method, const std::string& target,
                              const http::Headers& headers, const std::string& body,
                              int64_t timeout_ms) override {
    calls.push_back({method, target, body, headers, timeout_ms});
    if (unavailable_) return Status::Unavailable("cannot connect to thaw at 127.0.0.1:1");
    if (script_.empty()) return Status::Internal("unexpected " + method + " " + target);
    Step step = std::move(script_.front());
    script_.pop_front();
    EXPECT_EQ(step.method, method);
    EXPECT_EQ(step.target, target);
    return step.response;
  }

  bool Done() const { return script_.empty(); }
  std::vector<Call> calls;

 private:
  struct Step {
    std::string method;
    std::string target;
    http::Response response;
  };
  std::deque<Step> script_;
  bool unavailable_ = false;
};

struct ZipFileInfo {
  std::string name;
  std::string data;
  uint8_t opsys = 0;
  uint32_t attributes = 0;
};

// Reads an archive back with libzip.
std::vector<ZipFileInfo> ReadZip(const std::string& bytes) {
  std::vector<ZipFileInfo> out;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  EXPECT_NE(source, nullptr);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  EXPECT_NE(archive, nullptr) << zip_error_strerror(&error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return out;
  }
  zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    auto index = static_cast<zip_uint64_t>(i);
    ZipFileInfo info;
    info.name = zip_get_name(archive, index, 0);
    zip_file_get_external_attributes(archive, index, 0, &info.opsys, &info.attributes);
    zip_stat_t st;
    zip_stat_index(archive, index, 0, &st);
    info.data.resize(st.size);
    zip_file_t* file = zip_fopen_index(archive, index, 0);
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(zip_fread(file, info.data.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(file);
    out.push_back(std::move(info));
  }
  zip_close(archive);
  return out;
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/client_util_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void WriteFile(const std::string& name, const std::string& text, mode_t mode = 0644) {
    std::ofstream(dir_ + "/" + name) << text;
    ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), mode), 0);
  }
  std::string dir_;
};

// ---- Zip -------------------------------------------------------------------------------------

TEST(BuildZipTest, RoundTripKeepsBytesAndExecutableMode) {
  std::string binary(200'000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) % 251);
  StatusOr<std::string> zip = BuildZip({ZipEntry{"bootstrap", binary, 0755}});
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  std::vector<ZipFileInfo> files = ReadZip(*zip);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "bootstrap");
  EXPECT_EQ(files[0].data, binary);
  EXPECT_EQ(files[0].opsys, ZIP_OPSYS_UNIX);
  EXPECT_EQ(files[0].attributes >> 16, static_cast<uint32_t>(S_IFREG | 0755));
}

TEST(BuildZipTest, SeveralEntriesKeepTheirModes) {
  StatusOr<std::string> zip = BuildZip(
      {ZipEntry{"bootstrap", "#!/bin/sh\n", 0755}, ZipEntry{"lib/data.txt", "hello", 0644}});
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  std::vector<ZipFileInfo> files = ReadZip(*zip);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].name, "lib/data.txt");
  EXPECT_EQ(files[1].data, "hello");
  EXPECT_EQ((files[1].attributes >> 16) & 07777, 0644u);
}

TEST(BuildZipTest, IsDeterministic) {
  std::vector<ZipEntry> entries = {ZipEntry{"bootstrap", std::string(5000, 'x'), 0755}};
  StatusOr<std::string> first = BuildZip(entries);
  StatusOr<std::string> second = BuildZip(entries);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Sha256Base64(*first), Sha256Base64(*second));
}

TEST(BuildZipTest, EmptyFileAndNoEntries) {
  StatusOr<std::string> zip = BuildZip({ZipEntry{"empty", "", 0644}});
  ASSERT_TRUE(zip.ok());
  std::vector<ZipFileInfo> files = ReadZip(*zip);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].data, "");
  EXPECT_EQ(BuildZip({}).status().code(), StatusCode::kInvalidArgument);
}

// ---- Errors ----------------------------------------------------------------------------------

TEST(AwsErrorTest, HeaderWithNamespaceAndBodyMessage) {
  http::Response r = MakeResponse(
      404,
      R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:foo"})",
      {{"x-amzn-ErrorType",
        "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/"}});
  AwsError error = ParseAwsError(r);
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.type, "ResourceNotFoundException");
  EXPECT_EQ(FormatAwsError(error),
            "ResourceNotFoundException: Function not found: "
            "arn:aws:lambda:us-east-1:000000000000:function:foo (HTTP 404)");
}

TEST(AwsErrorTest, HashPrefixAndLowercaseMessage) {
  http::Response r = MakeResponse(
      429,
      R"({"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."})",
      {{"X-Amzn-ErrorType", "aws.lambda#TooManyRequestsException"}});
  EXPECT_EQ(FormatAwsError(ParseAwsError(r)),
            "TooManyRequestsException: Rate Exceeded. (HTTP 429)");
}

TEST(AwsErrorTest, FallsBackToBodyTypeAndRawText) {
  EXPECT_EQ(FormatAwsError(ParseAwsError(MakeResponse(
                400, R"({"__type":"ns#InvalidParameterValueException","message":"bad"})"))),
            "InvalidParameterValueException: bad (HTTP 400)");
  EXPECT_EQ(FormatAwsError(ParseAwsError(MakeResponse(502, "Bad Gateway\nfrom proxy\n"))),
            "Bad Gateway from proxy (HTTP 502)");
  EXPECT_EQ(FormatAwsError(ParseAwsError(MakeResponse(500, ""))),
            "empty error response (HTTP 500)");
}

TEST(AwsErrorTest, LongBodiesAreShortenedToOneLine) {
  std::string message = FormatAwsError(ParseAwsError(MakeResponse(500, std::string(5000, 'e'))));
  EXPECT_LT(message.size(), 400u);
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(AwsErrorTest, ResponseStatusCodesAndExitCodes) {
  EXPECT_TRUE(ResponseStatus(MakeResponse(200, "{}")).ok());
  EXPECT_TRUE(ResponseStatus(MakeResponse(204, "")).ok());
  EXPECT_EQ(ResponseStatus(MakeResponse(404, "")).code(), StatusCode::kNotFound);
  EXPECT_EQ(ResponseStatus(MakeResponse(400, "")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResponseStatus(MakeResponse(409, "")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ResponseStatus(MakeResponse(429, "")).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ResponseStatus(MakeResponse(500, "")).code(), StatusCode::kInternal);

  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(ExitCodeFor(Status::Unavailable("down")), kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(ResponseStatus(MakeResponse(400, ""))), kExitFailure);
  EXPECT_EQ(ExitCodeFor(ResponseStatus(MakeResponse(503, ""))), kExitFailure);
}

TEST(AwsErrorTest, ReportErrorSetsExitCode) {
  CommandContext ctx;
  ReportError(ctx, "test", Status::Unavailable("down"));
  EXPECT_EQ(ctx.exit_code, kExitUnavailable);
  ReportError(ctx, "test", Status::InvalidArgument("bad"), kExitUsage);
  EXPECT_EQ(ctx.exit_code, kExitUsage);
}

// ---- REST calls ------------------------------------------------------------------------------

TEST(RestTest, FunctionTargetEncodes) {
  EXPECT_EQ(FunctionTarget("fn"), "/2015-03-31/functions/fn");
  EXPECT_EQ(FunctionTarget("fn", "/invocations", "$LATEST"),
            "/2015-03-31/functions/fn/invocations?Qualifier=%24LATEST");
  EXPECT_EQ(FunctionTarget("fn:prod", "/configuration"),
            "/2015-03-31/functions/fn%3Aprod/configuration");
}

TEST(RestTest, CallJsonSendsJsonAndDecodesErrors) {
  FakeClient client;
  client.Expect("POST", "/x", MakeResponse(201, R"({"ok":true})"));
  client.Expect("GET", "/y",
                MakeResponse(409, R"({"Type":"User","Message":"update in progress"})",
                             {{"x-amzn-ErrorType", "ResourceConflictException"}}));
  client.Expect("GET", "/z", MakeResponse(200, "not json"));
  json body = {{"a", 1}};
  StatusOr<json> ok = CallJson(client, "POST", "/x", &body);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["ok"], true);
  EXPECT_EQ(client.calls[0].body, R"({"a":1})");
  EXPECT_EQ(client.calls[0].headers.Get("content-type"), "application/json");
  EXPECT_EQ(client.calls[0].timeout_ms, kControlTimeoutMs);

  StatusOr<json> conflict = CallJson(client, "GET", "/y");
  EXPECT_EQ(conflict.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(conflict.status().message(),
            "ResourceConflictException: update in progress (HTTP 409)");
  EXPECT_EQ(CallJson(client, "GET", "/z").status().code(), StatusCode::kInternal);
}

TEST(RestTest, UnreachableServerIsUnavailable) {
  FakeClient client;
  client.ExpectUnavailable();
  StatusOr<json> r = CallJson(client, "GET", "/x");
  EXPECT_EQ(ExitCodeFor(r.status()), kExitUnavailable);
}

TEST(RestTest, ConnectRejectsBadEndpoint) {
  EXPECT_TRUE(Connect("http://127.0.0.1:9001").ok());
  EXPECT_FALSE(Connect("http://").ok());
}

// ---- JSON ------------------------------------------------------------------------------------

TEST(JsonTest, GettersNeverThrow) {
  json object = {{"s", "v"}, {"n", 5}, {"f", 1.5}};
  EXPECT_EQ(JsonString(object, "s"), "v");
  EXPECT_EQ(JsonString(object, "n"), "");
  EXPECT_EQ(JsonString(object, "missing"), "");
  EXPECT_EQ(JsonString(json::array({1}), "s"), "");
  EXPECT_EQ(JsonString(json(), "s"), "");
  EXPECT_EQ(JsonInt(object, "n"), 5);
  EXPECT_EQ(JsonInt(object, "f", -1), -1);
  EXPECT_EQ(JsonInt(json("str"), "n", 7), 7);
}

TEST(JsonTest, DumpReplacesInvalidUtf8) {
  json value = {{"k", std::string("bad\xff")}};
  EXPECT_EQ(DumpJson(value), "{\"k\":\"bad\xEF\xBF\xBD\"}");
  EXPECT_EQ(DumpJson(json::object({{"a", 1}}), 2), "{\n  \"a\": 1\n}");
}

// ---- Arguments -------------------------------------------------------------------------------

TEST(ArgumentsTest, ParseEnvFlags) {
  StatusOr<EnvVars> vars = ParseEnvFlags({"AB=1", "b_2=x=y", "EMPTY="});
  ASSERT_TRUE(vars.ok());
  EXPECT_EQ(*vars, (EnvVars{{"AB", "1"}, {"b_2", "x=y"}, {"EMPTY", ""}}));
  EXPECT_TRUE(ParseEnvFlags({}).ok());
  for (const char* bad : {"NOVALUE", "=v", "A=v", "1A=v", "_AB=v", "A-B=v", "A B=v"}) {
    StatusOr<EnvVars> r = ParseEnvFlags({bad});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
}

TEST(ArgumentsTest, FunctionNames) {
  EXPECT_TRUE(IsValidFunctionName("hello-world_2"));
  EXPECT_FALSE(IsValidFunctionName(""));
  EXPECT_FALSE(IsValidFunctionName("my.fn"));
  EXPECT_FALSE(IsValidFunctionName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidFunctionName(std::string(64, 'a')));

  EXPECT_EQ(DefaultFunctionName("/srv/functions/echo"), "echo");
  EXPECT_EQ(DefaultFunctionName("/srv/functions/echo/"), "echo");
  EXPECT_EQ(DefaultFunctionName("/srv/functions/echo/./"), "echo");
  EXPECT_EQ(DefaultFunctionName("."), std::filesystem::current_path().filename().string());
}

TEST_F(TempDirTest, ReadFileOrStdin) {
  WriteFile("payload.json", R"({"x":1})");
  StatusOr<std::string> text = ReadFileOrStdin(dir_ + "/payload.json");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, R"({"x":1})");
  EXPECT_EQ(ReadFileOrStdin(dir_ + "/missing").status().code(), StatusCode::kNotFound);
}

// ---- Processes and the Go toolchain ----------------------------------------------------------

TEST_F(TempDirTest, RunProcessCapturesOutputCwdAndEnv) {
  StatusOr<ProcessResult> env = RunProcess({"/usr/bin/env"}, {"ONLY=1"}, "");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->exit_code, 0);
  EXPECT_EQ(env->output, "ONLY=1\n");

  StatusOr<ProcessResult> pwd = RunProcess({"/bin/pwd"}, {}, dir_);
  ASSERT_TRUE(pwd.ok());
  EXPECT_EQ(pwd->output, std::filesystem::canonical(dir_).string() + "\n");

  StatusOr<ProcessResult> ls = RunProcess({"/bin/ls", dir_ + "/missing"}, {}, "");
  ASSERT_TRUE(ls.ok());
  EXPECT_NE(ls->exit_code, 0);
  EXPECT_NE(ls->output.find("missing"), std::string::npos);  // stderr is captured too

  EXPECT_FALSE(RunProcess({dir_ + "/no-such-binary"}, {}, "").ok());
}

TEST(ProcessTest, MergeEnvironmentOverrides) {
  ::setenv("THAW_TEST_MERGE", "old", 1);
  std::vector<std::string> env = MergeEnvironment({"THAW_TEST_MERGE=new", "THAW_TEST_ADDED=1"});
  int merged = 0;
  for (const std::string& var : env) {
    if (var.rfind("THAW_TEST_MERGE=", 0) == 0) {
      ++merged;
      EXPECT_EQ(var, "THAW_TEST_MERGE=new");
    }
  }
  EXPECT_EQ(merged, 1);
  EXPECT_NE(std::find(env.begin(), env.end(), "THAW_TEST_ADDED=1"), env.end());
  ::unsetenv("THAW_TEST_MERGE");
}

TEST_F(TempDirTest, FindGoToolchainSearchesPath) {
  ASSERT_EQ(::mkdir((dir_ + "/a").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/b").c_str(), 0755), 0);
  WriteFile("a/go", "not executable", 0644);
  WriteFile("b/go", "#!/bin/true\n", 0755);
  StatusOr<std::string> go = FindGoToolchain("::" + dir_ + "/a:" + dir_ + "/b");
  ASSERT_TRUE(go.ok());
  EXPECT_EQ(*go, dir_ + "/b/go");

  StatusOr<std::string> fallback = FindGoToolchain(dir_ + "/a");
  if (fallback.ok()) {
    EXPECT_EQ(*fallback, "/usr/local/go/bin/go");
  } else {
    EXPECT_EQ(fallback.status().message(), "Go toolchain not found; install golang-go");
  }
}

TEST(ProcessTest, GoArch) {
  EXPECT_EQ(GoArch("x86_64"), "amd64");
  EXPECT_EQ(GoArch("arm64"), "arm64");
  EXPECT_EQ(GoArch("amd64"), std::nullopt);
}

bool HaveGo() {
  const char* path = std::getenv("PATH");
  return FindGoToolchain(path ? path : "").ok();
}

TEST_F(TempDirTest, GoBuildFailureCarriesCompilerOutput) {
  if (!HaveGo()) GTEST_SKIP() << "no Go toolchain";
  WriteFile("go.mod", "module broken\n\ngo 1.19\n");
  WriteFile("main.go", "package main\n\nfunc main() { undefinedThing() }\n");
  StatusOr<std::string> zip = BuildGoBootstrapZip(dir_, "x86_64");
  ASSERT_EQ(zip.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(zip.status().message().find("undefinedThing"), std::string::npos)
      << zip.status().message();
  EXPECT_EQ(BuildGoBootstrapZip(dir_, "sparc").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TempDirTest, GoBuildProducesStaticLinuxBootstrap) {
  if (!HaveGo()) GTEST_SKIP() << "no Go toolchain";
  WriteFile("go.mod", "module hello\n\ngo 1.19\n");
  WriteFile("main.go", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(0) }\n");
  for (const char* arch : {"x86_64", "arm64"}) {
    StatusOr<std::string> zip = BuildGoBootstrapZip(dir_, arch);
    ASSERT_TRUE(zip.ok()) << zip.status().ToString();
    std::vector<ZipFileInfo> files = ReadZip(*zip);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].name, "bootstrap");
    EXPECT_EQ((files[0].attributes >> 16) & 07777, 0755u);
    ASSERT_GT(files[0].data.size(), 20u);
    EXPECT_EQ(files[0].data.substr(0, 4),
              "\x7f"
              "ELF");
    // e_machine: 62 = x86-64, 183 = AArch64 (little-endian at offset 18).
    auto machine = static_cast<unsigned char>(files[0].data[18]);
    EXPECT_EQ(machine, std::string(arch) == "x86_64" ? 62 : 183) << arch;
  }
}

// ---- Deploy ----------------------------------------------------------------------------------

constexpr char kFn[] = "/2015-03-31/functions/hello";

std::string Settled() {
  return R"({"FunctionName":"hello","State":"Active","LastUpdateStatus":"Successful"})";
}

TEST(DeployTest, FindFunctionDistinguishesMissing) {
  FakeClient client;
  client.Expect("GET", kFn,
                MakeResponse(404, R"({"Type":"User","Message":"Function not found"})",
                             {{"x-amzn-ErrorType", "ResourceNotFoundException"}}));
  client.Expect(
      "GET", kFn,
      MakeResponse(200, R"({"Configuration":{"FunctionName":"hello","Architectures":["arm64"]}})"));
  client.Expect("GET", kFn,
                MakeResponse(500, R"({"Type":"Service","Message":"boom"})",
                             {{"x-amzn-ErrorType", "ServiceException"}}));
  StatusOr<std::optional<json>> missing = FindFunction(client, "hello");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  StatusOr<std::optional<json>> found = FindFunction(client, "hello");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(ResolveArchitecture(std::nullopt, *found), "arm64");
  EXPECT_EQ(ResolveArchitecture("x86_64", *found), "x86_64");
  EXPECT_EQ(ResolveArchitecture(std::nullopt, std::nullopt), "x86_64");
  EXPECT_EQ(FindFunction(client, "hello").status().message(), "ServiceException: boom (HTTP 500)");
}

TEST(DeployTest, CreatesWhenMissing) {
  FakeClient client;
  client.Expect("POST", "/2015-03-31/functions",
                MakeResponse(201, R"({"FunctionName":"hello","CodeSha256":"abc=","CodeSize":42,)"
                                  R"("State":"Pending"})"));
  client.Expect("GET", std::string(kFn) + "/configuration",
                MakeResponse(200, R"({"State":"Pending","LastUpdateStatus":"InProgress"})"));
  client.Expect("GET", std::string(kFn) + "/configuration", MakeResponse(200, Settled()));
  DeploySpec spec;
  spec.name = "hello";
  spec.zip = "ZIPBYTES";
  spec.memory_mb = 256;
  spec.environment = EnvVars{{"AB", "1"}};
  spec.architecture = "arm64";
  spec.poll_interval_ms = 0;
  std::ostringstream progress;
  StatusOr<DeployResult> result = DeployFunction(client, spec, std::nullopt, &progress);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(client.Done());
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->code_sha256, "abc=");
  EXPECT_EQ(result->code_size, 42);
  EXPECT_EQ(result->version, "$LATEST");
  EXPECT_EQ(FormatDeploySummary("hello", *result),
            "deployed hello (created): CodeSha256=abc= CodeSize=42 Version=$LATEST");

  json body = json::parse(client.calls[0].body);
  EXPECT_EQ(body["FunctionName"], "hello");
  EXPECT_EQ(body["Runtime"], "provided.al2023");
  EXPECT_EQ(body["Role"], kLocalRole);
  EXPECT_EQ(body["Handler"], "bootstrap");
  EXPECT_EQ(body["Code"]["ZipFile"], Base64Encode("ZIPBYTES"));
  EXPECT_EQ(body["MemorySize"], 256);
  EXPECT_FALSE(body.contains("Timeout"));
  EXPECT_EQ(body["Environment"]["Variables"]["AB"], "1");
  EXPECT_EQ(body["Architectures"], json::array({"arm64"}));
  EXPECT_NE(progress.str().find("creating function hello"), std::string::npos);
}

TEST(DeployTest, UpdatesCodeThenConfigurationThenPublishes) {
  FakeClient client;
  std::string config_target = std::string(kFn) + "/configuration";
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect(
      "PUT", std::string(kFn) + "/code",
      MakeResponse(200, R"({"CodeSha256":"new=","CodeSize":7,"LastUpdateStatus":"InProgress"})"));
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect("PUT", config_target, MakeResponse(200, Settled()));
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect("POST", std::string(kFn) + "/versions", MakeResponse(201, R"({"Version":"3"})"));
  DeploySpec spec;
  spec.name = "hello";
  spec.zip = "Z";
  spec.timeout_s = 30;
  spec.runtime = "provided.al2";
  spec.runtime_given = true;
  spec.publish = true;
  spec.poll_interval_ms = 0;
  StatusOr<DeployResult> result = DeployFunction(client, spec, json::object(), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(client.Done());
  EXPECT_FALSE(result->created);
  EXPECT_EQ(FormatDeploySummary("hello", *result),
            "deployed hello (updated): CodeSha256=new= CodeSize=7 Version=3");
  EXPECT_EQ(json::parse(client.calls[1].body), json({{"ZipFile", Base64Encode("Z")}}));
  EXPECT_EQ(json::parse(client.calls[3].body),
            json({{"Timeout", 30}, {"Runtime", "provided.al2"}}));
}

TEST(DeployTest, CodeOnlyUpdateSkipsConfiguration) {
  FakeClient client;
  std::string config_target = std::string(kFn) + "/configuration";
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect("PUT", std::string(kFn) + "/code", MakeResponse(200, R"({"CodeSha256":"s"})"));
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  DeploySpec spec;
  spec.name = "hello";
  spec.zip = "Z";
  spec.poll_interval_ms = 0;
  StatusOr<DeployResult> result = DeployFunction(client, spec, json::object(), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(client.Done());
  EXPECT_EQ(result->code_size, 1);  // falls back to the zip's size
}

TEST(DeployTest, FailedStateAndStuckUpdateAreErrors) {
  FakeClient client;
  std::string config_target = std::string(kFn) + "/configuration";
  client.Expect("POST", "/2015-03-31/functions", MakeResponse(201, R"({"CodeSha256":"s"})"));
  client.Expect("GET", config_target,
                MakeResponse(200, R"({"State":"Failed","StateReason":"bad zip"})"));
  DeploySpec spec;
  spec.name = "hello";
  spec.poll_interval_ms = 0;
  StatusOr<DeployResult> failed = DeployFunction(client, spec, std::nullopt, nullptr);
  EXPECT_EQ(failed.status().message(), "function hello failed: bad zip");

  FakeClient stuck;
  spec.max_polls = 2;
  stuck.Expect("GET", config_target, MakeResponse(200, R"({"LastUpdateStatus":"InProgress"})"));
  stuck.Expect("GET", config_target, MakeResponse(200, R"({"LastUpdateStatus":"InProgress"})"));
  StatusOr<DeployResult> r = DeployFunction(stuck, spec, json::object(), nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("thaw get hello"), std::string::npos);
}

TEST(DeployTest, ServiceErrorStopsTheDeploy) {
  FakeClient client;
  client.Expect(
      "POST", "/2015-03-31/functions",
      MakeResponse(
          413,
          R"({"Type":"User","Message":"Request must be smaller than 70167211 bytes for the CreateFunction operation"})",
          {{"x-amzn-ErrorType", "RequestEntityTooLargeException"}}));
  DeploySpec spec;
  spec.name = "hello";
  StatusOr<DeployResult> r = DeployFunction(client, spec, std::nullopt, nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ExitCodeFor(r.status()), kExitFailure);
  EXPECT_EQ(client.calls.size(), 1u);
}

// ---- Listing ---------------------------------------------------------------------------------

TEST(ListTest, FollowsNextMarker) {
  FakeClient client;
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50",
                MakeResponse(200, R"({"Functions":[{"FunctionName":"b"}],"NextMarker":"m 1"})"));
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50&Marker=m%201",
                MakeResponse(200, R"({"Functions":[{"FunctionName":"a"}],"NextMarker":""})"));
  StatusOr<std::vector<json>> functions = ListAllFunctions(client);
  ASSERT_TRUE(functions.ok()) << functions.status().ToString();
  ASSERT_EQ(functions->size(), 2u);
  EXPECT_TRUE(client.Done());
}

TEST(ListTest, RepeatedMarkerIsAnError) {
  FakeClient client;
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50",
                MakeResponse(200, R"({"Functions":[],"NextMarker":"x"})"));
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50&Marker=x",
                MakeResponse(200, R"({"Functions":[],"NextMarker":"x"})"));
  EXPECT_EQ(ListAllFunctions(client).status().code(), StatusCode::kInternal);
}

TEST(ListTest, FormatsAlignedSortedTable) {
  std::vector<json> functions = {
      json::parse(R"({"FunctionName":"zeta","Runtime":"provided.al2023","MemorySize":1024,)"
                  R"("Timeout":900,"LastModified":"2024-12-28T19:04:46.553+0000"})"),
      json::parse(R"({"FunctionName":"a","MemorySize":128})")};
  EXPECT_EQ(FormatFunctionTable(functions),
            "NAME  RUNTIME          MEMORY   TIMEOUT  LAST MODIFIED\n"
            "a     -                128 MB   -        -\n"
            "zeta  provided.al2023  1024 MB  900 s    2024-12-28T19:04:46.553+0000\n");
}

TEST(ListTest, FormatTableTrimsTrailingSpaces) {
  EXPECT_EQ(FormatTable({{"A", "B"}, {"long", ""}}), "A     B\nlong\n");
  EXPECT_EQ(FormatTable({}), "");
}

TEST(PrintTest, PrintLineAddsOneNewline) {
  std::ostringstream out;
  PrintLine(out, "a");
  PrintLine(out, "b\n");
  PrintLine(out, "");
  EXPECT_EQ(out.str(), "a\nb\n");
}

}  // namespace
}  // namespace thaw::cli
