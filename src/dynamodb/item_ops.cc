// The item operations: PutItem, GetItem, DeleteItem (expressions come with the value model).
#include <memory>

#include "dynamodb/item_size.h"
#include "dynamodb/operations.h"

namespace thaw::dynamodb {

namespace {

constexpr int64_t kMaxItemBytes = 400 * 1024;

std::string Str(const json& input, const char* name) {
  auto it = input.find(name);
  return it != input.end() && it->is_string() ? it->get<std::string>() : "";
}

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

Table* FindTable(TableStore& store, const Context& ctx, const json& input, Error& error) {
  std::string name = Str(input, "TableName");
  Table* t = store.Find(ctx.account, name);
  if (!t || t->status == "DELETING") {
    error = NotFound();
    return nullptr;
  }
  return t;
}

std::optional<Error> CheckItem(const json& item) {
  if (!item.is_object()) return Validation("Item must be a map of attribute values");
  for (const auto& [name, v] : item.items()) {
    if (name.empty()) {
      return Validation(
          "One or more parameter values were invalid: An AttributeValue may not"
          " contain an empty attribute name");
    }
    if (!v.is_object() || v.size() != 1) {
      return Validation(
          "Supplied AttributeValue has more than one datatypes set, must contain"
          " exactly one of the supported datatypes");
    }
  }
  if (ItemSize(item) > kMaxItemBytes) {
    return Validation("Item size has exceeded the maximum allowed size");
  }
  return std::nullopt;
}

// ConsumedCapacity for one write of `bytes` (1 KB units) or read (4 KB units, halved when
// eventually consistent).
json Capacity(const Table& table, double units, const std::string& mode) {
  json c = {{"TableName", table.name}, {"CapacityUnits", units}};
  if (mode == "INDEXES") c["Table"] = {{"CapacityUnits", units}};
  return c;
}

double WriteUnits(int64_t bytes) {
  return static_cast<double>(std::max<int64_t>(1, (bytes + 1023) / 1024));
}

double ReadUnits(int64_t bytes, bool consistent) {
  double units = static_cast<double>(std::max<int64_t>(1, (bytes + 4095) / 4096));
  return consistent ? units : units / 2;
}

void PutItem(TableStore& store, Table& table, const json& input, Reply reply) {
  const json& item = input.contains("Item") ? input["Item"] : json();
  if (auto e = CheckItem(item)) return reply(Fail(*e));
  auto key = KeyOf(table.keys, item, false);
  if (!key.ok()) return reply(Fail(Validation(key.status().message())));
  const std::string rv = input.contains("ReturnValues") ? Str(input, "ReturnValues") : "NONE";
  if (rv != "NONE" && rv != "ALL_OLD") {
    return reply(Fail(Validation("ReturnValues can only be ALL_OLD or NONE")));
  }
  Outcome out;
  auto old = table.items.find(*key);
  if (rv == "ALL_OLD" && old != table.items.end()) out.output["Attributes"] = old->second;
  const std::string cc = Str(input, "ReturnConsumedCapacity");
  if (cc == "TOTAL" || cc == "INDEXES") {
    int64_t bytes = ItemSize(item);
    if (old != table.items.end()) bytes = std::max(bytes, ItemSize(old->second));
    out.output["ConsumedCapacity"] = Capacity(table, WriteUnits(bytes), cc);
  }
  store.Write({{&table, *key, item, false}}, [reply = std::move(reply), out](Status s) {
    if (!s.ok()) return reply(Fail({500, "InternalServerError", "Internal server error"}));
    reply(out);
  });
}

void DeleteItem(TableStore& store, Table& table, const json& input, Reply reply) {
  const json& k = input.contains("Key") ? input["Key"] : json::object();
  auto key = KeyOf(table.keys, k, true);
  if (!key.ok()) return reply(Fail(Validation(key.status().message())));
  const std::string rv = input.contains("ReturnValues") ? Str(input, "ReturnValues") : "NONE";
  if (rv != "NONE" && rv != "ALL_OLD") {
    return reply(Fail(Validation("ReturnValues can only be ALL_OLD or NONE")));
  }
  Outcome out;
  auto old = table.items.find(*key);
  if (rv == "ALL_OLD" && old != table.items.end()) out.output["Attributes"] = old->second;
  const std::string cc = Str(input, "ReturnConsumedCapacity");
  if (cc == "TOTAL" || cc == "INDEXES") {
    int64_t bytes = old != table.items.end() ? ItemSize(old->second) : 0;
    out.output["ConsumedCapacity"] = Capacity(table, WriteUnits(bytes), cc);
  }
  store.Write({{&table, *key, std::nullopt, false}}, [reply = std::move(reply), out](Status s) {
    if (!s.ok()) return reply(Fail({500, "InternalServerError", "Internal server error"}));
    reply(out);
  });
}

void GetItem(TableStore& store, Table& table, const json& input, Reply reply) {
  const json& k = input.contains("Key") ? input["Key"] : json::object();
  auto key = KeyOf(table.keys, k, true);
  if (!key.ok()) return reply(Fail(Validation(key.status().message())));
  store.WhenReadable(table, [&store, id = table.id, account = table.account, name = table.name,
                             key = *key, input, reply = std::move(reply)] {
    Table* t = store.Find(account, name);
    if (!t || t->id != id) return reply(Fail(NotFound()));
    Outcome out;
    auto it = t->items.find(key);
    if (it != t->items.end()) out.output["Item"] = it->second;
    const std::string cc = Str(input, "ReturnConsumedCapacity");
    if (cc == "TOTAL" || cc == "INDEXES") {
      int64_t bytes = it != t->items.end() ? ItemSize(it->second) : 0;
      out.output["ConsumedCapacity"] =
          Capacity(*t, ReadUnits(bytes, input.value("ConsistentRead", false)), cc);
    }
    reply(out);
  });
}

}  // namespace

bool ExecuteItemOp(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                   Reply& reply) {
  if (op != "PutItem" && op != "GetItem" && op != "DeleteItem") return false;
  Error error;
  Table* table = FindTable(store, ctx, input, error);
  if (!table) {
    reply(Fail(error));
    return true;
  }
  if (op == "PutItem") {
    PutItem(store, *table, input, std::move(reply));
  } else if (op == "GetItem") {
    GetItem(store, *table, input, std::move(reply));
  } else {
    DeleteItem(store, *table, input, std::move(reply));
  }
  return true;
}

}  // namespace thaw::dynamodb
