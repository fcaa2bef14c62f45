#include "lambda/layer_store.h"

#include <nlohmann/json.hpp>

#include "lambda/stored_json.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS lambda_layers (
  name TEXT PRIMARY KEY,
  last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS lambda_layer_versions (
  name TEXT NOT NULL REFERENCES lambda_layers(name),
  version INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
)sql";

}  // namespace

std::string LayerToStorage(const LayerVersion& v) {
  json j = {
      {"name", v.name},
      {"version", v.version},
      {"description", v.description},
      {"license_info", v.license_info},
      {"compatible_runtimes", v.compatible_runtimes},
      {"compatible_architectures", v.compatible_architectures},
      {"code_sha256", v.code_sha256},
      {"sha256_hex", v.sha256_hex},
      {"code_size", v.code_size},
      {"created_date", v.created_date},
  };
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<LayerVersion> LayerFromStorage(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Internal("corrupt layer version row");
  LayerVersion v;
  v.name = StoredString(j, "name");
  v.version = StoredInt(j, "version");
  v.description = StoredString(j, "description");
  v.license_info = StoredString(j, "license_info");
  v.compatible_runtimes = StoredStrings(j, "compatible_runtimes");
  v.compatible_architectures = StoredStrings(j, "compatible_architectures");
  v.code_sha256 = StoredString(j, "code_sha256");
  v.sha256_hex = StoredString(j, "sha256_hex");
  v.code_size = StoredInt(j, "code_size");
  v.created_date = StoredString(j, "created_date");
  if (v.name.empty() || v.version <= 0 || v.sha256_hex.empty()) {
    return Status::Internal("corrupt layer version row");
  }
  return v;
}

Status LayerStore::Init() { return db_.Exec(kSchema); }

StatusOr<std::map<std::string, StoredLayer>> LayerStore::LoadAll() {
  std::map<std::string, StoredLayer> out;
  {
    THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT name, last_version FROM lambda_layers"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out[st.Text(0)].last_version = st.Int(1);
    }
  }
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT data FROM lambda_layer_versions"));
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    THAW_ASSIGN_OR_RETURN(LayerVersion v, LayerFromStorage(st.Text(0)));
    StoredLayer& layer = out[v.name];
    layer.last_version = std::max(layer.last_version, v.version);
    layer.versions[v.version] = std::move(v);
  }
  return out;
}

Status LayerStore::Put(const LayerVersion& v) {
  THAW_ASSIGN_OR_RETURN(auto name,
                        db_.Prepare("INSERT INTO lambda_layers (name, last_version) VALUES (?1, "
                                    "?2) ON CONFLICT(name) DO UPDATE SET last_version = "
                                    "MAX(last_version, excluded.last_version)"));
  name.Bind(1, v.name).Bind(2, v.version);
  THAW_RETURN_IF_ERROR(name.Run());
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_layer_versions "
                                             "(name, version, data) VALUES (?1, ?2, ?3)"));
  st.Bind(1, v.name).Bind(2, v.version).Bind(3, LayerToStorage(v));
  return st.Run();
}

Status LayerStore::Delete(const std::string& name, int64_t version) {
  THAW_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("DELETE FROM lambda_layer_versions WHERE name = ?1 AND version = ?2"));
  st.Bind(1, name).Bind(2, version);
  return st.Run();
}

}  // namespace thaw::lambda
