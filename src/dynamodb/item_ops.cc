// The item operations: PutItem, GetItem, DeleteItem, UpdateItem, Query, Scan, BatchGetItem,
// BatchWriteItem, TransactWriteItems and TransactGetItems. A write is prepared (parsed and
// checked), then judged against the item as it is now and applied in the same loop turn, so
// conditions and transactions are atomic; the answer waits for the commit.
#include <algorithm>
#include <functional>
#include <memory>
#include <set>

#include "base/codec.h"
#include "dynamodb/expression.h"
#include "dynamodb/expression_eval.h"
#include "dynamodb/operations.h"

namespace thaw::dynamodb {

namespace {

constexpr size_t kPageBytes = 1 << 20;
constexpr size_t kBatchGetBytes = 16 << 20;
constexpr int64_t kTokenLifeMs = 10 * 60 * 1000;

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

Error FromStatus(const Status& s) { return Validation(s.message()); }

Error Internal() { return {500, "InternalServerError", "Internal server error"}; }

Error ConditionFailed(const std::optional<Item>& old, const std::string& rv_on_fail) {
  Error e{400, "ConditionalCheckFailedException", "The conditional request failed"};
  if (rv_on_fail == "ALL_OLD" && old) e.extra["Item"] = ItemToJson(*old);
  return e;
}

Table* FindTable(TableStore& store, const Context& ctx, const std::string& name) {
  Table* t = store.Find(ctx.account, name);
  // The table's ARN may stand for its name, in the caller's own account only.
  const std::string prefix =
      std::string("arn:aws:dynamodb:") + kRegion + ":" + ctx.account + ":table/";
  if (!t && name.starts_with(prefix)) t = store.Find(ctx.account, name.substr(prefix.size()));
  if (!t || t->status == "DELETING") return nullptr;
  return t;
}

// ---- Capacity (ddb-dg CapacityUnitCalculations) ----

double WriteUnits(size_t bytes) {
  return static_cast<double>(std::max<size_t>(1, (bytes + 1023) / 1024));
}

double ReadUnits(size_t bytes, bool consistent) {
  double units = static_cast<double>(std::max<size_t>(1, (bytes + 4095) / 4096));
  return consistent ? units : units / 2;
}

struct Capacity {
  std::map<std::string, double> by_table;
  void Add(const Table& t, double units) { by_table[t.name] += units; }
  // ReturnConsumedCapacity: NONE, TOTAL or INDEXES.
  json Render(const std::string& mode, bool list) const {
    json out = json::array();
    for (const auto& [name, units] : by_table) {
      json c = {{"TableName", name}, {"CapacityUnits", units}};
      if (mode == "INDEXES") c["Table"] = {{"CapacityUnits", units}};
      out.push_back(c);
    }
    if (list) return out;
    return out.empty() ? json() : out[0];
  }
};

void AddCapacity(Outcome& out, const std::string& mode, const Capacity& c, bool list = false) {
  if (mode != "TOTAL" && mode != "INDEXES") return;
  json rendered = c.Render(mode, list);
  if (!rendered.is_null()) out.output["ConsumedCapacity"] = rendered;
}

// ---- Expressions ----

struct Expressions {
  ExpressionContext context;
  std::optional<Condition> condition;
  std::optional<UpdateExpression> update;
  std::optional<std::vector<Path>> projection;
};

// Parses the expressions named in `input` (a request, or one element of a transaction).
std::optional<Error> ParseExpressions(const json& input, Expressions& out, bool condition,
                                      bool update, bool projection) {
  const json& names = At(input, "ExpressionAttributeNames");
  const json& values = At(input, "ExpressionAttributeValues");
  auto context = ExpressionContext::FromJson(names.is_null() ? nullptr : &names,
                                             values.is_null() ? nullptr : &values);
  if (!context.ok()) return FromStatus(context.status());
  out.context = std::move(*context);
  for (const char* legacy : {"Expected", "AttributeUpdates", "KeyConditions", "ScanFilter",
                             "QueryFilter", "ConditionalOperator"}) {
    if (input.contains(legacy)) {
      return Validation(std::string("thaw supports expressions only; use the expression form of ") +
                        legacy);
    }
  }
  if (condition && input.contains("ConditionExpression")) {
    auto c =
        ParseCondition(Str(input, "ConditionExpression"), ExpressionKind::kCondition, out.context);
    if (!c.ok()) return FromStatus(c.status());
    out.condition = std::move(*c);
  }
  if (update && input.contains("UpdateExpression")) {
    auto u = ParseUpdate(Str(input, "UpdateExpression"), out.context);
    if (!u.ok()) return FromStatus(u.status());
    out.update = std::move(*u);
  }
  if (projection && input.contains("ProjectionExpression")) {
    auto p = ParseProjection(Str(input, "ProjectionExpression"), out.context);
    if (!p.ok()) return FromStatus(p.status());
    out.projection = std::move(*p);
  } else if (projection && At(input, "AttributesToGet").is_array()) {
    std::vector<Path> paths;
    for (const auto& name : input["AttributesToGet"]) {
      if (!name.is_string()) continue;
      Path p;
      p.elements.push_back({false, name.get<std::string>(), 0});
      paths.push_back(std::move(p));
    }
    out.projection = std::move(paths);
  }
  return std::nullopt;
}

// ---- Writes ----

struct Write {
  enum class Kind { kPut, kDelete, kUpdate, kCheck };
  Kind kind = Kind::kPut;
  Table* table = nullptr;
  ItemKey key;
  Item key_item;
  Item put;  // kPut
  Expressions expr;
  std::string return_values = "NONE";
  std::string rv_on_fail = "NONE";
};

// The outcome of judging a write against the table as it is.
struct Judged {
  bool failed = false;  // its condition failed
  std::optional<Item> old;
  std::optional<Item> next;  // after (nullopt: absent)
  std::vector<Path> updated_paths;
  std::optional<Error> error;  // a validation error found only against the item
};

std::optional<Error> Prepare(TableStore& store, const Context& ctx, Write::Kind kind,
                             const json& input, Write& w) {
  w.kind = kind;
  const std::string table_name = Str(input, "TableName");
  w.table = FindTable(store, ctx, table_name);
  if (!w.table) return NotFound();
  const bool has_values = input.contains("ReturnValues");
  w.return_values = has_values ? Str(input, "ReturnValues") : "NONE";
  if (input.contains("ReturnValuesOnConditionCheckFailure")) {
    w.rv_on_fail = Str(input, "ReturnValuesOnConditionCheckFailure");
    if (w.rv_on_fail != "NONE" && w.rv_on_fail != "ALL_OLD") {
      return Validation("1 validation error detected: Value '" + w.rv_on_fail +
                        "' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint:"
                        " Member must satisfy enum value set: [ALL_OLD, NONE]");
    }
  }
  if (kind == Write::Kind::kPut) {
    auto item = ItemFromJson(At(input, "Item"));
    if (!item.ok()) return FromStatus(item.status());
    auto key = KeyOf(w.table->keys, *item, false);
    if (!key.ok()) return FromStatus(key.status());
    if (auto s = CheckItemSize(*item); !s.ok()) return FromStatus(s);
    w.key = *key;
    w.key_item = KeyAttributes(w.table->keys, *item);
    w.put = std::move(*item);
    if (w.return_values != "NONE" && w.return_values != "ALL_OLD") {
      return Validation("ReturnValues can only be ALL_OLD or NONE");
    }
  } else {
    auto key_item = ItemFromJson(At(input, "Key"));
    if (!key_item.ok()) return FromStatus(key_item.status());
    auto key = KeyOf(w.table->keys, *key_item, true);
    if (!key.ok()) return FromStatus(key.status());
    w.key = *key;
    w.key_item = std::move(*key_item);
    if (kind == Write::Kind::kDelete && w.return_values != "NONE" && w.return_values != "ALL_OLD") {
      return Validation("ReturnValues can only be ALL_OLD or NONE");
    }
    if (kind == Write::Kind::kUpdate) {
      static const std::set<std::string> kValid = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW",
                                                   "UPDATED_NEW"};
      if (!kValid.count(w.return_values)) {
        return Validation("1 validation error detected: Value '" + w.return_values +
                          "' at 'returnValues' failed to satisfy constraint: Member must satisfy"
                          " enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]");
      }
    }
  }
  if (kind == Write::Kind::kCheck && !input.contains("ConditionExpression")) {
    return Validation(
        "1 validation error detected: Value null at 'conditionExpression' failed to"
        " satisfy constraint: Member must not be null");
  }
  if (auto e = ParseExpressions(input, w.expr, true, kind == Write::Kind::kUpdate, false)) return e;
  if (auto s = w.expr.context.CheckAllUsed(); !s.ok()) return FromStatus(s);
  return std::nullopt;
}

Judged Judge(const Write& w) {
  Judged j;
  auto it = w.table->items.find(w.key);
  if (it != w.table->items.end()) j.old = it->second;
  if (w.expr.condition) {
    static const Item kEmpty;
    if (!Evaluate(*w.expr.condition, j.old ? *j.old : kEmpty)) {
      j.failed = true;
      return j;
    }
  }
  switch (w.kind) {
    case Write::Kind::kPut:
      j.next = w.put;
      break;
    case Write::Kind::kDelete:
      break;
    case Write::Kind::kCheck:
      j.next = j.old;
      break;
    case Write::Kind::kUpdate: {
      Item base = j.old ? *j.old : w.key_item;
      if (!w.expr.update) {
        j.next = base;
        break;
      }
      auto result = ApplyUpdate(*w.expr.update, base, j.old.has_value());
      if (!result.ok()) {
        j.error = FromStatus(result.status());
        return j;
      }
      for (const auto& name : result->changed_attributes) {
        if (name == w.table->keys.hash.name ||
            (w.table->keys.range && name == w.table->keys.range->name)) {
          j.error =
              Validation("One or more parameter values were invalid: Cannot update attribute " +
                         name + ". This attribute is part of the key");
          return j;
        }
      }
      if (auto s = CheckItemSize(result->item); !s.ok()) {
        j.error = Validation("Item size to update has exceeded the maximum allowed size");
        return j;
      }
      j.next = std::move(result->item);
      j.updated_paths = std::move(result->updated_paths);
      break;
    }
  }
  return j;
}

// ReturnValues of a write that went through.
json ReturnedAttributes(const Write& w, const Judged& j) {
  const std::string& rv = w.return_values;
  if (rv == "ALL_OLD" && j.old) return ItemToJson(*j.old);
  if (rv == "ALL_NEW" && j.next) return ItemToJson(*j.next);
  if (rv == "UPDATED_OLD" && j.old) {
    Item p = Project(*j.old, j.updated_paths);
    if (!p.empty()) return ItemToJson(p);
  }
  if (rv == "UPDATED_NEW" && j.next) {
    Item p = Project(*j.next, j.updated_paths);
    if (!p.empty()) return ItemToJson(p);
  }
  return json();
}

size_t WriteBytes(const Judged& j) {
  size_t bytes = 0;
  if (j.old) bytes = ItemSize(*j.old);
  if (j.next) bytes = std::max(bytes, ItemSize(*j.next));
  return bytes;
}

void SingleWrite(TableStore& store, const Context& ctx, Write::Kind kind, const json& input,
                 Reply reply) {
  Write w;
  if (auto e = Prepare(store, ctx, kind, input, w)) return reply(Fail(*e));
  Judged j = Judge(w);
  if (j.error) return reply(Fail(*j.error));
  if (j.failed) return reply(Fail(ConditionFailed(j.old, w.rv_on_fail)));
  Outcome out;
  json attributes = ReturnedAttributes(w, j);
  if (!attributes.is_null()) out.output["Attributes"] = attributes;
  Capacity c;
  c.Add(*w.table, WriteUnits(WriteBytes(j)));
  AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c);
  store.Write({{w.table, w.key, std::move(j.next), false}},
              [reply = std::move(reply), out = std::move(out)](Status s) {
                reply(s.ok() ? out : Fail(Internal()));
              });
}

// ---- Reads ----

// What an index (or the table) holds of an item: its projection.
Item ProjectIndex(const Table& t, const Index* index, const Item& item) {
  if (!index) return item;
  const json& projection = At(index->spec, "Projection");
  const std::string type = Str(projection, "ProjectionType");
  if (type == "ALL") return item;
  std::set<std::string> keep = {t.keys.hash.name, index->keys.hash.name};
  if (t.keys.range) keep.insert(t.keys.range->name);
  if (index->keys.range) keep.insert(index->keys.range->name);
  if (type == "INCLUDE") {
    for (const auto& n : At(projection, "NonKeyAttributes")) {
      if (n.is_string()) keep.insert(n.get<std::string>());
    }
  }
  Item out;
  for (const auto& [name, v] : item) {
    if (keep.count(name)) out.emplace(name, v);
  }
  return out;
}

void GetItem(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  Table* t = FindTable(store, ctx, Str(input, "TableName"));
  if (!t) return reply(Fail(NotFound()));
  auto key_item = ItemFromJson(At(input, "Key"));
  if (!key_item.ok()) return reply(Fail(FromStatus(key_item.status())));
  auto key = KeyOf(t->keys, *key_item, true);
  if (!key.ok()) return reply(Fail(FromStatus(key.status())));
  auto expr = std::make_shared<Expressions>();
  if (auto e = ParseExpressions(input, *expr, false, false, true)) return reply(Fail(*e));
  if (auto s = expr->context.CheckAllUsed(); !s.ok()) return reply(Fail(FromStatus(s)));
  store.WhenReadable(
      *t, &*key,
      [&store, id = t->id, account = t->account, name = t->name, key = *key, input, expr,
       reply = std::move(reply)] {
        Table* table = store.Find(account, name);
        if (!table || table->id != id) return reply(Fail(NotFound()));
        Outcome out;
        auto it = table->items.find(key);
        size_t bytes = 0;
        if (it != table->items.end()) {
          bytes = ItemSize(it->second);
          out.output["Item"] =
              ItemToJson(expr->projection ? Project(it->second, *expr->projection) : it->second);
        }
        Capacity c;
        c.Add(*table, ReadUnits(bytes, At(input, "ConsistentRead") == true));
        AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c);
        reply(out);
      });
}

// Query and Scan share the walk: over the table's items or an index's entries, in order.
struct Walk {
  Table* table = nullptr;
  Index* index = nullptr;
  const KeySchema* keys = nullptr;  // the index's, or the table's
};

json LastKey(const Walk& w, const Item& item) {
  Item k = KeyAttributes(w.table->keys, item);
  if (w.index) {
    for (const auto& [name, v] : KeyAttributes(w.index->keys, item)) k.emplace(name, v);
  }
  return ItemToJson(k);
}

std::optional<Error> ResolveWalk(TableStore& store, const Context& ctx, const json& input,
                                 Walk& w) {
  w.table = FindTable(store, ctx, Str(input, "TableName"));
  if (!w.table) return NotFound();
  w.keys = &w.table->keys;
  if (input.contains("IndexName")) {
    const std::string name = Str(input, "IndexName");
    w.index = w.table->FindIndex(name);
    if (!w.index) {
      return Validation("The table does not have the specified index: " + name);
    }
    w.keys = &w.index->keys;
    if (w.index->global && At(input, "ConsistentRead") == true) {
      return Validation("Consistent reads are not supported on global secondary indexes");
    }
  }
  return std::nullopt;
}

struct Page {
  std::optional<Condition> filter;
  std::optional<std::vector<Path>> projection;
  std::string select;
  int64_t limit = 0;  // 0: none
};

std::optional<Error> ParsePage(const json& input, const Walk& w, Expressions& expr, Page& page,
                               bool query) {
  if (input.contains("Limit")) {
    const json& l = input["Limit"];
    page.limit = l.is_number_integer() ? l.get<int64_t>() : 0;
    if (page.limit < 1) {
      return Validation("1 validation error detected: Value '" + l.dump() +
                        "' at 'limit' failed to satisfy constraint: Member must have value greater"
                        " than or equal to 1");
    }
  }
  page.select = Str(input, "Select");
  if (!page.select.empty() && page.select != "ALL_ATTRIBUTES" &&
      page.select != "ALL_PROJECTED_ATTRIBUTES" && page.select != "SPECIFIC_ATTRIBUTES" &&
      page.select != "COUNT") {
    return Validation("1 validation error detected: Value '" + page.select +
                      "' at 'select' failed to satisfy constraint: Member must satisfy enum value"
                      " set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES,"
                      " ALL_PROJECTED_ATTRIBUTES]");
  }
  if (page.select == "ALL_PROJECTED_ATTRIBUTES" && !w.index) {
    return Validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  }
  const bool has_projection =
      input.contains("ProjectionExpression") || input.contains("AttributesToGet");
  if (has_projection && !page.select.empty() && page.select != "SPECIFIC_ATTRIBUTES") {
    return Validation("Cannot specify the ProjectionExpression when choosing to get " +
                      page.select);
  }
  if (w.index && w.index->global && page.select == "ALL_ATTRIBUTES" &&
      Str(At(w.index->spec, "Projection"), "ProjectionType") != "ALL") {
    return Validation(
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not"
        " supported for global secondary index " +
        w.index->name + " because its projection type is not ALL");
  }
  if (input.contains("FilterExpression")) {
    auto f = ParseCondition(Str(input, "FilterExpression"), ExpressionKind::kFilter, expr.context);
    if (!f.ok()) return FromStatus(f.status());
    page.filter = std::move(*f);
  }
  (void)query;
  page.projection = std::move(expr.projection);
  return std::nullopt;
}

// Runs a page over `positions` (each an item of the table), from the start key on.
struct PageResult {
  json items = json::array();
  int64_t count = 0;
  int64_t scanned = 0;
  size_t bytes = 0;
  json last_key;
};

// Visits items in order; `visit` returns false to stop. The walk stops itself at the limit or
// the 1 MB page.
class PageBuilder {
 public:
  PageBuilder(const Walk& w, const Page& page) : w_(w), page_(page) {}
  // False once the page is full (the item was still taken when it fitted).
  bool Take(const Item& item) {
    const size_t size = ItemSize(item);
    if (result_.scanned > 0 && result_.bytes + size > kPageBytes) {
      full_ = true;
      return false;
    }
    result_.bytes += size;
    ++result_.scanned;
    Item visible = ProjectIndex(*w_.table, w_.index, item);
    static const Item kEmpty;
    if (!page_.filter || Evaluate(*page_.filter, visible)) {
      ++result_.count;
      if (page_.select != "COUNT") {
        result_.items.push_back(
            ItemToJson(page_.projection ? Project(visible, *page_.projection) : visible));
      }
    }
    last_ = &item;
    if (page_.limit && result_.scanned >= page_.limit) {
      full_ = true;
      return false;
    }
    return true;
  }
  PageResult Finish(bool more) {
    if (full_ && more && last_) result_.last_key = LastKey(w_, *last_);
    return std::move(result_);
  }

 private:
  const Walk& w_;
  const Page& page_;
  PageResult result_;
  const Item* last_ = nullptr;
  bool full_ = false;
};

Outcome Render(const PageResult& r, const Page& page, const Walk& w, const json& input) {
  Outcome out;
  if (page.select != "COUNT") out.output["Items"] = r.items;
  out.output["Count"] = r.count;
  out.output["ScannedCount"] = r.scanned;
  if (!r.last_key.is_null()) out.output["LastEvaluatedKey"] = r.last_key;
  Capacity c;
  c.Add(*w.table, ReadUnits(r.bytes, At(input, "ConsistentRead") == true));
  AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c);
  return out;
}

// The start of a page: the position after ExclusiveStartKey.
std::optional<Error> StartKey(const json& input, const Walk& w, std::optional<Index::Entry>& out) {
  if (!input.contains("ExclusiveStartKey")) return std::nullopt;
  auto start = ItemFromJson(input["ExclusiveStartKey"]);
  if (!start.ok()) return FromStatus(start.status());
  auto table_key = KeyOf(w.table->keys, *start, false);
  if (!table_key.ok()) {
    return Validation("The provided starting key is invalid: " + table_key.status().message());
  }
  Index::Entry e;
  e.table = *table_key;
  if (w.index) {
    auto index_key = KeyOf(w.index->keys, *start, false);
    if (!index_key.ok()) {
      return Validation("The provided starting key is invalid: " + index_key.status().message());
    }
    e.index = *index_key;
  } else {
    e.index = e.table;
  }
  out = e;
  return std::nullopt;
}

void Query(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  auto w = std::make_shared<Walk>();
  if (auto e = ResolveWalk(store, ctx, input, *w)) return reply(Fail(*e));
  if (!input.contains("KeyConditionExpression")) {
    return reply(
        Fail(Validation("Either the KeyConditions or KeyConditionExpression parameter"
                        " must be specified in the request.")));
  }
  auto expr = std::make_shared<Expressions>();
  if (auto e = ParseExpressions(input, *expr, false, false, true)) return reply(Fail(*e));
  auto kc = ParseKeyCondition(Str(input, "KeyConditionExpression"), expr->context,
                              w->keys->hash.name, w->keys->range ? w->keys->range->name : "");
  if (!kc.ok()) return reply(Fail(FromStatus(kc.status())));
  auto page = std::make_shared<Page>();
  if (auto e = ParsePage(input, *w, *expr, *page, true)) return reply(Fail(*e));
  if (auto s = expr->context.CheckAllUsed(); !s.ok()) return reply(Fail(FromStatus(s)));
  if (TypeName(kc->hash_value.type()) != std::string_view(&w->keys->hash.type, 1)) {
    return reply(
        Fail(Validation("One or more parameter values were invalid: Condition parameter"
                        " type does not match schema type")));
  }
  std::optional<Index::Entry> start;
  if (auto e = StartKey(input, *w, start)) return reply(Fail(*e));
  auto condition = std::make_shared<KeyCondition>(std::move(*kc));
  store.WhenReadable(
      *w->table, nullptr,
      [&store, w, page, condition, start, input, id = w->table->id, account = w->table->account,
       name = w->table->name, reply = std::move(reply)] {
        Table* t = store.Find(account, name);
        if (!t || t->id != id) return reply(Fail(NotFound()));
        const bool forward = At(input, "ScanIndexForward") != false;
        const std::string hash = EncodeKeyValue(condition->hash_value);
        const std::string range_name = w->keys->range ? w->keys->range->name : "";
        PageBuilder builder(*w, *page);
        bool more = false;
        auto matches = [&](const Item& item) {
          if (!condition->sort) return true;
          auto it = item.find(range_name);
          return it != item.end() && MatchesSortCondition(*condition->sort, it->second);
        };
        auto visit = [&](const Item& item) {
          if (!matches(item)) return true;
          if (!builder.Take(item)) {
            more = true;
            return false;
          }
          return true;
        };
        if (!w->index) {
          auto lo = t->items.lower_bound(ItemKey{hash, ""});
          auto hi = lo;
          while (hi != t->items.end() && hi->first.hash == hash) ++hi;
          if (forward) {
            auto it = start ? t->items.upper_bound(start->table) : lo;
            if (it != t->items.end() && it->first.hash != hash) it = hi;
            for (; it != hi; ++it) {
              if (!visit(it->second)) break;
            }
          } else {
            auto it = start ? t->items.lower_bound(start->table) : hi;
            while (it != lo && it != t->items.begin()) {
              --it;
              if (it->first.hash != hash) break;
              if (!visit(it->second)) break;
            }
          }
        } else {
          auto& entries = w->index->entries;
          Index::Entry first{{hash, ""}, {"", ""}};
          auto lo = entries.lower_bound(first);
          auto hi = lo;
          while (hi != entries.end() && hi->index.hash == hash) ++hi;
          auto item_of = [&](const Index::Entry& e) -> const Item* {
            auto it = t->items.find(e.table);
            return it == t->items.end() ? nullptr : &it->second;
          };
          if (forward) {
            auto it = start ? entries.upper_bound(*start) : lo;
            if (it != entries.end() && it->index.hash != hash) it = hi;
            for (; it != hi; ++it) {
              if (const Item* item = item_of(*it); item && !visit(*item)) break;
            }
          } else {
            auto it = start ? entries.lower_bound(*start) : hi;
            while (it != lo && it != entries.begin()) {
              --it;
              if (it->index.hash != hash) break;
              if (const Item* item = item_of(*it); item && !visit(*item)) break;
            }
          }
        }
        reply(Render(builder.Finish(more), *page, *w, input));
      });
}

// The segment of a parallel scan an item's hash key falls in.
int64_t SegmentOf(const std::string& hash, int64_t total) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : hash) h = (h ^ c) * 1099511628211ull;
  return static_cast<int64_t>(h % static_cast<uint64_t>(total));
}

void Scan(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  auto w = std::make_shared<Walk>();
  if (auto e = ResolveWalk(store, ctx, input, *w)) return reply(Fail(*e));
  auto expr = std::make_shared<Expressions>();
  if (auto e = ParseExpressions(input, *expr, false, false, true)) return reply(Fail(*e));
  auto page = std::make_shared<Page>();
  if (auto e = ParsePage(input, *w, *expr, *page, false)) return reply(Fail(*e));
  if (auto s = expr->context.CheckAllUsed(); !s.ok()) return reply(Fail(FromStatus(s)));
  int64_t segment = 0;
  int64_t total = 1;
  const bool has_segment = input.contains("Segment");
  const bool has_total = input.contains("TotalSegments");
  if (has_segment != has_total) {
    return reply(Fail(Validation(has_segment ? "The TotalSegments parameter is required but was"
                                               " not present in the request when Segment"
                                               " parameter is present"
                                             : "The Segment parameter is required but was not"
                                               " present in the request when parameter"
                                               " TotalSegments is present")));
  }
  if (has_total) {
    total =
        At(input, "TotalSegments").is_number_integer() ? input["TotalSegments"].get<int64_t>() : 0;
    segment = At(input, "Segment").is_number_integer() ? input["Segment"].get<int64_t>() : -1;
    if (total < 1 || total > 1000000) {
      return reply(Fail(Validation(
          "1 validation error detected: Value '" + std::to_string(total) +
          "' at 'totalSegments' failed to satisfy constraint: Member must"
          " have value " +
          (total < 1 ? "greater than or equal to 1" : "less than or equal to 1000000"))));
    }
    if (segment < 0 || segment >= total) {
      return reply(Fail(Validation(
          "The Segment parameter is zero-based and must be less than"
          " parameter TotalSegments: Segment: " +
          std::to_string(segment) + " is not less than TotalSegments: " + std::to_string(total))));
    }
  }
  std::optional<Index::Entry> start;
  if (auto e = StartKey(input, *w, start)) return reply(Fail(*e));
  store.WhenReadable(
      *w->table, nullptr,
      [&store, w, page, start, input, segment, total, id = w->table->id,
       account = w->table->account, name = w->table->name, reply = std::move(reply)] {
        Table* t = store.Find(account, name);
        if (!t || t->id != id) return reply(Fail(NotFound()));
        PageBuilder builder(*w, *page);
        bool more = false;
        auto visit = [&](const std::string& hash, const Item& item) {
          if (total > 1 && SegmentOf(hash, total) != segment) return true;
          if (!builder.Take(item)) {
            more = true;
            return false;
          }
          return true;
        };
        if (!w->index) {
          auto it = start ? t->items.upper_bound(start->table) : t->items.begin();
          for (; it != t->items.end(); ++it) {
            if (!visit(it->first.hash, it->second)) break;
          }
        } else {
          auto& entries = w->index->entries;
          auto it = start ? entries.upper_bound(*start) : entries.begin();
          for (; it != entries.end(); ++it) {
            auto item = t->items.find(it->table);
            if (item != t->items.end() && !visit(it->table.hash, item->second)) break;
          }
        }
        reply(Render(builder.Finish(more), *page, *w, input));
      });
}

// ---- Batches ----

void BatchGetItem(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  const json& request = At(input, "RequestItems");
  if (!request.is_object() || request.empty()) {
    return reply(
        Fail(Validation("1 validation error detected: Value null at 'requestItems' failed"
                        " to satisfy constraint: Member must have length greater than or"
                        " equal to 1")));
  }
  struct Get {
    Table* table;
    std::string table_name;
    ItemKey key;
    json key_json;
    std::shared_ptr<Expressions> expr;
    bool consistent;
  };
  auto gets = std::make_shared<std::vector<Get>>();
  size_t total = 0;
  for (const auto& [name, spec] : request.items()) total += At(spec, "Keys").size();
  if (total > 100) {
    return reply(Fail(Validation("Too many items requested for the BatchGetItem call")));
  }
  for (const auto& [name, spec] : request.items()) {
    Table* t = FindTable(store, ctx, name);
    if (!t) return reply(Fail(NotFound()));
    auto expr = std::make_shared<Expressions>();
    if (auto e = ParseExpressions(spec, *expr, false, false, true)) return reply(Fail(*e));
    if (auto s = expr->context.CheckAllUsed(); !s.ok()) return reply(Fail(FromStatus(s)));
    std::set<ItemKey> seen;
    for (const auto& k : At(spec, "Keys")) {
      auto key_item = ItemFromJson(k);
      if (!key_item.ok()) return reply(Fail(FromStatus(key_item.status())));
      auto key = KeyOf(t->keys, *key_item, true);
      if (!key.ok()) return reply(Fail(FromStatus(key.status())));
      if (!seen.insert(*key).second) {
        return reply(Fail(Validation("Provided list of item keys contains duplicates")));
      }
      gets->push_back({t, name, *key, k, expr, At(spec, "ConsistentRead") == true});
    }
  }
  store.AfterCommit([&store, ctx, gets, input, reply = std::move(reply)](Status) {
    Outcome out;
    json responses = json::object();
    json unprocessed = json::object();
    size_t bytes = 0;
    Capacity c;
    for (const auto& g : *gets) {
      if (!responses.contains(g.table_name)) responses[g.table_name] = json::array();
      Table* t = FindTable(store, ctx, g.table_name);
      if (!t) continue;
      auto it = t->items.find(g.key);
      if (it == t->items.end()) {
        c.Add(*t, ReadUnits(0, g.consistent));
        continue;
      }
      const size_t size = ItemSize(it->second);
      if (bytes + size > kBatchGetBytes) {
        json& u = unprocessed[g.table_name];
        if (!u.is_object()) u = {{"Keys", json::array()}};
        u["Keys"].push_back(g.key_json);
        continue;
      }
      bytes += size;
      c.Add(*t, ReadUnits(size, g.consistent));
      responses[g.table_name].push_back(
          ItemToJson(g.expr->projection ? Project(it->second, *g.expr->projection) : it->second));
    }
    out.output["Responses"] = responses;
    out.output["UnprocessedKeys"] = unprocessed;
    AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c, true);
    reply(out);
  });
}

void BatchWriteItem(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  const json& request = At(input, "RequestItems");
  size_t total = 0;
  if (request.is_object()) {
    for (const auto& [name, list] : request.items()) total += list.size();
  }
  if (!request.is_object() || total == 0 || total > 25) {
    return reply(Fail(Validation(
        "1 validation error detected: Value '" +
        (request.is_null() ? "null" : request.dump()).substr(0, 64) +
        "' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint:"
        " [Member must have length less than or equal to 25, Member must have length greater than"
        " or equal to 1]")));
  }
  std::vector<Change> changes;
  std::set<std::pair<int64_t, ItemKey>> seen;
  Capacity c;
  for (const auto& [name, list] : request.items()) {
    for (const auto& r : list) {
      Write w;
      json one;
      Write::Kind kind;
      if (r.contains("PutRequest")) {
        one = {{"TableName", name}, {"Item", At(r["PutRequest"], "Item")}};
        kind = Write::Kind::kPut;
      } else if (r.contains("DeleteRequest")) {
        one = {{"TableName", name}, {"Key", At(r["DeleteRequest"], "Key")}};
        kind = Write::Kind::kDelete;
      } else {
        return reply(
            Fail(Validation("Supplied AttributeValue has more than one datatypes set, must"
                            " contain exactly one of the supported datatypes")));
      }
      if (auto e = Prepare(store, ctx, kind, one, w)) return reply(Fail(*e));
      if (!seen.insert({w.table->id, w.key}).second) {
        return reply(Fail(Validation("Provided list of item keys contains duplicates")));
      }
      Judged j = Judge(w);
      c.Add(*w.table, WriteUnits(WriteBytes(j)));
      changes.push_back({w.table, w.key, std::move(j.next), false});
    }
  }
  Outcome out;
  out.output["UnprocessedItems"] = json::object();
  AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c, true);
  store.Write(std::move(changes), [reply = std::move(reply), out = std::move(out)](Status s) {
    reply(s.ok() ? out : Fail(Internal()));
  });
}

// ---- Transactions ----

void TransactWriteItems(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  const json& items = At(input, "TransactItems");
  if (!items.is_array() || items.empty() || items.size() > 100) {
    return reply(Fail(Validation(
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint:"
        " Member must have length " +
        std::string(items.is_array() && items.size() > 100 ? "less than or equal to 100"
                                                           : "greater than or equal to 1"))));
  }
  std::string token_key;
  if (input.contains("ClientRequestToken")) {
    token_key = ctx.account + "\n" + Str(input, "ClientRequestToken");
    auto& tokens = store.tokens();
    const int64_t now = store.Now();
    std::erase_if(tokens, [now](const auto& e) { return e.second.expires_ms <= now; });
    json canonical = input;
    canonical.erase("ReturnConsumedCapacity");
    auto it = tokens.find(token_key);
    if (it != tokens.end()) {
      if (it->second.request != canonical.dump()) {
        return reply(Fail({400, "IdempotentParameterMismatchException",
                           "Request parameters do not match the request previously made with"
                           " the same ClientRequestToken."}));
      }
      Outcome again;
      again.output = it->second.output;
      return reply(again);
    }
    tokens[token_key] = {canonical.dump(), now + kTokenLifeMs, json::object()};
  }
  std::vector<Write> writes;
  std::set<std::pair<int64_t, ItemKey>> seen;
  for (const auto& element : items) {
    static const std::pair<const char*, Write::Kind> kKinds[] = {
        {"ConditionCheck", Write::Kind::kCheck},
        {"Put", Write::Kind::kPut},
        {"Delete", Write::Kind::kDelete},
        {"Update", Write::Kind::kUpdate}};
    int found = 0;
    for (const auto& [name, kind] : kKinds) {
      if (!element.contains(name)) continue;
      ++found;
      Write w;
      if (auto e = Prepare(store, ctx, kind, element[name], w)) {
        if (!token_key.empty()) store.tokens().erase(token_key);
        return reply(Fail(*e));
      }
      writes.push_back(std::move(w));
    }
    if (found != 1) {
      if (!token_key.empty()) store.tokens().erase(token_key);
      return reply(
          Fail(Validation("TransactItems can only contain one of Check, Put, Update or"
                          " Delete")));
    }
    if (!seen.insert({writes.back().table->id, writes.back().key}).second) {
      if (!token_key.empty()) store.tokens().erase(token_key);
      return reply(
          Fail(Validation("Transaction request cannot include multiple operations on one item")));
    }
  }
  // Judge them all against the state as it is, then apply all or none.
  std::vector<Judged> judged;
  bool cancelled = false;
  for (const auto& w : writes) {
    judged.push_back(Judge(w));
    if (judged.back().error) {
      if (!token_key.empty()) store.tokens().erase(token_key);
      return reply(Fail(*judged.back().error));
    }
    cancelled = cancelled || judged.back().failed;
  }
  if (cancelled) {
    json reasons = json::array();
    std::string codes;
    for (size_t i = 0; i < writes.size(); ++i) {
      json r;
      if (judged[i].failed) {
        r = {{"Code", "ConditionalCheckFailed"}, {"Message", "The conditional request failed"}};
        if (writes[i].rv_on_fail == "ALL_OLD" && judged[i].old) {
          r["Item"] = ItemToJson(*judged[i].old);
        }
      } else {
        r = {{"Code", "None"}};
      }
      codes += (codes.empty() ? "" : ", ") + r["Code"].get<std::string>();
      reasons.push_back(r);
    }
    Error e{400, "TransactionCanceledException",
            "Transaction cancelled, please refer cancellation reasons for specific reasons [" +
                codes + "]"};
    e.extra["CancellationReasons"] = reasons;
    if (!token_key.empty()) store.tokens().erase(token_key);
    return reply(Fail(e));
  }
  std::vector<Change> changes;
  Capacity c;
  for (size_t i = 0; i < writes.size(); ++i) {
    // Transactions cost twice the units (ddb-dg transaction-apis, capacity management).
    c.Add(*writes[i].table, 2 * WriteUnits(WriteBytes(judged[i])));
    if (writes[i].kind == Write::Kind::kCheck) continue;
    changes.push_back({writes[i].table, writes[i].key, std::move(judged[i].next), false});
  }
  Outcome out;
  AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c, true);
  if (!token_key.empty()) store.tokens()[token_key].output = out.output;
  store.Write(std::move(changes), [reply = std::move(reply), out = std::move(out)](Status s) {
    reply(s.ok() ? out : Fail(Internal()));
  });
}

void TransactGetItems(TableStore& store, const Context& ctx, const json& input, Reply reply) {
  const json& items = At(input, "TransactItems");
  if (!items.is_array() || items.empty() || items.size() > 100) {
    return reply(Fail(Validation(
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint:"
        " Member must have length " +
        std::string(items.is_array() && items.size() > 100 ? "less than or equal to 100"
                                                           : "greater than or equal to 1"))));
  }
  struct Get {
    std::string table_name;
    ItemKey key;
    std::shared_ptr<Expressions> expr;
  };
  auto gets = std::make_shared<std::vector<Get>>();
  for (const auto& element : items) {
    const json& get = At(element, "Get");
    Table* t = FindTable(store, ctx, Str(get, "TableName"));
    if (!t) return reply(Fail(NotFound()));
    auto key_item = ItemFromJson(At(get, "Key"));
    if (!key_item.ok()) return reply(Fail(FromStatus(key_item.status())));
    auto key = KeyOf(t->keys, *key_item, true);
    if (!key.ok()) return reply(Fail(FromStatus(key.status())));
    auto expr = std::make_shared<Expressions>();
    if (auto e = ParseExpressions(get, *expr, false, false, true)) return reply(Fail(*e));
    if (auto s = expr->context.CheckAllUsed(); !s.ok()) return reply(Fail(FromStatus(s)));
    gets->push_back({Str(get, "TableName"), *key, expr});
  }
  store.AfterCommit([&store, ctx, gets, input, reply = std::move(reply)](Status) {
    Outcome out;
    json responses = json::array();
    Capacity c;
    for (const auto& g : *gets) {
      Table* t = FindTable(store, ctx, g.table_name);
      json r = json::object();
      if (t) {
        auto it = t->items.find(g.key);
        size_t bytes = 0;
        if (it != t->items.end()) {
          bytes = ItemSize(it->second);
          r["Item"] = ItemToJson(g.expr->projection ? Project(it->second, *g.expr->projection)
                                                    : it->second);
        }
        c.Add(*t, 2 * ReadUnits(bytes, true));
      }
      responses.push_back(r);
    }
    out.output["Responses"] = responses;
    AddCapacity(out, Str(input, "ReturnConsumedCapacity"), c, true);
    reply(out);
  });
}

}  // namespace

bool ExecuteItemOp(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                   Reply& reply) {
  if (op == "PutItem") {
    SingleWrite(store, ctx, Write::Kind::kPut, input, std::move(reply));
  } else if (op == "DeleteItem") {
    SingleWrite(store, ctx, Write::Kind::kDelete, input, std::move(reply));
  } else if (op == "UpdateItem") {
    SingleWrite(store, ctx, Write::Kind::kUpdate, input, std::move(reply));
  } else if (op == "GetItem") {
    GetItem(store, ctx, input, std::move(reply));
  } else if (op == "Query") {
    Query(store, ctx, input, std::move(reply));
  } else if (op == "Scan") {
    Scan(store, ctx, input, std::move(reply));
  } else if (op == "BatchGetItem") {
    BatchGetItem(store, ctx, input, std::move(reply));
  } else if (op == "BatchWriteItem") {
    BatchWriteItem(store, ctx, input, std::move(reply));
  } else if (op == "TransactWriteItems") {
    TransactWriteItems(store, ctx, input, std::move(reply));
  } else if (op == "TransactGetItems") {
    TransactGetItems(store, ctx, input, std::move(reply));
  } else {
    return false;
  }
  return true;
}

}  // namespace thaw::dynamodb
