#include "lambda/function_store.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "lambda/stored_json.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

// `name` columns hold the FunctionKey (the plain name in 000000000000, as before accounts).
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS lambda_functions (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  reserved_concurrency INTEGER,
  last_version INTEGER NOT NULL DEFAULT 0,
  account TEXT NOT NULL DEFAULT '000000000000'
);
CREATE TABLE IF NOT EXISTS lambda_versions (
  name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS lambda_aliases (
  name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  function_version TEXT NOT NULL,
  description TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (name, alias)
);
CREATE TABLE IF NOT EXISTS lambda_tags (
  name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, key)
);
CREATE TABLE IF NOT EXISTS lambda_event_invoke_configs (
  name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (name, qualifier)
);
CREATE TABLE IF NOT EXISTS lambda_function_urls (
  name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (name, qualifier)
);
CREATE TABLE IF NOT EXISTS lambda_recursion (
  name TEXT PRIMARY KEY REFERENCES lambda_functions(name) ON DELETE CASCADE,
  recursive_loop TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lambda_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO lambda_meta (key, value) VALUES ('generation', 0);
)sql";

}  // namespace

std::string ConfigToStorage(const FunctionConfig& c) {
  json env = json::array();
  for (const auto& [k, v] : c.environment) env.push_back(json::array({k, v}));
  json layers = json::array();
  for (const LayerRef& l : c.layers) {
    layers.push_back({{"arn", l.arn}, {"code_size", l.code_size}, {"sha256_hex", l.sha256_hex}});
  }
  json j = {
      {"layers", std::move(layers)},
      {"name", c.name},
      {"version", c.version},
      {"runtime", c.runtime},
      {"role", c.role},
      {"handler", c.handler},
      {"description", c.description},
      {"timeout_s", c.timeout_s},
      {"memory_mb", c.memory_mb},
      {"ephemeral_mb", c.ephemeral_mb},
      {"environment", std::move(env)},
      {"architecture", c.architecture},
      {"package_type", c.package_type},
      {"code_sha256", c.code_sha256},
      {"code_size", c.code_size},
      {"code_dir", c.code_dir},
      {"last_modified", c.last_modified},
      {"revision_id", c.revision_id},
      {"tracing_mode", c.tracing_mode},
      {"dead_letter_arn", c.dead_letter_arn},
      {"generation", c.generation},
      {"mechanism", c.mechanism},
      {"network", c.network},
      {"log_format", c.log_format},
      {"application_log_level", c.application_log_level},
      {"system_log_level", c.system_log_level},
  };
  return j.dump(-1, ' ', false, json::error_handler_t::replace);  // never throw
}

StatusOr<FunctionConfig> ConfigFromStorage(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Internal("corrupt function config row");
  FunctionConfig c;
  c.name = StoredString(j, "name");
  c.version = StoredString(j, "version");
  c.runtime = StoredString(j, "runtime");
  c.role = StoredString(j, "role");
  c.handler = StoredString(j, "handler");
  c.description = StoredString(j, "description");
  c.timeout_s = StoredInt(j, "timeout_s", c.timeout_s);
  c.memory_mb = StoredInt(j, "memory_mb", c.memory_mb);
  c.ephemeral_mb = StoredInt(j, "ephemeral_mb", c.ephemeral_mb);
  if (auto it = j.find("environment"); it != j.end() && it->is_array()) {
    for (const auto& pair : *it) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
        c.environment.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
      }
    }
  }
  if (auto it = j.find("layers"); it != j.end() && it->is_array()) {
    for (const auto& l : *it) {
      if (!l.is_object()) continue;
      c.layers.push_back(
          {StoredString(l, "arn"), StoredInt(l, "code_size", 0), StoredString(l, "sha256_hex")});
    }
  }
  c.architecture = StoredString(j, "architecture");
  c.package_type = StoredString(j, "package_type");
  c.code_sha256 = StoredString(j, "code_sha256");
  c.code_size = StoredInt(j, "code_size", 0);
  c.code_dir = StoredString(j, "code_dir");
  c.last_modified = StoredString(j, "last_modified");
  c.revision_id = StoredString(j, "revision_id");
  c.tracing_mode = StoredString(j, "tracing_mode");
  c.dead_letter_arn = StoredString(j, "dead_letter_arn");
  if (std::string m = StoredString(j, "mechanism"); !m.empty()) c.mechanism = m;
  if (std::string n = StoredString(j, "network"); !n.empty()) c.network = n;
  if (std::string f = StoredString(j, "log_format"); !f.empty()) c.log_format = f;
  c.application_log_level = StoredString(j, "application_log_level");
  c.system_log_level = StoredString(j, "system_log_level");
  if (auto it = j.find("generation"); it != j.end() && it->is_number_unsigned()) {
    c.generation = it->get<uint64_t>();
  }
  if (c.name.empty() || c.version.empty()) return Status::Internal("corrupt function config row");
  return c;
}

Status FunctionStore::Init() {
  THAW_RETURN_IF_ERROR(db_.Exec(kSchema));
  // A state.db from before accounts: its functions are 000000000000's.
  Status added = db_.Exec(
      "ALTER TABLE lambda_functions ADD COLUMN account TEXT NOT NULL DEFAULT '000000000000'");
  if (!added.ok() && added.message().find("duplicate column") == std::string::npos) return added;
  return Status::Ok();
}

StatusOr<std::vector<StoredFunction>> FunctionStore::LoadAll() {
  std::vector<StoredFunction> out;
  std::map<std::string, size_t> index;
  std::map<std::string, FunctionConfig> latest;  // tags are added before freezing it
  std::vector<std::string> accounts;             // by index
  {
    THAW_ASSIGN_OR_RETURN(auto st,
                          db_.Prepare("SELECT name, config, reserved_concurrency, last_version, "
                                      "account FROM lambda_functions ORDER BY name"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      std::string name = st.Text(0);
      THAW_ASSIGN_OR_RETURN(FunctionConfig config, ConfigFromStorage(st.Text(1)));
      config.account = st.Text(4);
      if (config.key() != name) return Status::Internal("corrupt function row " + name);
      accounts.push_back(config.account);
      StoredFunction f;
      if (!st.IsNull(2)) f.entry.reserved_concurrency = st.Int(2);
      f.last_version = st.Int(3);
      index[name] = out.size();
      out.push_back(std::move(f));
      latest[name] = std::move(config);
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto st,
                          db_.Prepare("SELECT name, recursive_loop FROM lambda_recursion"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto it = index.find(st.Text(0));
      if (it != index.end()) out[it->second].entry.allow_recursive_loop = st.Text(1) == "Allow";
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT name, key, value FROM lambda_tags"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto it = latest.find(st.Text(0));
      if (it != latest.end()) it->second.tags[st.Text(1)] = st.Text(2);
    }
  }
  for (auto& [name, config] : latest) {
    out[index[name]].entry.latest = std::make_shared<const FunctionConfig>(std::move(config));
  }
  {
    THAW_ASSIGN_OR_RETURN(auto st,
                          db_.Prepare("SELECT name, version, config FROM lambda_versions"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto it = index.find(st.Text(0));
      if (it == index.end()) continue;
      THAW_ASSIGN_OR_RETURN(FunctionConfig config, ConfigFromStorage(st.Text(2)));
      config.account = accounts[it->second];
      out[it->second].entry.versions[st.Int(1)] =
          std::make_shared<const FunctionConfig>(std::move(config));
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT name, alias, function_version, "
                                               "description, revision_id FROM lambda_aliases"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto it = index.find(st.Text(0));
      if (it == index.end()) continue;
      Alias a{st.Text(1), st.Text(2), st.Text(3), st.Text(4)};
      out[it->second].entry.aliases[a.name] = std::move(a);
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(
        auto st, db_.Prepare("SELECT name, qualifier, config FROM lambda_event_invoke_configs"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto it = index.find(st.Text(0));
      if (it == index.end()) continue;
      out[it->second].entry.event_invoke_configs[st.Text(1)] =
          EventInvokeConfigFromStorage(st.Text(2));
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto st,
                          db_.Prepare("SELECT name, qualifier, config FROM lambda_function_urls"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto it = index.find(st.Text(0));
      if (it == index.end()) continue;
      out[it->second].entry.urls[st.Text(1)] = FunctionUrlFromStorage(st.Text(2));
    }
  }
  return out;
}

Status FunctionStore::PutEventInvokeConfig(const std::string& name, const std::string& qualifier,
                                           const EventInvokeConfig& config) {
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_event_invoke_configs "
                                             "(name, qualifier, config) VALUES (?1, ?2, ?3)"));
  st.Bind(1, name).Bind(2, qualifier).Bind(3, EventInvokeConfigToStorage(config));
  return st.Run();
}

Status FunctionStore::DeleteEventInvokeConfig(const std::string& name,
                                              const std::string& qualifier) {
  THAW_ASSIGN_OR_RETURN(
      auto st,
      db_.Prepare("DELETE FROM lambda_event_invoke_configs WHERE name = ?1 AND qualifier = ?2"));
  st.Bind(1, name).Bind(2, qualifier);
  return st.Run();
}

Status FunctionStore::PutFunctionUrl(const std::string& name, const std::string& qualifier,
                                     const FunctionUrlConfig& config) {
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_function_urls "
                                             "(name, qualifier, config) VALUES (?1, ?2, ?3)"));
  st.Bind(1, name).Bind(2, qualifier).Bind(3, FunctionUrlToStorage(config));
  return st.Run();
}

Status FunctionStore::DeleteFunctionUrl(const std::string& name, const std::string& qualifier) {
  THAW_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("DELETE FROM lambda_function_urls WHERE name = ?1 AND qualifier = ?2"));
  st.Bind(1, name).Bind(2, qualifier);
  return st.Run();
}

Status FunctionStore::PutLatest(const FunctionConfig& latest) {
  THAW_ASSIGN_OR_RETURN(auto st,
                        db_.Prepare("INSERT INTO lambda_functions (name, config, account) "
                                    "VALUES (?1, ?2, ?3) "
                                    "ON CONFLICT(name) DO UPDATE SET config = excluded.config"));
  st.Bind(1, latest.key()).Bind(2, ConfigToStorage(latest)).Bind(3, latest.account);
  return st.Run();
}

Status FunctionStore::PutVersion(const FunctionConfig& version) {
  auto number = ParseInt(version.version);
  if (!number) return Status::InvalidArgument("not a version number: " + version.version);
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_versions "
                                             "(name, version, config) VALUES (?1, ?2, ?3)"));
  st.Bind(1, version.key()).Bind(2, *number).Bind(3, ConfigToStorage(version));
  return st.Run();
}

Status FunctionStore::DeleteVersion(const std::string& name, int64_t version) {
  THAW_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("DELETE FROM lambda_versions WHERE name = ?1 AND version = ?2"));
  st.Bind(1, name).Bind(2, version);
  return st.Run();
}

Status FunctionStore::SetLastVersion(const std::string& name, int64_t last_version) {
  THAW_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("UPDATE lambda_functions SET last_version = ?2 WHERE name = ?1"));
  st.Bind(1, name).Bind(2, last_version);
  return st.Run();
}

Status FunctionStore::PutAlias(const std::string& name, const Alias& alias) {
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_aliases (name, alias, "
                                             "function_version, description, revision_id) "
                                             "VALUES (?1, ?2, ?3, ?4, ?5)"));
  st.Bind(1, name)
      .Bind(2, alias.name)
      .Bind(3, alias.function_version)
      .Bind(4, alias.description)
      .Bind(5, alias.revision_id);
  return st.Run();
}

Status FunctionStore::DeleteAlias(const std::string& name, const std::string& alias) {
  THAW_ASSIGN_OR_RETURN(auto st,
                        db_.Prepare("DELETE FROM lambda_aliases WHERE name = ?1 AND alias = ?2"));
  st.Bind(1, name).Bind(2, alias);
  return st.Run();
}

Status FunctionStore::SetTags(const std::string& name,
                              const std::map<std::string, std::string>& tags) {
  THAW_ASSIGN_OR_RETURN(auto clear, db_.Prepare("DELETE FROM lambda_tags WHERE name = ?1"));
  clear.Bind(1, name);
  THAW_RETURN_IF_ERROR(clear.Run());
  THAW_ASSIGN_OR_RETURN(
      auto insert, db_.Prepare("INSERT INTO lambda_tags (name, key, value) VALUES (?1, ?2, ?3)"));
  for (const auto& [k, v] : tags) {
    insert.Bind(1, name).Bind(2, k).Bind(3, v);
    THAW_RETURN_IF_ERROR(insert.Run());
  }
  return Status::Ok();
}

Status FunctionStore::SetReservedConcurrency(const std::string& name,
                                             std::optional<int64_t> reserved) {
  THAW_ASSIGN_OR_RETURN(
      auto st,
      db_.Prepare("UPDATE lambda_functions SET reserved_concurrency = ?2 WHERE name = ?1"));
  st.Bind(1, name);
  if (reserved) {
    st.Bind(2, *reserved);
  } else {
    st.BindNull(2);
  }
  return st.Run();
}

Status FunctionStore::SetRecursiveLoop(const std::string& name, bool allow) {
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_recursion"
                                             " (name, recursive_loop) VALUES (?1, ?2)"));
  st.Bind(1, name).Bind(2, allow ? "Allow" : "Terminate");
  return st.Run();
}

Status FunctionStore::DeleteFunction(const std::string& name) {
  // The other tables follow through ON DELETE CASCADE (the Database enables foreign keys).
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM lambda_functions WHERE name = ?1"));
  st.Bind(1, name);
  return st.Run();
}

StatusOr<uint64_t> FunctionStore::NextGeneration() {
  THAW_RETURN_IF_ERROR(
      db_.Exec("UPDATE lambda_meta SET value = value + 1 WHERE key = 'generation'"));
  THAW_ASSIGN_OR_RETURN(auto st,
                        db_.Prepare("SELECT value FROM lambda_meta WHERE key = 'generation'"));
  THAW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Internal("lambda_meta has no generation row");
  return static_cast<uint64_t>(st.Int(0));
}

}  // namespace thaw::lambda
