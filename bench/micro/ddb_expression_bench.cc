// Micro-benchmark of DynamoDB's expression language per request: parsing (both passes) and
// evaluating a typical ConditionExpression, and parsing and applying a typical UpdateExpression,
// against a ~20-attribute item; plus the item's JSON decode and encode, which every request pays.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "dynamodb/expression.h"
#include "dynamodb/expression_eval.h"
#include "dynamodb/value.h"

namespace thaw::dynamodb {
namespace {

using nlohmann::json;

json ItemJson() {
  json item = json::parse(R"({
    "pk": {"S": "user#1234"}, "sk": {"S": "order#2024-06-01#0001"},
    "status": {"S": "PENDING"}, "version": {"N": "7"}, "amount": {"N": "129.95"},
    "tags": {"SS": ["gift", "express"]}, "orderLines": {"L": [
      {"M": {"sku": {"S": "A-1"}, "qty": {"N": "2"}}},
      {"M": {"sku": {"S": "B-7"}, "qty": {"N": "1"}}}]},
    "address": {"M": {"city": {"S": "Lisbon"}, "zip": {"S": "1000-001"}}}})");
  for (int i = 0; i < 12; ++i)
    item["attr" + std::to_string(i)] = {{"S", "value " + std::to_string(i)}};
  return item;
}

const json kNames = json::parse(R"({"#s":"status","#v":"version"})");
const json kValues = json::parse(R"({":pending":{"S":"PENDING"},":v":{"N":"7"},":one":{"N":"1"},
  ":shipped":{"S":"SHIPPED"},":tag":{"SS":["shipped"]},":min":{"N":"100"}})");

void BM_ConditionParseAndEvaluate(benchmark::State& state) {
  Item item = *ItemFromJson(ItemJson());
  for (auto _ : state) {
    ExpressionContext context = *ExpressionContext::FromJson(&kNames, &kValues);
    StatusOr<Condition> c = ParseCondition(
        "attribute_exists(pk) AND #s = :pending AND #v = :v AND amount >= :min AND "
        "NOT contains(tags, :shipped)",
        ExpressionKind::kCondition, context);
    benchmark::DoNotOptimize(Evaluate(*c, item));
  }
}
BENCHMARK(BM_ConditionParseAndEvaluate);

void BM_UpdateParseAndApply(benchmark::State& state) {
  Item item = *ItemFromJson(ItemJson());
  for (auto _ : state) {
    ExpressionContext context = *ExpressionContext::FromJson(&kNames, &kValues);
    StatusOr<UpdateExpression> u = ParseUpdate(
        "SET #s = :shipped, #v = #v + :one, address.city = :shipped REMOVE attr3 ADD tags :tag",
        context);
    StatusOr<UpdateResult> r = ApplyUpdate(*u, item);
    benchmark::DoNotOptimize(r->item.size());
  }
}
BENCHMARK(BM_UpdateParseAndApply);

void BM_ItemJsonRoundTrip(benchmark::State& state) {
  json j = ItemJson();
  for (auto _ : state) {
    StatusOr<Item> item = ItemFromJson(j);
    benchmark::DoNotOptimize(ItemToJson(*item).size());
  }
}
BENCHMARK(BM_ItemJsonRoundTrip);

}  // namespace
}  // namespace thaw::dynamodb
