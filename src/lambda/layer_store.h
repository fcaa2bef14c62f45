// LayerStore: the durable record of published layer versions (lambda_layer_versions) and of
// each layer name's highest version ever published (lambda_layers; AWS never reuses a number,
// even after every version was deleted). Callers group writes in a store::Transaction.
// Thread-compatible: used only on the control thread, which owns the Database.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "lambda/layer.h"
#include "store/sqlite.h"

namespace thaw::lambda {

// Every layer name with its versions by number, and its last version number.
struct StoredLayer {
  std::map<int64_t, LayerVersion> versions;
  int64_t last_version = 0;
};

class LayerStore {
 public:
  // `db` must outlive the store.
  explicit LayerStore(store::Database& db) : db_(db) {}
  LayerStore(const LayerStore&) = delete;
  LayerStore& operator=(const LayerStore&) = delete;

  Status Init();
  // Every layer by name. IoError on SQLite failures, Internal on a corrupt row.
  StatusOr<std::map<std::string, StoredLayer>> LoadAll();
  // Stores `v` and makes v.version the name's last version.
  Status Put(const LayerVersion& v);
  Status Delete(const std::string& name, int64_t version);

 private:
  store::Database& db_;
};

// The storage form of a layer version (JSON text). Exposed for tests.
std::string LayerToStorage(const LayerVersion& v);
StatusOr<LayerVersion> LayerFromStorage(const std::string& text);

}  // namespace thaw::lambda
