// Fuzzes the launcher's decoder of kSpawn messages (the launcher runs as root and trusts only
// what it decodes), and checks that a decoded spec encodes and decodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sys/launcher_protocol.h"

using thaw::sys::SpawnSpec;

namespace {

bool Same(const SpawnSpec& a, const SpawnSpec& b) {
  return a.id == b.id && a.path == b.path && a.cwd == b.cwd && a.argv == b.argv && a.env == b.env &&
         a.sandbox.enabled == b.sandbox.enabled && a.sandbox.code_dir == b.sandbox.code_dir &&
         a.sandbox.tmp_image == b.sandbox.tmp_image && a.sandbox.tmp_mb == b.sandbox.tmp_mb &&
         a.sandbox.memory_mb == b.sandbox.memory_mb &&
         a.sandbox.isolated_network == b.sandbox.isolated_network &&
         a.sandbox.opt_dir == b.sandbox.opt_dir && a.sandbox.extensions == b.sandbox.extensions;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto spec = thaw::sys::DecodeSpawn(reinterpret_cast<const char*>(data), size);
  if (!spec) return 0;
  std::string wire = thaw::sys::EncodeSpawn(*spec);
  auto again = thaw::sys::DecodeSpawn(wire.data(), wire.size());
  if (!again || !Same(*spec, *again)) std::abort();
  return 0;
}
