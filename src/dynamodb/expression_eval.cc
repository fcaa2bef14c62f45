#include "dynamodb/expression_eval.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

namespace thaw::dynamodb {
namespace {

Status Refers() {
  return Status::InvalidArgument(
      "The provided expression refers to an attribute that does not exist in the item");
}
Status IncorrectType() {
  return Status::InvalidArgument("An operand in the update expression has an incorrect data type");
}
Status InvalidPath() {
  return Status::InvalidArgument(
      "The document path provided in the update expression is invalid for update");
}

const AttributeValue* Step(const AttributeValue& v, const PathElement& e) {
  if (e.is_index) {
    if (v.type() != ValueType::kL || e.index >= v.list().size()) return nullptr;
    return &v.list()[e.index];
  }
  if (v.type() != ValueType::kM) return nullptr;
  auto it = v.map().find(e.name);
  return it == v.map().end() ? nullptr : &it->second;
}

// The value an operand denotes; size() is computed into `scratch`.
const AttributeValue* Resolve(const Operand& op, const Item& item, AttributeValue& scratch) {
  switch (op.kind) {
    case Operand::Kind::kValue:
      return &op.value;
    case Operand::Kind::kPath:
      return Lookup(item, op.path);
    case Operand::Kind::kSize: {
      const AttributeValue* v = Lookup(item, op.path);
      if (v == nullptr) return nullptr;
      size_t size = 0;
      switch (v->type()) {
        case ValueType::kS:
        case ValueType::kB:
          size = v->str_or_bytes().size();
          break;
        case ValueType::kSS:
        case ValueType::kNS:
        case ValueType::kBS:
          size = v->set_size();
          break;
        case ValueType::kL:
          size = v->list().size();
          break;
        case ValueType::kM:
          size = v->map().size();
          break;
        default:
          return nullptr;  // N, BOOL and NULL have no size: the condition is false
      }
      scratch = AttributeValue::Num(Number::FromInt(static_cast<int64_t>(size)));
      return &scratch;
    }
  }
  return nullptr;
}

bool Ordered(const AttributeValue* a, const AttributeValue* b, int* order) {
  if (a == nullptr || b == nullptr || a->type() != b->type() || !IsKeyType(a->type())) {
    return false;
  }
  *order = CompareScalars(*a, *b);
  return true;
}

bool Compare(Comparator op, const AttributeValue* a, const AttributeValue* b) {
  if (op == Comparator::kEq) return a != nullptr && b != nullptr && *a == *b;
  if (op == Comparator::kNe) {
    if (a == nullptr || b == nullptr) return (a == nullptr) != (b == nullptr);
    return !(*a == *b);
  }
  int order = 0;
  if (!Ordered(a, b, &order)) return false;
  switch (op) {
    case Comparator::kLt:
      return order < 0;
    case Comparator::kLe:
      return order <= 0;
    case Comparator::kGt:
      return order > 0;
    case Comparator::kGe:
      return order >= 0;
    default:
      return false;
  }
}

bool Contains(const AttributeValue& haystack, const AttributeValue& needle) {
  switch (haystack.type()) {
    case ValueType::kS:
    case ValueType::kB:
      return needle.type() == haystack.type() &&
             haystack.str_or_bytes().find(needle.str_or_bytes()) != std::string::npos;
    case ValueType::kSS:
      return needle.type() == ValueType::kS &&
             std::binary_search(haystack.string_members().begin(), haystack.string_members().end(),
                                needle.str());
    case ValueType::kBS:
      return needle.type() == ValueType::kB &&
             std::binary_search(haystack.string_members().begin(), haystack.string_members().end(),
                                needle.bytes());
    case ValueType::kNS:
      return needle.type() == ValueType::kN &&
             std::binary_search(haystack.number_members().begin(), haystack.number_members().end(),
                                needle.number());
    case ValueType::kL:
      return std::find(haystack.list().begin(), haystack.list().end(), needle) !=
             haystack.list().end();
    default:
      return false;
  }
}

bool BeginsWith(const AttributeValue& v, const AttributeValue& prefix) {
  return IsKeyType(v.type()) && v.type() != ValueType::kN && v.type() == prefix.type() &&
         v.str_or_bytes().starts_with(prefix.str_or_bytes());
}

AttributeValue* MutableLookup(Item& item, const Path& path, size_t length) {
  auto it = item.find(path.top());
  if (it == item.end()) return nullptr;
  AttributeValue* v = &it->second;
  for (size_t i = 1; i < length; ++i) {
    const PathElement& e = path.elements[i];
    if (e.is_index) {
      if (v->type() != ValueType::kL || e.index >= v->list().size()) return nullptr;
      v = &v->mutable_list()[e.index];
    } else {
      if (v->type() != ValueType::kM) return nullptr;
      auto m = v->mutable_map().find(e.name);
      if (m == v->mutable_map().end()) return nullptr;
      v = &m->second;
    }
  }
  return v;
}

Status Assign(Item& item, const Path& path, AttributeValue value) {
  if (path.elements.size() == 1) {
    item[path.top()] = std::move(value);
    return Status::Ok();
  }
  AttributeValue* parent = MutableLookup(item, path, path.elements.size() - 1);
  if (parent == nullptr) return InvalidPath();
  const PathElement& last = path.elements.back();
  if (last.is_index) {
    if (parent->type() != ValueType::kL) return InvalidPath();
    std::vector<AttributeValue>& list = parent->mutable_list();
    // Past the end appends, as DynamoDB does.
    if (last.index < list.size()) {
      list[last.index] = std::move(value);
    } else {
      list.push_back(std::move(value));
    }
    return Status::Ok();
  }
  if (parent->type() != ValueType::kM) return InvalidPath();
  parent->mutable_map()[last.name] = std::move(value);
  return Status::Ok();
}

Status Remove(Item& item, const Path& path) {
  if (path.elements.size() == 1) {
    item.erase(path.top());
    return Status::Ok();
  }
  AttributeValue* parent = MutableLookup(item, path, path.elements.size() - 1);
  if (parent == nullptr) return InvalidPath();
  const PathElement& last = path.elements.back();
  if (last.is_index) {
    if (parent->type() != ValueType::kL) return InvalidPath();
    std::vector<AttributeValue>& list = parent->mutable_list();
    if (last.index < list.size())
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(last.index));
    return Status::Ok();
  }
  if (parent->type() != ValueType::kM) return InvalidPath();
  parent->mutable_map().erase(last.name);
  return Status::Ok();
}

StatusOr<AttributeValue> EvaluateOperand(const UpdateOperand& op, const Item& item) {
  switch (op.kind) {
    case UpdateOperand::Kind::kValue:
      return op.value;
    case UpdateOperand::Kind::kPath: {
      const AttributeValue* v = Lookup(item, op.path);
      if (v == nullptr) return Refers();
      return *v;
    }
    case UpdateOperand::Kind::kIfNotExists: {
      const AttributeValue* v = Lookup(item, op.path);
      if (v != nullptr) return *v;
      return EvaluateOperand(op.args[0], item);
    }
    case UpdateOperand::Kind::kListAppend: {
      THAW_ASSIGN_OR_RETURN(AttributeValue a, EvaluateOperand(op.args[0], item));
      THAW_ASSIGN_OR_RETURN(AttributeValue b, EvaluateOperand(op.args[1], item));
      if (a.type() != ValueType::kL || b.type() != ValueType::kL) return IncorrectType();
      std::vector<AttributeValue> list = a.list();
      list.insert(list.end(), b.list().begin(), b.list().end());
      return AttributeValue::List(std::move(list));
    }
  }
  return IncorrectType();
}

StatusOr<AttributeValue> EvaluateSet(const SetAction& action, const Item& item) {
  THAW_ASSIGN_OR_RETURN(AttributeValue left, EvaluateOperand(action.left, item));
  if (action.op == 0) return left;
  THAW_ASSIGN_OR_RETURN(AttributeValue right, EvaluateOperand(action.right, item));
  if (left.type() != ValueType::kN || right.type() != ValueType::kN) return IncorrectType();
  StatusOr<Number> result =
      action.op == '+' ? left.number().Add(right.number()) : left.number().Subtract(right.number());
  if (!result.ok()) return result.status();
  return AttributeValue::Num(std::move(*result));
}

// Set union or difference of two sets of one type.
AttributeValue CombineSets(const AttributeValue& a, const AttributeValue& b, bool add) {
  if (a.type() == ValueType::kNS) {
    std::vector<Number> out;
    const auto& x = a.number_members();
    const auto& y = b.number_members();
    if (add) {
      std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
    } else {
      std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
    }
    return AttributeValue::NumberSet(std::move(out));
  }
  std::vector<std::string> out;
  const auto& x = a.string_members();
  const auto& y = b.string_members();
  if (add) {
    std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  } else {
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  }
  return a.type() == ValueType::kSS ? AttributeValue::StringSet(std::move(out))
                                    : AttributeValue::BinarySet(std::move(out));
}

// Projection: a tree of the requested paths.
struct ProjectionNode {
  bool whole = false;
  std::map<std::string, ProjectionNode> names;
  std::map<size_t, ProjectionNode> indexes;
};

std::optional<AttributeValue> Extract(const ProjectionNode& node, const AttributeValue& v) {
  if (node.whole) return v;
  if (!node.names.empty() && v.type() == ValueType::kM) {
    Item out;
    for (const auto& [name, child] : node.names) {
      auto it = v.map().find(name);
      if (it == v.map().end()) continue;
      std::optional<AttributeValue> e = Extract(child, it->second);
      if (e) out.emplace(name, std::move(*e));
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::Map(std::move(out));
  }
  if (!node.indexes.empty() && v.type() == ValueType::kL) {
    std::vector<AttributeValue> out;
    for (const auto& [index, child] : node.indexes) {
      if (index >= v.list().size()) continue;
      std::optional<AttributeValue> e = Extract(child, v.list()[index]);
      if (e) out.push_back(std::move(*e));
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::List(std::move(out));
  }
  return std::nullopt;
}

}  // namespace

const AttributeValue* Lookup(const Item& item, const Path& path) {
  auto it = item.find(path.top());
  if (it == item.end()) return nullptr;
  const AttributeValue* v = &it->second;
  for (size_t i = 1; i < path.elements.size() && v != nullptr; ++i) {
    v = Step(*v, path.elements[i]);
  }
  return v;
}

namespace {

// A condition without children. Out of line, so the recursion over AND, OR and NOT (a chain of
// a few hundred ANDs fits in 4 KB of expression) keeps small frames.
[[gnu::noinline]] bool EvaluateLeaf(const Condition& c, const Item& item) {
  AttributeValue scratch_a;
  AttributeValue scratch_b;
  AttributeValue scratch_c;
  switch (c.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr:
    case Condition::Kind::kNot:
      return false;  // not leaves; Evaluate handles them
    case Condition::Kind::kCompare:
      return Compare(c.op, Resolve(c.operands[0], item, scratch_a),
                     Resolve(c.operands[1], item, scratch_b));
    case Condition::Kind::kBetween: {
      const AttributeValue* v = Resolve(c.operands[0], item, scratch_a);
      const AttributeValue* low = Resolve(c.operands[1], item, scratch_b);
      const AttributeValue* high = Resolve(c.operands[2], item, scratch_c);
      int lower = 0;
      int upper = 0;
      return Ordered(v, low, &lower) && Ordered(v, high, &upper) && lower >= 0 && upper <= 0;
    }
    case Condition::Kind::kIn: {
      const AttributeValue* v = Resolve(c.operands[0], item, scratch_a);
      if (v == nullptr) return false;
      for (size_t i = 1; i < c.operands.size(); ++i) {
        const AttributeValue* candidate = Resolve(c.operands[i], item, scratch_b);
        if (candidate != nullptr && *candidate == *v) return true;
      }
      return false;
    }
    case Condition::Kind::kAttributeExists:
      return Lookup(item, c.operands[0].path) != nullptr;
    case Condition::Kind::kAttributeNotExists:
      return Lookup(item, c.operands[0].path) == nullptr;
    case Condition::Kind::kAttributeType: {
      const AttributeValue* v = Resolve(c.operands[0], item, scratch_a);
      const AttributeValue* type = Resolve(c.operands[1], item, scratch_b);
      return v != nullptr && type != nullptr && type->type() == ValueType::kS &&
             TypeName(v->type()) == type->str();
    }
    case Condition::Kind::kBeginsWith: {
      const AttributeValue* v = Resolve(c.operands[0], item, scratch_a);
      const AttributeValue* prefix = Resolve(c.operands[1], item, scratch_b);
      return v != nullptr && prefix != nullptr && BeginsWith(*v, *prefix);
    }
    case Condition::Kind::kContains: {
      const AttributeValue* v = Resolve(c.operands[0], item, scratch_a);
      const AttributeValue* needle = Resolve(c.operands[1], item, scratch_b);
      return v != nullptr && needle != nullptr && Contains(*v, *needle);
    }
  }
  return false;
}

}  // namespace

bool Evaluate(const Condition& c, const Item& item) {
  switch (c.kind) {
    case Condition::Kind::kAnd:
      return Evaluate(c.children[0], item) && Evaluate(c.children[1], item);
    case Condition::Kind::kOr:
      return Evaluate(c.children[0], item) || Evaluate(c.children[1], item);
    case Condition::Kind::kNot:
      return !Evaluate(c.children[0], item);
    default:
      return EvaluateLeaf(c, item);
  }
}

Item Project(const Item& item, const std::vector<Path>& paths) {
  std::map<std::string, ProjectionNode> roots;
  for (const Path& path : paths) {
    ProjectionNode* node = &roots[path.top()];
    for (size_t i = 1; i < path.elements.size(); ++i) {
      const PathElement& e = path.elements[i];
      node = e.is_index ? &node->indexes[e.index] : &node->names[e.name];
    }
    node->whole = true;
  }
  Item out;
  for (const auto& [name, node] : roots) {
    auto it = item.find(name);
    if (it == item.end()) continue;
    std::optional<AttributeValue> v = Extract(node, it->second);
    if (v) out.emplace(name, std::move(*v));
  }
  return out;
}

StatusOr<UpdateResult> ApplyUpdate(const UpdateExpression& update, const Item& item,
                                   bool item_exists) {
  UpdateResult result;
  // Every SET operand reads the item as it was.
  std::vector<AttributeValue> set_values;
  set_values.reserve(update.set.size());
  for (const SetAction& action : update.set) {
    THAW_ASSIGN_OR_RETURN(AttributeValue v, EvaluateSet(action, item));
    set_values.push_back(std::move(v));
  }
  result.item = item;
  Item& out = result.item;
  // Several SETs past the end of one list append in index order, as DynamoDB documents.
  std::vector<size_t> set_order(update.set.size());
  for (size_t i = 0; i < set_order.size(); ++i) set_order[i] = i;
  std::stable_sort(set_order.begin(), set_order.end(), [&](size_t x, size_t y) {
    const auto& a = update.set[x].path.elements;
    const auto& b = update.set[y].path.elements;
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      if (a[i].is_index != b[i].is_index) return !a[i].is_index;
      if (a[i].is_index && a[i].index != b[i].index) return a[i].index < b[i].index;
      if (!a[i].is_index && a[i].name != b[i].name) return a[i].name < b[i].name;
    }
    return a.size() < b.size();
  });
  for (size_t i : set_order) {
    THAW_RETURN_IF_ERROR(Assign(out, update.set[i].path, std::move(set_values[i])));
  }
  // Removing from a list shifts what follows, so higher indexes go first: each REMOVE names an
  // element by its index before the update.
  std::vector<const Path*> removes;
  for (const Path& path : update.remove) removes.push_back(&path);
  std::sort(removes.begin(), removes.end(), [](const Path* a, const Path* b) {
    size_t n = std::min(a->elements.size(), b->elements.size());
    for (size_t i = 0; i < n; ++i) {
      const PathElement& x = a->elements[i];
      const PathElement& y = b->elements[i];
      if (x.is_index != y.is_index) return !x.is_index;
      if (x.is_index && x.index != y.index) return x.index > y.index;
      if (!x.is_index && x.name != y.name) return x.name < y.name;
    }
    return a->elements.size() < b->elements.size();
  });
  for (const Path* path : removes) {
    Status removed = Remove(out, *path);
    if (!removed.ok() && item_exists) return removed;
  }
  for (const auto& action : update.add) {
    const AttributeValue* existing = Lookup(out, action.path);
    if (existing == nullptr) {
      THAW_RETURN_IF_ERROR(Assign(out, action.path, action.value));
      continue;
    }
    if (existing->type() != action.value.type()) return IncorrectType();
    if (existing->type() == ValueType::kN) {
      StatusOr<Number> sum = existing->number().Add(action.value.number());
      if (!sum.ok()) return sum.status();
      THAW_RETURN_IF_ERROR(Assign(out, action.path, AttributeValue::Num(std::move(*sum))));
    } else {
      THAW_RETURN_IF_ERROR(Assign(out, action.path, CombineSets(*existing, action.value, true)));
    }
  }
  for (const auto& action : update.del) {
    const AttributeValue* existing = Lookup(out, action.path);
    if (existing == nullptr) continue;
    if (existing->type() != action.value.type()) return IncorrectType();
    AttributeValue rest = CombineSets(*existing, action.value, false);
    if (rest.set_size() == 0) {
      THAW_RETURN_IF_ERROR(Remove(out, action.path));
    } else {
      THAW_RETURN_IF_ERROR(Assign(out, action.path, std::move(rest)));
    }
  }
  if (ItemSize(out) > kMaxItemSize) {
    return Status::InvalidArgument("Item size to update has exceeded the maximum allowed size");
  }
  auto note = [&](const Path& path) {
    result.updated_paths.push_back(path);
    result.changed_attributes.push_back(path.top());
  };
  for (const SetAction& action : update.set) note(action.path);
  for (const Path& path : update.remove) note(path);
  for (const auto& action : update.add) note(action.path);
  for (const auto& action : update.del) note(action.path);
  std::sort(result.changed_attributes.begin(), result.changed_attributes.end());
  result.changed_attributes.erase(
      std::unique(result.changed_attributes.begin(), result.changed_attributes.end()),
      result.changed_attributes.end());
  return result;
}

bool MatchesSortCondition(const KeyCondition::SortCondition& condition,
                          const AttributeValue& value) {
  switch (condition.kind) {
    case KeyCondition::SortCondition::Kind::kCompare:
      return Compare(condition.op, &value, &condition.low);
    case KeyCondition::SortCondition::Kind::kBetween: {
      int lower = 0;
      int upper = 0;
      return Ordered(&value, &condition.low, &lower) && Ordered(&value, &condition.high, &upper) &&
             lower >= 0 && upper <= 0;
    }
    case KeyCondition::SortCondition::Kind::kBeginsWith:
      return BeginsWith(value, condition.low);
  }
  return false;
}

}  // namespace thaw::dynamodb
