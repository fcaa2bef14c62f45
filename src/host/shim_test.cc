#include "host/shim.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::host {
namespace {

using ::testing::HasSubstr;

// The fake library: what the last call received, what the next one returns.
struct FakeState {
  int code = 0;
  std::string out;
  bool null_out = false;
  std::string ctx;
  std::string event;
  int freed = 0;
};
FakeState fake;

char* Copy(const std::string& s) {
  char* p = new char[s.size()];
  memcpy(p, s.data(), s.size());
  return p;
}

int FakeInvoke(const char* ctx, size_t ctx_len, const char* event, size_t event_len, char** out,
               size_t* out_len) {
  fake.ctx.assign(ctx, ctx_len);
  fake.event.assign(event, event_len);
  *out = fake.null_out ? nullptr : Copy(fake.out);
  *out_len = fake.null_out ? 0 : fake.out.size();
  return fake.code;
}

int FakeInit(char** out, size_t* out_len) {
  *out = Copy(fake.out);
  *out_len = fake.out.size();
  return fake.code;
}

void FakeFree(char* p) {
  ++fake.freed;
  delete[] p;
}

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake = FakeState{};
    std::string tmpl = (std::filesystem::temp_directory_path() / "shim_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ShimMechanism> MakeFake(bool with_init = false) {
    return ShimMechanism::ForTest({with_init ? FakeInit : nullptr, FakeInvoke, FakeFree});
  }

  std::filesystem::path dir_;
};

TEST_F(ShimTest, ContextJsonCarriesTheHeaders) {
  Invocation inv;
  inv.request_id = "r1";
  inv.deadline_ms = 1700000000123;
  inv.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
  inv.trace_id = "Root=1-2-3";
  inv.client_context = R"({"custom":{"a":"b"}})";
  EXPECT_EQ(ShimContextJson(inv),
            R"({"requestId":"r1","deadlineMs":1700000000123,)"
            R"("invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:f",)"
            R"("traceId":"Root=1-2-3","clientContext":"{\"custom\":{\"a\":\"b\"}}",)"
            R"("cognitoIdentity":""})");
}

TEST_F(ShimTest, ContextJsonReplacesInvalidUtf8) {
  Invocation inv;
  inv.request_id = "r\xff";
  auto j = nlohmann::json::parse(ShimContextJson(inv));
  EXPECT_EQ(j["requestId"], "r\xEF\xBF\xBD");
}

TEST_F(ShimTest, MissingFileSaysWhereItLooked) {
  ShimMechanism m((dir_ / "handler.so").string());
  Status s = m.Init();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("handler.so does not exist"));
  EXPECT_THAT(s.message(), HasSubstr("-buildmode=c-shared"));
  EXPECT_EQ(m.InitErrorType(), "Runtime.InvalidEntrypoint");
}

TEST_F(ShimTest, NotAnElfFileIsNamed) {
  std::ofstream(dir_ / "handler.so") << "#!/bin/sh\n";
  ShimMechanism m((dir_ / "handler.so").string());
  Status s = m.Init();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              HasSubstr("cannot load handler.so as a shared object: it is not an ELF file"));
  EXPECT_THAT(s.message(), HasSubstr("GOARCH="));
  EXPECT_EQ(m.InitErrorType(), "Runtime.InvalidEntrypoint");
}

TEST_F(ShimTest, WrongArchitectureIsNamed) {
  // glibc's dlerror calls this "No such file or directory"; the ELF header tells the truth.
  unsigned char header[EI_NIDENT + 4] = {ELFMAG0,    ELFMAG1,     ELFMAG2,   ELFMAG3,
                                         ELFCLASS64, ELFDATA2LSB, EV_CURRENT};
  header[EI_NIDENT] = ET_DYN;
  int other = EM_X86_64;
#if defined(__x86_64__)
  other = EM_AARCH64;
#endif
  header[EI_NIDENT + 2] = static_cast<unsigned char>(other);
  std::ofstream(dir_ / "handler.so").write(reinterpret_cast<char*>(header), sizeof header);
  ShimMechanism m((dir_ / "handler.so").string());
  Status s = m.Init();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(other == EM_AARCH64 ? "it is built for arm64, not amd64"
                                                         : "it is built for amd64, not "));
}

TEST_F(ShimTest, LibraryWithoutTheSymbolSaysHowToBuildIt) {
  // libc is a real shared object that exports no thaw_shim_invoke.
  Dl_info info;
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&getenv), &info), 0);
  ShimMechanism m(info.dli_fname);
  Status s = m.Init();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("does not export thaw_shim_invoke; build it from a main "
                                     "package with //export thaw_shim_invoke and "
                                     "-buildmode=c-shared (see docs/shim-abi.md)"));
  EXPECT_EQ(m.InitErrorType(), "Runtime.InvalidEntrypoint");
}

TEST_F(ShimTest, InitFailureUsesTheLibrarysError) {
  fake.code = 1;
  fake.out = R"({"errorMessage":"no config","errorType":"ConfigError"})";
  auto m = MakeFake(/*with_init=*/true);
  Status s = m->Init();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "no config");
  EXPECT_EQ(m->InitErrorType(), "ConfigError");
  EXPECT_EQ(fake.freed, 1);
}

TEST_F(ShimTest, ResponsePassesThrough) {
  fake.out = "{\"ok\":true}\n";
  auto m = MakeFake();
  ASSERT_TRUE(m->Init().ok());
  Invocation inv;
  inv.request_id = "r1";
  inv.payload = R"({"action":"echo"})";
  Outcome o = m->Invoke(inv);
  EXPECT_EQ(o.kind, Outcome::Kind::kResponse);
  EXPECT_EQ(o.body, fake.out);
  EXPECT_EQ(fake.event, inv.payload);
  EXPECT_EQ(fake.ctx, ShimContextJson(inv));
  EXPECT_EQ(fake.freed, 1);
}

TEST_F(ShimTest, NullOutIsAnEmptyResponse) {
  fake.null_out = true;
  Outcome o = MakeFake()->Invoke(Invocation{});
  EXPECT_EQ(o.kind, Outcome::Kind::kResponse);
  EXPECT_EQ(o.body, "");
  EXPECT_EQ(fake.freed, 0);
}

TEST_F(ShimTest, FunctionErrorTakesItsErrorType) {
  fake.code = kShimError;
  fake.out = R"({"errorMessage":"m","errorType":"errorString"})";
  Outcome o = MakeFake()->Invoke(Invocation{});
  EXPECT_EQ(o.kind, Outcome::Kind::kError);
  EXPECT_EQ(o.body, fake.out);
  EXPECT_EQ(o.error_type, "errorString");
}

TEST_F(ShimTest, PanicExitsWithStatusOne) {
  fake.code = kShimErrorThenExit;
  fake.out = R"({"errorMessage":"boom","errorType":"string","stackTrace":[]})";
  Outcome o = MakeFake()->Invoke(Invocation{});
  EXPECT_EQ(o.kind, Outcome::Kind::kErrorThenExit);
  EXPECT_EQ(o.body, fake.out);
  EXPECT_EQ(o.error_type, "string");
  EXPECT_TRUE(WIFEXITED(o.wait_status));
  EXPECT_EQ(WEXITSTATUS(o.wait_status), 1);
}

TEST_F(ShimTest, UnknownCodeEndsTheHost) {
  fake.code = 7;
  fake.out = "garbage";
  Outcome o = MakeFake()->Invoke(Invocation{});
  EXPECT_EQ(o.kind, Outcome::Kind::kErrorThenExit);
  EXPECT_EQ(o.error_type, "Runtime.InvalidEntrypoint");
  EXPECT_THAT(o.body, HasSubstr("thaw_shim_invoke returned 7, not 0, 1 or 2"));
  EXPECT_EQ(WEXITSTATUS(o.wait_status), 1);
  EXPECT_EQ(fake.freed, 1);
}

}  // namespace
}  // namespace thaw::host
