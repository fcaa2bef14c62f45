#include "sqs/message.h"

#include <openssl/evp.h>

#include "base/codec.h"

namespace thaw::sqs {

namespace {
void AppendLength(std::string& out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(s);
}
}  // namespace

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return HexLower(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string Md5OfAttributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return "";
  std::string buf;
  for (const auto& [name, attribute] : attributes) {
    AppendLength(buf, name);
    AppendLength(buf, attribute.data_type);
    buf.push_back(attribute.binary() ? 2 : 1);
    AppendLength(buf, attribute.value);
  }
  return Md5Hex(buf);
}

uint64_t MessageSize(std::string_view body, const MessageAttributes& attributes) {
  uint64_t size = body.size();
  for (const auto& [name, attribute] : attributes) {
    size += name.size() + attribute.data_type.size() + attribute.value.size();
  }
  return size;
}

}  // namespace thaw::sqs
