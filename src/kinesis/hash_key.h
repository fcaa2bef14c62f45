// Kinesis's numbers: 128-bit hash keys (MD5 of a partition key, read big-endian), the even split
// of the hash key space into shards, shard ids and sequence numbers. Pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thaw::kinesis {

using uint128 = unsigned __int128;

inline constexpr uint128 kMaxHashKey = ~uint128{0};

// Decimal text of a 128-bit value, and back (digits only, no sign, at most 2^128-1).
std::string FormatHashKey(uint128 v);
std::optional<uint128> ParseHashKey(std::string_view text);
// MD5 of the partition key's bytes as an unsigned big-endian 128-bit integer.
uint128 PartitionHash(std::string_view partition_key);
// [start, end] of each of `count` shards covering the whole space, as CreateStream splits it:
// shard i starts at i*floor(2^128/count); the last ends at 2^128-1.
std::vector<std::pair<uint128, uint128>> EvenRanges(int count, uint128 start = 0,
                                                    uint128 end = kMaxHashKey);
// "shardId-000000000007".
std::string ShardId(int index);
std::optional<int> ParseShardId(std::string_view id);
// A sequence number as Kinesis writes it: 56 decimal digits, "49", the shard's index in 12
// digits, then a counter (per store, increasing) in 42 digits. Within a shard they increase.
std::string FormatSequence(int shard_index, int64_t counter);
struct ParsedSequence {
  int shard_index = 0;
  int64_t counter = 0;
};
std::optional<ParsedSequence> ParseSequence(std::string_view text);

}  // namespace thaw::kinesis
