// The vnd.amazon.eventstream message framing (what InvokeWithResponseStream answers with):
// prelude (total length, headers length, prelude CRC32), headers, payload, message CRC32, all
// big-endian; see botocore/eventstream.py. Only string-typed headers (type 7), which is all
// Lambda's events use. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thaw::http {

using EventHeaders = std::vector<std::pair<std::string, std::string>>;

struct EventMessage {
  EventHeaders headers;
  std::string payload;
};

// CRC-32 (ISO-HDLC, zlib's crc32).
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

std::string EncodeEventMessage(const EventHeaders& headers, std::string_view payload);

// An event of Lambda's stream (":message-type: event"), e.g. PayloadChunk, InvokeComplete.
std::string EncodeEvent(std::string_view event_type, std::string_view content_type,
                        std::string_view payload);

// Reads one message from the front of `data` (tests, clients); nullopt when it is incomplete,
// malformed or a CRC does not match. `consumed` gets its length.
std::optional<EventMessage> DecodeEventMessage(std::string_view data, size_t* consumed);

}  // namespace thaw::http
