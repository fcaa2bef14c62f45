// Marker/MaxItems pagination for the List* operations. Items carry a sort key whose byte order is
// the list order; a marker is the base64 key of the last item of the previous page, so paging
// stays correct when items are added or deleted between pages. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/message.h"

namespace thaw::lambda {

struct PageRequest {
  std::string after;      // decoded marker; empty for the first page
  size_t max_items = 50;  // what one page holds
};

// Reads ?Marker= and ?MaxItems= (1-10000 per the API model; a page holds at most 50).
StatusOr<PageRequest> ReadPageRequest(const http::Request& request);

// Builds {list_name: [...], "NextMarker": ...} from items sorted by key.
nlohmann::json Paginate(const std::vector<std::pair<std::string, nlohmann::json>>& items,
                        const PageRequest& page, const char* list_name);

// Sort key of a function version: the name, then the version number ($LATEST first).
std::string VersionKey(const std::string& name, const std::string& version);

}  // namespace thaw::lambda
