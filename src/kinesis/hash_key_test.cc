#include "kinesis/hash_key.h"

#include <gtest/gtest.h>

namespace thaw::kinesis {
namespace {

TEST(KinesisHashKey, FormatsAndParses) {
  EXPECT_EQ(FormatHashKey(0), "0");
  EXPECT_EQ(FormatHashKey(kMaxHashKey), "340282366920938463463374607431768211455");
  EXPECT_EQ(ParseHashKey("340282366920938463463374607431768211455"), kMaxHashKey);
  EXPECT_EQ(ParseHashKey("42"), uint128{42});
  EXPECT_FALSE(ParseHashKey("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(ParseHashKey(""));
  EXPECT_FALSE(ParseHashKey("-1"));
  EXPECT_FALSE(ParseHashKey("1e5"));
}

// Known values: int(hashlib.md5(key).hexdigest(), 16).
TEST(KinesisHashKey, PartitionHashIsBigEndianMd5) {
  EXPECT_EQ(FormatHashKey(PartitionHash("a")), "16955237001963240173058271559858726497");
  EXPECT_EQ(FormatHashKey(PartitionHash("partition-1")), "198019941650871988756153596255032211816");
  EXPECT_EQ(FormatHashKey(PartitionHash("user-42")), "157107139746365290205026809710278036035");
}

TEST(KinesisHashKey, EvenRangesMatchAws) {
  auto four = EvenRanges(4);
  ASSERT_EQ(four.size(), 4u);
  EXPECT_EQ(FormatHashKey(four[0].first), "0");
  EXPECT_EQ(FormatHashKey(four[0].second), "85070591730234615865843651857942052863");
  EXPECT_EQ(FormatHashKey(four[1].first), "85070591730234615865843651857942052864");
  EXPECT_EQ(FormatHashKey(four[3].first), "255211775190703847597530955573826158592");
  EXPECT_EQ(four[3].second, kMaxHashKey);
  auto three = EvenRanges(3);
  EXPECT_EQ(FormatHashKey(three[0].second), "113427455640312821154458202477256070484");
  EXPECT_EQ(FormatHashKey(three[2].first), "226854911280625642308916404954512140970");
  auto one = EvenRanges(1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].first, uint128{0});
  EXPECT_EQ(one[0].second, kMaxHashKey);
  // Contiguous for odd counts too.
  auto seven = EvenRanges(7);
  for (size_t i = 1; i < seven.size(); ++i) EXPECT_EQ(seven[i].first, seven[i - 1].second + 1);
}

TEST(KinesisHashKey, ShardIds) {
  EXPECT_EQ(ShardId(0), "shardId-000000000000");
  EXPECT_EQ(ShardId(12), "shardId-000000000012");
  EXPECT_EQ(ParseShardId("shardId-000000000012"), 12);
  EXPECT_FALSE(ParseShardId("shardId-12"));
  EXPECT_FALSE(ParseShardId("shard-000000000012"));
}

TEST(KinesisSequence, FiftySixDigitsIncreasingPerShard) {
  const std::string a = FormatSequence(3, 7);
  const std::string b = FormatSequence(3, 8);
  const std::string c = FormatSequence(3, 1000000000000);
  EXPECT_EQ(a.size(), 56u);
  EXPECT_EQ(a.substr(0, 2), "49");
  EXPECT_LT(a, b);  // same length: text order is numeric order
  EXPECT_LT(b, c);
  auto p = ParseSequence(c);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->shard_index, 3);
  EXPECT_EQ(p->counter, 1000000000000);
  EXPECT_FALSE(ParseSequence("123"));
  EXPECT_FALSE(ParseSequence(std::string(56, 'x')));
  EXPECT_FALSE(ParseSequence("59" + std::string(54, '0')));
}

}  // namespace
}  // namespace thaw::kinesis
