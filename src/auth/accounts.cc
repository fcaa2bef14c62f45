#include "auth/accounts.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "auth/access.h"

namespace thaw::auth {

bool IsAccountId(std::string_view text) {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string DefaultAccountOf(std::string_view access_key_id) {
  return IsAccountId(access_key_id) ? std::string(access_key_id) : std::string(kAccount);
}

std::string ArnAccount(std::string_view arn) {
  for (int i = 0; i < 4; ++i) {
    size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return "";
    arn.remove_prefix(colon + 1);
  }
  return std::string(arn.substr(0, arn.find(':')));
}

StatusOr<Accounts> Accounts::Parse(std::string_view json_text) {
  auto doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::InvalidArgument("accounts file: not a JSON object");
  }
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return Status::InvalidArgument("accounts file: \"keys\" must be a list");
  }
  Accounts out;
  for (size_t i = 0; i < keys->size(); ++i) {
    const auto& k = (*keys)[i];
    std::string where = "accounts file: keys[" + std::to_string(i) + "]";
    if (!k.is_object()) return Status::InvalidArgument(where + " is not an object");
    AccountKey key;
    auto text = [&k](const char* name) -> std::string {
      auto it = k.find(name);
      return it != k.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    key.access_key_id = text("accessKeyId");
    key.secret_access_key = text("secretAccessKey");
    key.account = text("account");
    if (key.access_key_id.empty()) return Status::InvalidArgument(where + " has no accessKeyId");
    if (key.secret_access_key.empty()) {
      return Status::InvalidArgument(where + " (" + key.access_key_id + ") has no secretAccessKey");
    }
    if (key.account.empty()) key.account = DefaultAccountOf(key.access_key_id);
    if (!IsAccountId(key.account)) {
      return Status::InvalidArgument(where + " (" + key.access_key_id +
                                     "): account must be 12 digits, not '" + key.account + "'");
    }
    std::string id = key.access_key_id;
    if (!out.keys_.emplace(id, std::move(key)).second) {
      return Status::InvalidArgument(where + ": access key id " + id + " is listed twice");
    }
  }
  return out;
}

StatusOr<Accounts> Accounts::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read accounts file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto accounts = Parse(text.str());
  if (!accounts.ok()) {
    return Status::InvalidArgument(path + ": " + accounts.status().message());
  }
  return accounts;
}

std::string Accounts::AccountOf(std::string_view access_key_id) const {
  if (const AccountKey* key = Find(access_key_id)) return key->account;
  return DefaultAccountOf(access_key_id);
}

const AccountKey* Accounts::Find(std::string_view access_key_id) const {
  auto it = keys_.find(access_key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace thaw::auth
