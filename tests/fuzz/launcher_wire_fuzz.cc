// Fuzzes the launcher's decoder of kSpawn messages (the launcher runs as root and trusts only
// what it decodes). The wire has one encoding per spec, so whatever decodes must encode back to
// exactly the input bytes. libFuzzer hands over an exact-size heap copy of each input, so ASan
// reports any read past its end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sys/launcher_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  auto spec = thaw::sys::DecodeSpawn(bytes, size);
  if (!spec) return 0;
  // The decoder enforces what the encoder's callers check.
  if (!thaw::sys::SpawnProblem(*spec).empty()) std::abort();
  if (thaw::sys::PeekSpawnId(bytes, size) != spec->id) std::abort();
  if (thaw::sys::EncodeSpawn(*spec) != std::string_view(bytes, size)) std::abort();
  return 0;
}
