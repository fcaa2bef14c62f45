// Fuzzes the gob decoder, which reads what a go1.x function (any code) sends back over net/rpc:
// a whole stream of messages, handed over in pieces as a socket would, then every field read as
// go1x_rpc reads a response.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "host/gob.h"

namespace gob = thaw::host::gob;

namespace {

void Walk(const gob::Value& v, int depth) {
  if (depth > 64) return;
  for (const auto& f : v.fields) {
    (void)gob::GetString(v, f.name);
    (void)gob::GetBytes(v, f.name);
    (void)gob::GetInt(v, f.name);
    (void)gob::GetUint(v, f.name);
    (void)gob::GetBool(v, f.name);
    Walk(f.value, depth + 1);
  }
  for (const auto& e : v.elems) Walk(e, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte sets how many bytes each read returns, so messages split anywhere.
  size_t chunk = data[0] % 16 + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t pos = 0;
  gob::Decoder::ReadFn read = [&](char* out, size_t want) -> thaw::StatusOr<size_t> {
    size_t n = std::min({want, chunk, stream.size() - pos});
    std::memcpy(out, stream.data() + pos, n);
    pos += n;
    return n;
  };
  gob::Decoder decoder(1 << 20);
  for (int i = 0; i < 64; ++i) {
    auto value = decoder.Decode(read);
    if (!value.ok()) break;
    Walk(*value, 0);
  }
  return 0;
}
