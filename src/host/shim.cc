#include "host/shim.h"

#include <dlfcn.h>
#include <elf.h>
#include <string.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/lambda_error.h"
#include "host/process.h"

namespace thaw::host {

namespace {

#if defined(__x86_64__)
constexpr const char* kGoArch = "amd64";
constexpr int kElfMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr const char* kGoArch = "arm64";
constexpr int kElfMachine = EM_AARCH64;
#else
constexpr const char* kGoArch = "this machine's GOARCH";
constexpr int kElfMachine = EM_NONE;
#endif

constexpr const char* kSeeDoc = " (see docs/shim-abi.md)";

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Why path cannot be this machine's library, when its header tells: glibc's dlerror says "No such
// file or directory" for a library of another architecture. Empty when the header looks right.
std::string ElfProblem(const std::string& path) {
  unsigned char h[EI_NIDENT + 4] = {};  // e_ident, e_type, e_machine
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() != static_cast<std::streamsize>(sizeof h) || memcmp(h, ELFMAG, SELFMAG) != 0) {
    return "it is not an ELF file";
  }
  bool big_endian = h[EI_DATA] == ELFDATA2MSB;
  int machine = big_endian ? h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3]
                           : h[EI_NIDENT + 3] << 8 | h[EI_NIDENT + 2];
  if (machine == kElfMachine) return "";
  switch (machine) {
    case EM_X86_64:
      return "it is built for amd64, not " + std::string(kGoArch);
    case EM_AARCH64:
      return "it is built for arm64, not " + std::string(kGoArch);
    default:
      return "it is built for another architecture (ELF machine " + std::to_string(machine) +
             "), not " + kGoArch;
  }
}

// Hands a buffer from thaw_shim_invoke or thaw_shim_init back to the library's allocator.
struct ShimFree {
  ShimFreeFn free;
  void operator()(char* p) const { free(p); }
};

// The error JSON's errorType and errorMessage; empty when the text is no such object.
std::pair<std::string, std::string> ParseError(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::pair<std::string, std::string> out;
  if (!j.is_object()) return out;
  if (auto it = j.find("errorType"); it != j.end() && it->is_string()) out.first = *it;
  if (auto it = j.find("errorMessage"); it != j.end() && it->is_string()) out.second = *it;
  return out;
}

}  // namespace

std::string ShimContextJson(const Invocation& inv) {
  nlohmann::ordered_json j;
  j["requestId"] = inv.request_id;
  j["deadlineMs"] = inv.deadline_ms;
  j["invokedFunctionArn"] = inv.function_arn;
  j["traceId"] = inv.trace_id;
  j["clientContext"] = inv.client_context;
  j["cognitoIdentity"] = inv.cognito_identity;
  // Header bytes that are not UTF-8 become U+FFFD rather than an exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ShimMechanism::ShimMechanism(std::string path) : path_(std::move(path)) {}

std::unique_ptr<ShimMechanism> ShimMechanism::ForTest(ShimAbi abi) {
  auto m = std::make_unique<ShimMechanism>("");
  m->abi_ = abi;
  return m;
}

ShimMechanism::~ShimMechanism() {
  // A Go library is linked with -z nodelete, so this unloads nothing; it releases the handle.
  if (library_ != nullptr) dlclose(library_);
}

Status ShimMechanism::Load() {
  std::string name = BaseName(path_);
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Status::NotFound(path_ + " does not exist; the shim mechanism loads the Handler (" +
                              name + ") from the function's code: put the library built with " +
                              "go build -buildmode=c-shared in the zip under that name" + kSeeDoc);
    }
    return ErrnoStatus("stat", path_, errno);
  }
  // RTLD_NOW: a missing dependency fails here, in init, not at the first event.
  library_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    const char* error = dlerror();
    std::string why = error != nullptr ? error : "dlopen failed";
    if (std::string problem = ElfProblem(path_); !problem.empty()) why = problem;
    return Status::FailedPrecondition("cannot load " + name + " as a shared object: " + why +
                                      "; build it with CGO_ENABLED=1 GOOS=linux GOARCH=" + kGoArch +
                                      " go build -buildmode=c-shared" + kSeeDoc);
  }
  auto missing = [&](const char* symbol) {
    return Status::FailedPrecondition(name + " does not export " + symbol +
                                      "; build it from a main package with //export " + symbol +
                                      " and -buildmode=c-shared" + kSeeDoc);
  };
  abi_.invoke = reinterpret_cast<ShimInvokeFn>(dlsym(library_, "thaw_shim_invoke"));
  if (abi_.invoke == nullptr) return missing("thaw_shim_invoke");
  abi_.free = reinterpret_cast<ShimFreeFn>(dlsym(library_, "thaw_shim_free"));
  if (abi_.free == nullptr) return missing("thaw_shim_free");
  abi_.init = reinterpret_cast<ShimInitFn>(dlsym(library_, "thaw_shim_init"));
  return Status::Ok();
}

Status ShimMechanism::Init() {
  if (abi_.invoke == nullptr) THAW_RETURN_IF_ERROR(Load());
  if (abi_.init == nullptr) return Status::Ok();
  char* out = nullptr;
  size_t out_len = 0;
  int code = abi_.init(&out, &out_len);
  std::unique_ptr<char, ShimFree> owned(out, ShimFree{abi_.free});
  if (code == 0) return Status::Ok();
  std::string body = out != nullptr ? std::string(out, out_len) : "";
  auto [type, message] = ParseError(body);
  init_error_type_ = type.empty() ? Name(LambdaError::kRuntimeInitError) : type;
  if (message.empty()) {
    message = body.empty() ? "thaw_shim_init returned " + std::to_string(code) : body;
  }
  return Status::FailedPrecondition(message);
}

Outcome ShimMechanism::Invoke(const Invocation& inv) {
  std::string ctx = ShimContextJson(inv);
  char* out = nullptr;
  size_t out_len = 0;
  int code =
      abi_.invoke(ctx.data(), ctx.size(), inv.payload.data(), inv.payload.size(), &out, &out_len);
  std::unique_ptr<char, ShimFree> owned(out, ShimFree{abi_.free});
  Outcome outcome;
  if (out != nullptr) outcome.body.assign(out, out_len);
  switch (code) {
    case kShimResponse:
      outcome.kind = Outcome::Kind::kResponse;
      return outcome;
    case kShimError:
      outcome.kind = Outcome::Kind::kError;
      outcome.error_type = ParseError(outcome.body).first;
      return outcome;
    case kShimErrorThenExit:
      // aws-lambda-go posts a panic's error, then log.Fatalf: exit status 1.
      outcome.kind = Outcome::Kind::kErrorThenExit;
      outcome.error_type = ParseError(outcome.body).first;
      outcome.wait_status = ExitedWith(1);
      return outcome;
    default:
      // The library broke the ABI; its state is unknown, so end as a panic would.
      outcome.kind = Outcome::Kind::kErrorThenExit;
      outcome.error_type = Name(LambdaError::kRuntimeInvalidEntrypoint);
      outcome.body =
          ErrorJson(outcome.error_type, "thaw_shim_invoke returned " + std::to_string(code) +
                                            ", not 0, 1 or 2" + kSeeDoc);
      outcome.wait_status = ExitedWith(1);
      return outcome;
  }
}

std::unique_ptr<Mechanism> NewShimMechanism() {
  return std::make_unique<ShimMechanism>(EntryPath());
}

}  // namespace thaw::host
