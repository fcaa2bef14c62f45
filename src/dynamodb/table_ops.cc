// The table operations: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable, TTL
// and tags; and the shared dispatch and rendering.
#include <algorithm>
#include <regex>
#include <set>

#include "base/codec.h"
#include "dynamodb/operations.h"

namespace thaw::dynamodb {

namespace {

constexpr std::string_view kTableOps[] = {
    "CreateTable",   "DescribeTable",      "ListTables",         "DeleteTable",
    "UpdateTable",   "UpdateTimeToLive",   "DescribeTimeToLive", "TagResource",
    "UntagResource", "ListTagsOfResource", "DescribeEndpoints",  "DescribeLimits"};
constexpr std::string_view kItemOps[] = {
    "PutItem", "GetItem",      "DeleteItem",     "UpdateItem",         "Query",
    "Scan",    "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems"};
constexpr std::string_view kStreamOps[] = {"ListStreams", "DescribeStream", "GetShardIterator",
                                           "GetRecords"};

json KeySchemaJson(const KeySchema& keys) {
  json out = json::array({{{"AttributeName", keys.hash.name}, {"KeyType", "HASH"}}});
  if (keys.range) out.push_back({{"AttributeName", keys.range->name}, {"KeyType", "RANGE"}});
  return out;
}

json StreamSpecJson(const json& given) {
  if (!Bool(given, "StreamEnabled")) return {{"StreamEnabled", false}};
  return {{"StreamEnabled", true}, {"StreamViewType", Str(given, "StreamViewType")}};
}

std::optional<Error> CheckTableName(const std::string& name, const char* field = "tableName") {
  if (name.size() < 3 || name.size() > 255) {
    return Validation(
        "TableName must be at least 3 characters long and at most 255 characters"
        " long");
  }
  static const std::regex kPattern("[a-zA-Z0-9_.-]+");
  if (!std::regex_match(name, kPattern)) {
    return Validation("1 validation error detected: Value '" + name + "' at '" + field +
                      "' failed to satisfy constraint: Member must satisfy regular expression"
                      " pattern: [a-zA-Z0-9_.-]+");
  }
  return std::nullopt;
}

// The key schema of a table or index, checked against the attribute definitions.
std::optional<Error> ParseKeys(const json& key_schema, const json& definitions, KeySchema& out,
                               std::set<std::string>& used) {
  if (!key_schema.is_array() || key_schema.empty() || key_schema.size() > 2) {
    return Validation("1 validation error detected: Value '" +
                      std::to_string(key_schema.is_array() ? key_schema.size() : 0) +
                      "' at 'keySchema' failed to satisfy constraint: Member must have length"
                      " less than or equal to 2");
  }
  for (size_t i = 0; i < key_schema.size(); ++i) {
    const json& k = key_schema[i];
    std::string name = Str(k, "AttributeName");
    std::string type = Str(k, "KeyType");
    if (i == 0 && type != "HASH") {
      return Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    }
    if (i == 1 && type != "RANGE") {
      return Validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    }
    KeyDef def{name, 0};
    for (const auto& d : definitions) {
      if (Str(d, "AttributeName") == name) def.type = Str(d, "AttributeType")[0];
    }
    if (def.type == 0) {
      std::string keys, defs;
      for (const auto& kk : key_schema)
        keys += (keys.empty() ? "" : ", ") + Str(kk, "AttributeName");
      for (const auto& d : definitions)
        defs += (defs.empty() ? "" : ", ") + Str(d, "AttributeName");
      return Validation(
          "One or more parameter values were invalid: Some index key attributes are not defined"
          " in AttributeDefinitions. Keys: [" +
          keys + "], AttributeDefinitions: [" + defs + "]");
    }
    used.insert(name);
    if (i == 0) {
      out.hash = def;
    } else {
      if (name == out.hash.name) {
        return Validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name");
      }
      out.range = def;
    }
  }
  return std::nullopt;
}

std::optional<Error> CheckProjection(const json& projection) {
  if (!projection.is_object()) {
    return Validation("One or more parameter values were invalid: Projection is required");
  }
  std::string type = Str(projection, "ProjectionType");
  if (type != "ALL" && type != "KEYS_ONLY" && type != "INCLUDE") {
    return Validation("1 validation error detected: Value '" + type +
                      "' at 'projection.projectionType' failed to satisfy constraint: Member must"
                      " satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]");
  }
  if (type != "INCLUDE" && projection.contains("NonKeyAttributes")) {
    return Validation("One or more parameter values were invalid: ProjectionType is " + type +
                      ", but NonKeyAttributes is specified");
  }
  return std::nullopt;
}

json Throughput(const json& given) {
  json t = {{"NumberOfDecreasesToday", 0}, {"ReadCapacityUnits", 0}, {"WriteCapacityUnits", 0}};
  if (given.is_object()) {
    t["ReadCapacityUnits"] = Int(given, "ReadCapacityUnits");
    t["WriteCapacityUnits"] = Int(given, "WriteCapacityUnits");
  }
  return t;
}

std::optional<Error> CheckBilling(const std::string& mode, const json& throughput) {
  if (mode == "PAY_PER_REQUEST") {
    if (throughput.is_object()) {
      return Validation(
          "One or more parameter values were invalid: Neither ReadCapacityUnits nor"
          " WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    }
    return std::nullopt;
  }
  if (mode != "PROVISIONED") {
    return Validation("1 validation error detected: Value '" + mode +
                      "' at 'billingMode' failed to satisfy constraint: Member must satisfy enum"
                      " value set: [PROVISIONED, PAY_PER_REQUEST]");
  }
  if (!throughput.is_object() || !throughput.contains("ReadCapacityUnits") ||
      !throughput.contains("WriteCapacityUnits")) {
    return Validation(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must"
        " both be specified when BillingMode is PROVISIONED");
  }
  return std::nullopt;
}

std::optional<Error> CheckStreamSpec(const json& spec) {
  if (!spec.is_object()) return std::nullopt;
  if (!Bool(spec, "StreamEnabled")) {
    if (spec.contains("StreamViewType")) {
      return Validation(
          "One or more parameter values were invalid: StreamViewType cannot be"
          " specified when StreamEnabled is false");
    }
    return std::nullopt;
  }
  std::string view = Str(spec, "StreamViewType");
  if (view.empty()) {
    return Validation(
        "One or more parameter values were invalid: StreamViewType is required"
        " when StreamEnabled is true");
  }
  if (view != "KEYS_ONLY" && view != "NEW_IMAGE" && view != "OLD_IMAGE" &&
      view != "NEW_AND_OLD_IMAGES") {
    return Validation("1 validation error detected: Value '" + view +
                      "' at 'streamSpecification.streamViewType' failed to satisfy constraint:"
                      " Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE,"
                      " NEW_AND_OLD_IMAGES, KEYS_ONLY]");
  }
  return std::nullopt;
}

// A GSI or LSI of a CreateTable or UpdateTable request, checked.
std::optional<Error> ParseIndex(const json& spec, bool global, const Table* table_keys_of,
                                const KeySchema& table_keys, const json& definitions,
                                const std::string& billing, std::set<std::string>& used,
                                std::unique_ptr<Index>& out) {
  (void)table_keys_of;
  auto index = std::make_unique<Index>();
  index->name = Str(spec, "IndexName");
  index->global = global;
  if (index->name.size() < 3 || index->name.size() > 255) {
    return Validation("1 validation error detected: Value '" + index->name +
                      "' at 'indexName' failed to satisfy constraint: Member must have length"
                      " greater than or equal to 3");
  }
  if (auto e = ParseKeys(At(spec, "KeySchema"), definitions, index->keys, used)) return e;
  if (auto e = CheckProjection(At(spec, "Projection"))) return e;
  if (!global) {
    if (!table_keys.range) {
      return Validation(
          "One or more parameter values were invalid: Table KeySchema does not have a range key,"
          " which is required when specifying a LocalSecondaryIndex");
    }
    if (index->keys.hash.name != table_keys.hash.name) {
      return Validation(
          "One or more parameter values were invalid: Index KeySchema does not have the same"
          " leading hash key as table KeySchema for index: " +
          index->name + ". index hash key: " + index->keys.hash.name +
          ", table hash key: " + table_keys.hash.name);
    }
    if (!index->keys.range) {
      return Validation("One or more parameter values were invalid: Index KeySchema for index " +
                        index->name + " must have a range key");
    }
  }
  json projection = {{"ProjectionType", Str(At(spec, "Projection"), "ProjectionType")}};
  if (At(At(spec, "Projection"), "NonKeyAttributes").is_array()) {
    projection["NonKeyAttributes"] = json::array();
    for (const auto& n : At(At(spec, "Projection"), "NonKeyAttributes")) {
      if (n.is_string()) projection["NonKeyAttributes"].push_back(n);
    }
  }
  index->spec = {{"IndexName", index->name},
                 {"KeySchema", KeySchemaJson(index->keys)},
                 {"Projection", projection}};
  if (global) {
    if (billing == "PROVISIONED" && !At(spec, "ProvisionedThroughput").is_object()) {
      return Validation(
          "One or more parameter values were invalid: ProvisionedThroughput must be specified for"
          " index: " +
          index->name);
    }
    if (billing == "PAY_PER_REQUEST" && At(spec, "ProvisionedThroughput").is_object()) {
      return Validation(
          "One or more parameter values were invalid: ProvisionedThroughput should not be"
          " specified for index: " +
          index->name + " when BillingMode is PAY_PER_REQUEST");
    }
    index->spec["ProvisionedThroughput"] = Throughput(At(spec, "ProvisionedThroughput"));
    index->spec["IndexStatus"] = "ACTIVE";
  }
  out = std::move(index);
  return std::nullopt;
}

Table* FindTable(TableStore& store, const Context& ctx, const json& input, Error& error) {
  std::string name = Str(input, "TableName");
  // A table's ARN may stand for its name, in the caller's own account only.
  const std::string prefix =
      std::string("arn:aws:dynamodb:") + kRegion + ":" + ctx.account + ":table/";
  if (name.starts_with(prefix)) name = name.substr(prefix.size());
  Table* t = store.Find(ctx.account, name);
  if (!t) {
    error = NotFound("Requested resource not found: Table: " + name + " not found");
    return nullptr;
  }
  return t;
}

Table* TableOfArn(TableStore& store, const std::string& arn) {
  std::string prefix = std::string("arn:aws:dynamodb:") + kRegion + ":";
  if (!arn.starts_with(prefix)) return nullptr;
  auto slash = arn.find(":table/");
  if (slash == std::string::npos) return nullptr;
  std::string account = arn.substr(prefix.size(), slash - prefix.size());
  std::string name = arn.substr(slash + 7);
  if (name.find('/') != std::string::npos) return nullptr;
  return store.Find(account, name);
}

void RemoveTag(json& tags, const json& key) {
  json kept = json::array();
  for (auto& tag : tags) {
    if (At(tag, "Key") != key) kept.push_back(tag);
  }
  tags = kept;
}

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

Outcome Ok(json output) {
  Outcome o;
  o.output = std::move(output);
  return o;
}

Outcome CreateTable(TableStore& store, const Context& ctx, const json& input) {
  const std::string name = Str(input, "TableName");
  if (auto e = CheckTableName(name)) return Fail(*e);
  const json& given = At(input, "AttributeDefinitions");
  // Rebuilt from what was checked, so the store only meets shapes it wrote.
  json definitions = json::array();
  std::set<std::string> defined;
  for (size_t i = 0; given.is_array() && i < given.size(); ++i) {
    std::string type = Str(given[i], "AttributeType");
    if (type != "S" && type != "N" && type != "B") {
      return Fail(Validation("1 validation error detected: Value '" + type +
                             "' at 'attributeDefinitions." + std::to_string(i + 1) +
                             ".member.attributeType' failed to satisfy constraint: Member must"
                             " satisfy enum value set: [B, N, S]"));
    }
    if (!defined.insert(Str(given[i], "AttributeName")).second) {
      return Fail(Validation("Cannot have two attributes with the same name"));
    }
    definitions.push_back(
        {{"AttributeName", Str(given[i], "AttributeName")}, {"AttributeType", type}});
  }
  KeySchema keys;
  std::set<std::string> used;
  if (auto e = ParseKeys(input.value("KeySchema", json::array()), definitions, keys, used))
    return Fail(*e);
  const std::string billing =
      input.contains("BillingMode") ? Str(input, "BillingMode") : "PROVISIONED";
  if (auto e = CheckBilling(billing, input.value("ProvisionedThroughput", json()))) return Fail(*e);
  if (auto e = CheckStreamSpec(input.value("StreamSpecification", json()))) return Fail(*e);
  std::vector<std::unique_ptr<Index>> indexes;
  json spec = {{"AttributeDefinitions", definitions},
               {"KeySchema", KeySchemaJson(keys)},
               {"ProvisionedThroughput", Throughput(input.value("ProvisionedThroughput", json()))},
               {"CreationDateTime", static_cast<double>(store.Now()) / 1000.0},
               {"TableId", NewUuid()}};
  if (input.contains("BillingMode")) {
    spec["BillingModeSummary"] = {{"BillingMode", billing}};
    if (billing == "PAY_PER_REQUEST") {
      spec["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = spec["CreationDateTime"];
    }
  }
  std::set<std::string> index_names;
  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    if (!input.contains(kind)) continue;
    const json& list = input[kind];
    if (!list.is_array() || list.empty()) {
      return Fail(Validation(std::string("One or more parameter values were invalid: List of ") +
                             kind + " is empty"));
    }
    json specs = json::array();
    for (const auto& s : list) {
      std::unique_ptr<Index> index;
      if (auto e = ParseIndex(s, kind[0] == 'G', nullptr, keys, definitions, billing, used, index))
        return Fail(*e);
      if (!index_names.insert(index->name).second) {
        return Fail(Validation("One or more parameter values were invalid: Duplicate index name: " +
                               index->name));
      }
      specs.push_back(index->spec);
      indexes.push_back(std::move(index));
    }
    spec[kind] = specs;
  }
  if (used.size() != defined.size()) {
    return Fail(Validation(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not"
        " exactly match number of attributes defined in AttributeDefinitions"));
  }
  if (input.contains("StreamSpecification"))
    spec["StreamSpecification"] = StreamSpecJson(input["StreamSpecification"]);
  if (input.contains("Tags")) spec["Tags"] = input["Tags"];
  if (store.Find(ctx.account, name)) {
    Error e = Validation("Table already exists: " + name);
    e.type = "ResourceInUseException";
    return Fail(e);
  }
  Table& table = store.CreateTable(ctx.account, name, keys, std::move(spec), std::move(indexes));
  json description = DescribeTable(store, table);
  description["TableStatus"] = "CREATING";  // as AWS answers, however short the delay
  return Ok({{"TableDescription", description}});
}

Outcome ListTables(TableStore& store, const Context& ctx, const json& input) {
  int64_t limit = 100;
  if (input.contains("Limit")) {
    limit = input["Limit"].is_number_integer() ? input["Limit"].get<int64_t>() : 0;
    if (limit < 1 || limit > 100) {
      return Fail(
          Validation("1 validation error detected: Value '" + input["Limit"].dump() +
                     "' at 'limit' failed to satisfy constraint: Member must have value " +
                     (limit < 1 ? "greater than or equal to 1" : "less than or equal to 100")));
    }
  }
  const std::string start = Str(input, "ExclusiveStartTableName");
  json names = json::array();
  auto tables = store.List(ctx.account);
  std::optional<std::string> last;
  for (Table* t : tables) {
    if (!start.empty() && t->name <= start) continue;
    if (static_cast<int64_t>(names.size()) == limit) {
      last = names.back().get<std::string>();
      break;
    }
    names.push_back(t->name);
  }
  json out = {{"TableNames", names}};
  if (last) out["LastEvaluatedTableName"] = *last;
  return Ok(out);
}

Outcome UpdateTable(TableStore& store, Table& table, const json& input) {
  if (table.status != "ACTIVE") {
    Error e = Validation(
        "Attempt to change a resource which is still in use: Table is being"
        " updated: " +
        table.name);
    e.type = "ResourceInUseException";
    return Fail(e);
  }
  bool changed = false;
  if (input.contains("AttributeDefinitions")) {
    json defs = table.spec["AttributeDefinitions"];
    for (const auto& d : input["AttributeDefinitions"]) {
      bool known = false;
      for (const auto& old : defs)
        known = known || Str(old, "AttributeName") == Str(d, "AttributeName");
      if (!known) defs.push_back(d);
    }
    table.spec["AttributeDefinitions"] = defs;
  }
  std::string billing = table.spec.contains("BillingModeSummary")
                            ? table.spec["BillingModeSummary"].value("BillingMode", "PROVISIONED")
                            : "PROVISIONED";
  if (input.contains("BillingMode")) {
    billing = Str(input, "BillingMode");
    if (auto e = CheckBilling(billing, input.value("ProvisionedThroughput", json())))
      return Fail(*e);
    table.spec["BillingModeSummary"] = {{"BillingMode", billing}};
    if (billing == "PAY_PER_REQUEST") {
      table.spec["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] =
          static_cast<double>(store.Now()) / 1000.0;
    }
    changed = true;
  }
  if (input.contains("ProvisionedThroughput")) {
    table.spec["ProvisionedThroughput"] = Throughput(input["ProvisionedThroughput"]);
    changed = true;
  }
  if (input.contains("StreamSpecification")) {
    const json& spec = input["StreamSpecification"];
    if (auto e = CheckStreamSpec(spec)) return Fail(*e);
    const bool enable = Bool(spec, "StreamEnabled");
    if (enable && table.stream) {
      Error e = Validation("Table already has an enabled stream: TableName: " + table.name);
      e.type = "ResourceInUseException";
      return Fail(e);
    }
    if (!enable && !table.stream) {
      return Fail(Validation("Table already has no stream enabled: TableName: " + table.name));
    }
    table.spec["StreamSpecification"] = StreamSpecJson(spec);
    changed = true;
  }
  if (input.contains("GlobalSecondaryIndexUpdates")) {
    for (const auto& u : input["GlobalSecondaryIndexUpdates"]) {
      if (u.contains("Create")) {
        std::set<std::string> used;
        std::unique_ptr<Index> index;
        if (auto e = ParseIndex(At(u, "Create"), true, &table, table.keys,
                                table.spec["AttributeDefinitions"], billing, used, index))
          return Fail(*e);
        if (table.FindIndex(index->name)) {
          Error e = Validation(
              "Attempt to change a resource which is still in use: Index already"
              " exists: " +
              index->name);
          e.type = "ResourceInUseException";
          return Fail(e);
        }
        store.AddIndex(table, std::move(index));
      } else if (u.contains("Delete")) {
        std::string index_name = Str(At(u, "Delete"), "IndexName");
        Index* index = table.FindIndex(index_name);
        if (!index || !index->global) {
          return Fail(NotFound("Requested resource not found: Index: " + index_name +
                               " not found for table: " + table.name));
        }
        store.DropIndex(table, index_name);
      } else if (u.contains("Update")) {
        std::string index_name = Str(At(u, "Update"), "IndexName");
        Index* index = table.FindIndex(index_name);
        if (!index || !index->global) {
          return Fail(NotFound("Requested resource not found: Index: " + index_name +
                               " not found for table: " + table.name));
        }
      }
    }
  }
  store.SaveTable(table);
  if (changed) store.MarkUpdating(table);
  return Ok({{"TableDescription", DescribeTable(store, table)}});
}

Outcome UpdateTimeToLive(TableStore& store, Table& table, const json& input) {
  const json& spec = At(input, "TimeToLiveSpecification");
  const bool enable = Bool(spec, "Enabled");
  const std::string attr = Str(spec, "AttributeName");
  if (attr.empty()) {
    return Fail(
        Validation("1 validation error detected: Value null at"
                   " 'timeToLiveSpecification.attributeName' failed to satisfy constraint:"
                   " Member must not be null"));
  }
  json& current = table.spec["TimeToLiveDescription"];
  const bool enabled = current.is_object() && current.value("TimeToLiveStatus", "") == "ENABLED";
  if (enable && enabled) return Fail(Validation("TimeToLive is already enabled"));
  if (!enable && !enabled) return Fail(Validation("TimeToLive is already disabled"));
  if (enable) {
    current = {{"TimeToLiveStatus", "ENABLED"}, {"AttributeName", attr}};
  } else {
    current = {{"TimeToLiveStatus", "DISABLED"}};
  }
  store.SaveTable(table);
  return Ok({{"TimeToLiveSpecification", {{"Enabled", enable}, {"AttributeName", attr}}}});
}

}  // namespace

const json& At(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = At(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

bool Bool(const json& j, const char* key) {
  const json& v = At(j, key);
  return v.is_boolean() && v.get<bool>();
}

int64_t Int(const json& j, const char* key) {
  const json& v = At(j, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

Error Validation(std::string message) { return {400, "ValidationException", std::move(message)}; }

Error NotFound(std::string message) {
  return {400, "ResourceNotFoundException", std::move(message)};
}

bool IsOperation(std::string_view op) {
  return std::find(std::begin(kTableOps), std::end(kTableOps), op) != std::end(kTableOps) ||
         std::find(std::begin(kItemOps), std::end(kItemOps), op) != std::end(kItemOps);
}

bool IsStreamsOperation(std::string_view op) {
  return std::find(std::begin(kStreamOps), std::end(kStreamOps), op) != std::end(kStreamOps);
}

json DescribeTable(TableStore& store, Table& t) {
  json d = t.spec;
  d.erase("TimeToLiveDescription");
  d.erase("Tags");
  d["TableName"] = t.name;
  d["TableStatus"] = t.status;
  d["TableArn"] = t.Arn();
  d["TableSizeBytes"] = t.item_bytes;
  d["ItemCount"] = t.items.size();
  d["DeletionProtectionEnabled"] = false;
  if (t.stream) {
    d["LatestStreamArn"] = t.stream->Arn();
    d["LatestStreamLabel"] = t.stream->label;
  } else if (d.contains("LatestStreamLabel")) {
    // AWS keeps naming the last stream after it is disabled.
    d["LatestStreamArn"] = t.Arn() + "/stream/" + d["LatestStreamLabel"].get<std::string>();
  }
  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    if (!d.contains(kind)) continue;
    for (auto& spec : d[kind]) {
      std::string name = Str(spec, "IndexName");
      spec["IndexArn"] = t.Arn() + "/index/" + name;
      Index* index = t.FindIndex(name);
      int64_t count = index ? static_cast<int64_t>(index->entries.size()) : 0;
      spec["ItemCount"] = count;
      spec["IndexSizeBytes"] = 0;
      if (index) {
        int64_t bytes = 0;
        for (const auto& e : index->entries) {
          auto it = t.items.find(e.table);
          if (it != t.items.end()) bytes += ItemSize(it->second);
        }
        spec["IndexSizeBytes"] = bytes;
      }
    }
  }
  (void)store;
  return d;
}

bool ExecuteTableOp(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                    Reply& reply) {
  if (op == "CreateTable") {
    reply(CreateTable(store, ctx, input));
    return true;
  }
  if (op == "ListTables") {
    reply(ListTables(store, ctx, input));
    return true;
  }
  if (op == "DescribeEndpoints") {
    reply(Ok({{"Endpoints", json::array({{{"Address", "dynamodb.us-east-1.amazonaws.com"},
                                          {"CachePeriodInMinutes", 1440}}})}}));
    return true;
  }
  if (op == "DescribeLimits") {
    reply(Ok({{"AccountMaxReadCapacityUnits", 80000},
              {"AccountMaxWriteCapacityUnits", 80000},
              {"TableMaxReadCapacityUnits", 40000},
              {"TableMaxWriteCapacityUnits", 40000}}));
    return true;
  }
  if (op == "TagResource" || op == "UntagResource" || op == "ListTagsOfResource") {
    const std::string arn = Str(input, "ResourceArn");
    Table* t = TableOfArn(store, arn);
    if (!t || t->account != ctx.account) {
      reply(Fail(NotFound("Requested resource not found: ResourcArn: " + arn + " not found")));
      return true;
    }
    json& tags = t->spec["Tags"];
    if (!tags.is_array()) tags = json::array();
    if (op == "ListTagsOfResource") {
      reply(Ok({{"Tags", tags}}));
      return true;
    }
    if (op == "TagResource") {
      for (const auto& tag : input.value("Tags", json::array())) {
        RemoveTag(tags, At(tag, "Key"));
        tags.push_back({{"Key", At(tag, "Key")}, {"Value", At(tag, "Value")}});
      }
    } else {
      for (const auto& key : input.value("TagKeys", json::array())) {
        RemoveTag(tags, key);
      }
    }
    store.SaveTable(*t);
    reply(Ok(json::object()));
    return true;
  }
  if (op != "DescribeTable" && op != "DeleteTable" && op != "UpdateTable" &&
      op != "UpdateTimeToLive" && op != "DescribeTimeToLive") {
    return false;
  }
  Error error;
  Table* t = FindTable(store, ctx, input, error);
  if (!t) {
    reply(Fail(error));
    return true;
  }
  if (op == "DescribeTable") {
    reply(Ok({{"Table", DescribeTable(store, *t)}}));
  } else if (op == "DeleteTable") {
    if (t->status != "ACTIVE") {
      Error e = Validation("Attempt to change a resource which is still in use: Table is being " +
                           std::string(t->status == "DELETING"   ? "deleted"
                                       : t->status == "CREATING" ? "created"
                                                                 : "updated") +
                           ": " + t->name);
      e.type = "ResourceInUseException";
      reply(Fail(e));
      return true;
    }
    json d = DescribeTable(store, *t);
    d["TableStatus"] = "DELETING";
    store.DeleteTable(*t);
    reply(Ok({{"TableDescription", d}}));
  } else if (op == "UpdateTable") {
    reply(UpdateTable(store, *t, input));
  } else if (op == "UpdateTimeToLive") {
    reply(UpdateTimeToLive(store, *t, input));
  } else {
    json d = t->spec.value("TimeToLiveDescription", json{{"TimeToLiveStatus", "DISABLED"}});
    reply(Ok({{"TimeToLiveDescription", d}}));
  }
  return true;
}

void Execute(TableStore& store, const Context& ctx, std::string_view op, const json& input,
             Reply reply) {
  if (ExecuteTableOp(store, ctx, op, input, reply)) return;
  if (ExecuteItemOp(store, ctx, op, input, reply)) return;
  Error e{400, "UnknownOperationException", ""};
  reply(Fail(e));
}

http::Response RenderError(const Error& error) {
  json body = error.extra.is_object() ? error.extra : json::object();
  const bool coral = error.type == "ValidationException" ||
                     error.type == "SerializationException" ||
                     error.type == "UnknownOperationException";
  body["__type"] = (coral ? std::string("com.amazon.coral.validate#")
                          : std::string("com.amazonaws.dynamodb.v20120810#")) +
                   error.type;
  if (error.type == "UnknownOperationException") {
    body["__type"] = "com.amazon.coral.service#UnknownOperationException";
  }
  if (!error.message.empty()) body["message"] = error.message;
  http::Response r;
  r.status = error.status;
  r.headers.Set("Content-Type", "application/x-amz-json-1.0");
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response RenderOutcome(const Outcome& outcome) {
  if (outcome.error) return RenderError(*outcome.error);
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "application/x-amz-json-1.0");
  r.body = outcome.output.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

}  // namespace thaw::dynamodb
