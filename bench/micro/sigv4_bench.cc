// Micro-benchmark of `thaw serve --verify-signatures`' per-request cost: parsing the
// Authorization header and verifying the signature (canonical request, body hash, the HMAC
// chain) of an Invoke as botocore signs it, for a small and a 1 MiB payload. The signing key is
// derived anew per request, as the front door does.
#include <benchmark/benchmark.h>

#include "auth/sigv4.h"
#include "auth/verify.h"

namespace thaw {
namespace {

constexpr int64_t kNow = 1764000000;

struct SignedInvoke {
  std::string body;
  auth::HeaderList headers;
  std::string path = "/2015-03-31/functions/echo/invocations";
};

SignedInvoke MakeInvoke(size_t body_bytes) {
  SignedInvoke s;
  s.body = "{\"k\":\"" + std::string(body_bytes, 'x') + "\"}";
  auth::SignRequest r;
  r.method = "POST";
  r.path = s.path;
  r.host = "127.0.0.1:9001";
  r.body = &s.body;
  r.service = "lambda";
  r.unix_seconds = kNow;
  s.headers = {{"Host", r.host},
               {"User-Agent", "Boto3/1.40 md/Botocore#1.40 ua/2.1 os/linux"},
               {"X-Amz-Invocation-Type", "RequestResponse"},
               {"Content-Type", "application/json"}};
  auth::Credentials c{"AKIAOPERATOR00000000", "operator-secret", ""};
  for (auto& h : auth::Sign(r, c, s.headers)) s.headers.push_back(h);
  return s;
}

void BM_VerifyInvokeSignature(benchmark::State& state) {
  SignedInvoke s = MakeInvoke(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto parsed = auth::ParseAuthorization(s.headers.back().second, true);
    auth::SignedMessage m{"POST", s.path, "", &s.headers, &s.body};
    auto failure = auth::VerifySignature(m, *parsed, "operator-secret", kNow, 300);
    if (failure) state.SkipWithError(failure->message.c_str());
    benchmark::DoNotOptimize(failure);
  }
}
BENCHMARK(BM_VerifyInvokeSignature)->Arg(64)->Arg(1 << 20);

}  // namespace
}  // namespace thaw
