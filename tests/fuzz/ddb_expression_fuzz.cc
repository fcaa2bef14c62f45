// Fuzzes DynamoDB's expression language (dynamodb/expression.h, expression_eval.h) and value
// model. The first byte picks the expression kind; then lines: the expression, and optionally
// ExpressionAttributeNames, ExpressionAttributeValues and an item as JSON (defaults when absent
// or invalid). Checks that nothing a caller sends can crash the parser or the evaluator, that
// a parse is deterministic, that every error message is valid UTF-8 (it goes out in JSON), and
// that an updated item is still a valid item (its numbers within DynamoDB's limits: it survives
// a JSON round trip) whose key encodings decode back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dynamodb/expression.h"
#include "dynamodb/expression_eval.h"
#include "dynamodb/value.h"

using nlohmann::json;
using namespace thaw::dynamodb;  // NOLINT(google-build-using-namespace)

namespace {

// Valid UTF-8 as nlohmann::json's strict dump sees it: replacing and dropping bad bytes agree.
bool ValidUtf8(std::string_view s) {
  json j = std::string(s);
  return j.dump(-1, ' ', false, json::error_handler_t::replace) ==
         j.dump(-1, ' ', false, json::error_handler_t::ignore);
}

std::string_view Line(std::string_view& rest) {
  size_t newline = rest.find('\n');
  std::string_view line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return line;
}

json JsonOr(std::string_view text, const char* fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() || !j.is_object() ? json::parse(fallback) : j;
}

void CheckMessage(const thaw::Status& s) {
  if (s.ok()) return;
  if (!ValidUtf8(s.message())) std::abort();
}

void CheckItem(const Item& item) {
  json j = ItemToJson(item);
  thaw::StatusOr<Item> back = ItemFromJson(j);
  if (!back.ok() || !(*back == item)) std::abort();
  for (const auto& [name, value] : item) {
    if (!IsKeyType(value.type())) continue;
    thaw::StatusOr<AttributeValue> decoded = DecodeKeyValue(value.type(), EncodeKeyValue(value));
    if (!decoded.ok() || !(*decoded == value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  int kind = data[0] % 5;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view text = Line(rest);
  // The API hands the parser strings from parsed JSON: always UTF-8.
  if (!ValidUtf8(text)) return 0;
  json names = JsonOr(Line(rest), R"({"#a":"a","#b":"b","#n":"name"})");
  json values = JsonOr(Line(rest), R"({":v":{"N":"1"},":s":{"S":"x"},":l":{"L":[{"N":"2"}]},
                                       ":ss":{"SS":["a","b"]},":ns":{"NS":["1","2"]}})");
  json item_json = JsonOr(Line(rest), R"({"a":{"N":"5"},"b":{"S":"xyz"},"name":{"L":[{"N":"1"}]},
                                          "m":{"M":{"k":{"SS":["a"]}}}})");
  thaw::StatusOr<ExpressionContext> first = ExpressionContext::FromJson(&names, &values);
  CheckMessage(first.status());
  thaw::StatusOr<Item> item = ItemFromJson(item_json);
  CheckMessage(item.status());
  if (!first.ok() || !item.ok()) return 0;
  CheckItem(*item);

  // Each kind twice, on fresh contexts: the same outcome.
  thaw::Status outcome[2];
  for (int round = 0; round < 2; ++round) {
    ExpressionContext context = *ExpressionContext::FromJson(&names, &values);
    thaw::Status s;
    switch (kind) {
      case 0:
      case 1: {
        auto c = ParseCondition(
            text, kind == 0 ? ExpressionKind::kCondition : ExpressionKind::kFilter, context);
        s = c.status();
        if (c.ok()) Evaluate(*c, *item);
        break;
      }
      case 2: {
        auto p = ParseProjection(text, context);
        s = p.status();
        if (p.ok()) CheckItem(Project(*item, *p));
        break;
      }
      case 3: {
        auto k = ParseKeyCondition(text, context, "a", "b");
        s = k.status();
        if (k.ok() && k->sort) MatchesSortCondition(*k->sort, item->at("a"));
        break;
      }
      default: {
        auto u = ParseUpdate(text, context);
        s = u.status();
        if (u.ok()) {
          auto r = ApplyUpdate(*u, *item);
          CheckMessage(r.status());
          if (r.ok()) {
            CheckItem(r->item);
            CheckItem(Project(r->item, r->updated_paths));
          }
        }
        break;
      }
    }
    CheckMessage(s);
    if (s.ok()) CheckMessage(context.CheckAllUsed());
    outcome[round] = s;
  }
  if (outcome[0].ok() != outcome[1].ok() || outcome[0].message() != outcome[1].message()) {
    std::abort();
  }
  return 0;
}
