#include "http/event_stream.h"

#include <array>

namespace thaw::http {

namespace {

constexpr size_t kPreludeBytes = 12;
constexpr size_t kCrcBytes = 4;
constexpr uint8_t kStringType = 7;

std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

uint32_t GetU32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

}  // namespace

uint32_t Crc32(std::string_view data, uint32_t crc) {
  static const std::array<uint32_t, 256> kTable = MakeTable();
  crc = ~crc;
  for (char ch : data) crc = kTable[(crc ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string EncodeEventMessage(const EventHeaders& headers, std::string_view payload) {
  std::string encoded_headers;
  for (const auto& [name, value] : headers) {
    encoded_headers.push_back(static_cast<char>(name.size()));
    encoded_headers += name;
    encoded_headers.push_back(static_cast<char>(kStringType));
    encoded_headers.push_back(static_cast<char>(value.size() >> 8));
    encoded_headers.push_back(static_cast<char>(value.size()));
    encoded_headers += value;
  }
  size_t total = kPreludeBytes + encoded_headers.size() + payload.size() + kCrcBytes;
  std::string out;
  out.reserve(total);
  PutU32(out, static_cast<uint32_t>(total));
  PutU32(out, static_cast<uint32_t>(encoded_headers.size()));
  PutU32(out, Crc32(out));
  out += encoded_headers;
  out += payload;
  PutU32(out, Crc32(out));
  return out;
}

std::string EncodeEvent(std::string_view event_type, std::string_view content_type,
                        std::string_view payload) {
  return EncodeEventMessage({{":event-type", std::string(event_type)},
                             {":content-type", std::string(content_type)},
                             {":message-type", "event"}},
                            payload);
}

std::optional<EventMessage> DecodeEventMessage(std::string_view data, size_t* consumed) {
  if (data.size() < kPreludeBytes + kCrcBytes) return std::nullopt;
  uint32_t total = GetU32(data, 0);
  uint32_t headers_len = GetU32(data, 4);
  if (total < kPreludeBytes + kCrcBytes || data.size() < total ||
      headers_len > total - kPreludeBytes - kCrcBytes) {
    return std::nullopt;
  }
  if (Crc32(data.substr(0, 8)) != GetU32(data, 8)) return std::nullopt;
  if (Crc32(data.substr(0, total - kCrcBytes)) != GetU32(data, total - kCrcBytes)) {
    return std::nullopt;
  }
  EventMessage message;
  std::string_view headers = data.substr(kPreludeBytes, headers_len);
  size_t at = 0;
  while (at < headers.size()) {
    size_t name_len = static_cast<uint8_t>(headers[at]);
    if (at + 1 + name_len + 3 > headers.size()) return std::nullopt;
    std::string name(headers.substr(at + 1, name_len));
    at += 1 + name_len;
    if (static_cast<uint8_t>(headers[at]) != kStringType) return std::nullopt;
    size_t value_len = (static_cast<size_t>(static_cast<uint8_t>(headers[at + 1])) << 8) |
                       static_cast<uint8_t>(headers[at + 2]);
    at += 3;
    if (at + value_len > headers.size()) return std::nullopt;
    message.headers.emplace_back(std::move(name), std::string(headers.substr(at, value_len)));
    at += value_len;
  }
  message.payload = std::string(
      data.substr(kPreludeBytes + headers_len, total - kPreludeBytes - headers_len - kCrcBytes));
  if (consumed) *consumed = total;
  return message;
}

}  // namespace thaw::http
