#include "kinesis/hash_key.h"

#include <algorithm>
#include <cstdio>

#include <openssl/evp.h>

namespace thaw::kinesis {

std::string FormatHashKey(uint128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<uint128> ParseHashKey(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  uint128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint128 digit = static_cast<uint128>(c - '0');
    if (v > (kMaxHashKey - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

uint128 PartitionHash(std::string_view partition_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(partition_key.data(), partition_key.size(), digest, &size, EVP_md5(), nullptr);
  uint128 v = 0;
  for (unsigned i = 0; i < 16 && i < size; ++i) v = (v << 8) | digest[i];
  return v;
}

std::vector<std::pair<uint128, uint128>> EvenRanges(int count, uint128 start, uint128 end) {
  std::vector<std::pair<uint128, uint128>> out;
  if (count <= 0) return out;
  // The width of the space, less one (2^128 does not fit).
  const uint128 span = end - start;
  const uint128 step = span / static_cast<uint128>(count) +
                       (span % static_cast<uint128>(count) == static_cast<uint128>(count - 1));
  for (int i = 0; i < count; ++i) {
    uint128 s = start + step * static_cast<uint128>(i);
    uint128 e = i + 1 == count ? end : start + step * static_cast<uint128>(i + 1) - 1;
    out.emplace_back(s, e);
  }
  return out;
}

std::string ShardId(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shardId-%012d", index);
  return buf;
}

std::optional<int> ParseShardId(std::string_view id) {
  constexpr std::string_view kPrefix = "shardId-";
  if (!id.starts_with(kPrefix) || id.size() != kPrefix.size() + 12) return std::nullopt;
  int v = 0;
  for (char c : id.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > 100000000) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string FormatSequence(int shard_index, int64_t counter) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "49%012d%042lld", shard_index, static_cast<long long>(counter));
  return buf;
}

std::optional<ParsedSequence> ParseSequence(std::string_view text) {
  if (text.size() != 56 || !text.starts_with("49")) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  ParsedSequence out;
  for (char c : text.substr(2, 12)) {
    if (out.shard_index > 100000000) return std::nullopt;
    out.shard_index = out.shard_index * 10 + (c - '0');
  }
  std::string_view counter = text.substr(14);
  size_t lead = counter.find_first_not_of('0');
  if (lead == std::string_view::npos) return out;
  counter = counter.substr(lead);
  if (counter.size() > 18) return std::nullopt;
  for (char c : counter) out.counter = out.counter * 10 + (c - '0');
  return out;
}

}  // namespace thaw::kinesis
