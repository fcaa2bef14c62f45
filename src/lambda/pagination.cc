#include "lambda/pagination.h"

#include <algorithm>
#include <cstdio>

#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/function.h"

namespace thaw::lambda {

using nlohmann::json;

StatusOr<PageRequest> ReadPageRequest(const http::Request& request) {
  PageRequest page;
  if (auto max = request.QueryParam("MaxItems")) {
    auto n = ParseInt(*max);
    if (!n) return ValidationError(*max, "maxItems", "Member must be an integer");
    if (*n < 1) {
      return ValidationError(*max, "maxItems", "Member must have value greater than or equal to 1");
    }
    if (*n > 10000) {
      return ValidationError(*max, "maxItems",
                             "Member must have value less than or equal to 10000");
    }
    page.max_items = static_cast<size_t>(std::min<int64_t>(*n, 50));
  }
  if (auto marker = request.QueryParam("Marker"); marker && !marker->empty()) {
    auto key = Base64Decode(*marker);
    if (!key || key->empty()) return Status::InvalidArgument("Invalid marker: " + *marker);
    page.after = std::move(*key);
  }
  return page;
}

json Paginate(const std::vector<std::pair<std::string, json>>& items, const PageRequest& page,
              const char* list_name) {
  json list = json::array();
  json out = json::object();
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& [key, item] = items[i];
    if (!page.after.empty() && key <= page.after) continue;
    if (list.size() == page.max_items) {
      out["NextMarker"] = Base64Encode(items[i - 1].first);
      break;
    }
    list.push_back(item);
  }
  out[list_name] = std::move(list);
  return out;
}

std::string VersionKey(const std::string& name, const std::string& version) {
  int64_t number = version == kLatest ? 0 : ParseInt(version).value_or(0);
  char digits[24];
  snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(number));
  // '\n' sorts before every character a function name may hold, so "f" < "f-2".
  return name + '\n' + digits;
}

}  // namespace thaw::lambda
