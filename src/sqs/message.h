// SQS message values and the MD5 digests SQS answers with (MD5OfMessageBody,
// MD5OfMessageAttributes), which the SDKs recompute and check. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace thaw::sqs {

struct MessageAttribute {
  std::string data_type;  // "String", "Number", "Binary", or one of those + ".custom"
  std::string value;      // StringValue, or BinaryValue's raw bytes
  bool binary() const { return data_type.starts_with("Binary"); }
};
// Sorted by name, as the attribute digest requires.
using MessageAttributes = std::map<std::string, MessageAttribute>;

std::string Md5Hex(std::string_view data);
// AWS's digest: per attribute, by name: length-prefixed name, data type, a transport byte
// (1 string, 2 binary) and the length-prefixed value; "" when there are none.
std::string Md5OfAttributes(const MessageAttributes& attributes);
// What counts against MaximumMessageSize: the body plus every attribute's name, type and value.
uint64_t MessageSize(std::string_view body, const MessageAttributes& attributes);

}  // namespace thaw::sqs
