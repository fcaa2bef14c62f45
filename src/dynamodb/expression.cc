#include "dynamodb/expression.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include "dynamodb/reserved_words.h"

namespace thaw::dynamodb {
namespace {

using nlohmann::json;

// AWS caps each expression at 4 KB; the cap also bounds the parser's recursion.
constexpr size_t kMaxExpressionBytes = 4096;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxInOperands = 100;

enum class Tok { kIdent, kName, kValue, kNumber, kPunct, kBad, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  size_t begin = 0;
  size_t end = 0;
  std::string_view text;
};

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    t.begin = i;
    if (IsWordChar(c) && c != '_') {
      size_t j = i;
      bool digits = true;
      while (j < text.size() && IsWordChar(text[j])) {
        digits = digits && IsDigitChar(text[j]);
        ++j;
      }
      t.kind = digits ? Tok::kNumber : (IsDigitChar(c) ? Tok::kBad : Tok::kIdent);
      i = j;
    } else if (c == '#' || c == ':') {
      size_t j = i + 1;
      while (j < text.size() && IsWordChar(text[j])) ++j;
      t.kind = j == i + 1 ? Tok::kBad : (c == '#' ? Tok::kName : Tok::kValue);
      i = j;
    } else if ((c == '<' || c == '>') && i + 1 < text.size() && text[i + 1] == '=') {
      t.kind = Tok::kPunct;
      i += 2;
    } else if (c == '<' && i + 1 < text.size() && text[i + 1] == '>') {
      t.kind = Tok::kPunct;
      i += 2;
    } else if (std::string_view("=<>(),.[]+-").find(c) != std::string_view::npos) {
      t.kind = Tok::kPunct;
      ++i;
    } else {
      // One character, whole: a UTF-8 lead byte takes its continuation bytes along, so the
      // token (quoted in the error) stays valid UTF-8.
      t.kind = Tok::kBad;
      ++i;
      while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    }
    t.end = i;
    t.text = text.substr(t.begin, t.end - t.begin);
    tokens.push_back(t);
  }
  Token end;
  end.kind = Tok::kEnd;
  end.begin = end.end = text.size();
  tokens.push_back(end);
  return tokens;
}

bool KeywordIs(const Token& t, std::string_view word) {
  if (t.kind != Tok::kIdent || t.text.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = t.text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != word[i]) return false;
  }
  return true;
}

// "{N:5}" as AWS prints a value in BETWEEN's messages.
std::string ShortValue(const AttributeValue& v) {
  json j = v.ToJson();
  std::string out = "{";
  for (const auto& [k, member] : j.items()) {
    out += k + ":" + (member.is_string() ? member.get<std::string>() : member.dump());
  }
  return out + "}";
}

std::string_view ComparatorText(Comparator op) {
  switch (op) {
    case Comparator::kEq:
      return "=";
    case Comparator::kNe:
      return "<>";
    case Comparator::kLt:
      return "<";
    case Comparator::kLe:
      return "<=";
    case Comparator::kGt:
      return ">";
    case Comparator::kGe:
      return ">=";
  }
  return "?";
}

// A function call or a bare operand before its meaning is known.
struct RawOperand {
  enum class Kind { kPath, kValue, kCall };
  Kind kind = Kind::kPath;
  Path path;
  AttributeValue value;
  bool value_defined = false;  // kValue: the placeholder resolved
  std::string function;
  std::vector<RawOperand> args;
};

// Semantic errors are noted by category while parsing goes on, and the first category in the
// expression kind's order wins, as DynamoDB reports them (dynalite's grammars record the same
// orders): e.g. an unknown function before a reserved word before an undefined #name.
enum class Category {
  kParens,
  kUnknownFunction,
  kMisusedFunction,
  kReserved,
  kSection,
  kPlaceholder,  // an undefined #name or :value, whichever came first
  kName,
  kValue,
  kOverlap,
  kConflict,
  kAddDelete,
  kOperandCount,
  kDistinct,
  kFunction,
  kCount,
};

constexpr Category kConditionOrder[] = {Category::kParens,          Category::kUnknownFunction,
                                        Category::kMisusedFunction, Category::kReserved,
                                        Category::kPlaceholder,     Category::kOperandCount,
                                        Category::kDistinct,        Category::kFunction};
constexpr Category kUpdateOrder[] = {
    Category::kReserved, Category::kUnknownFunction, Category::kSection,
    Category::kName,     Category::kValue,           Category::kOverlap,
    Category::kConflict, Category::kAddDelete,       Category::kOperandCount,
    Category::kFunction, Category::kMisusedFunction};
constexpr Category kProjectionOrder[] = {Category::kReserved, Category::kName, Category::kOverlap,
                                         Category::kConflict};

// AddDelete's long type names ("operator: ADD, operand type: STRING").
std::string_view LongTypeName(ValueType t) {
  switch (t) {
    case ValueType::kS:
      return "STRING";
    case ValueType::kN:
      return "NUMBER";
    case ValueType::kB:
      return "BINARY";
    case ValueType::kNull:
      return "NULL";
    case ValueType::kBool:
      return "BOOLEAN";
    case ValueType::kL:
      return "LIST";
    case ValueType::kM:
      return "MAP";
    case ValueType::kSS:
      return "STRING_SET";
    case ValueType::kNS:
      return "NUMBER_SET";
    case ValueType::kBS:
      return "BINARY_SET";
  }
  return "?";
}

bool IsConditionFunction(std::string_view f) {
  return f == "attribute_exists" || f == "attribute_not_exists" || f == "attribute_type" ||
         f == "begins_with" || f == "contains" || f == "size";
}
bool IsUpdateFunction(std::string_view f) { return f == "if_not_exists" || f == "list_append"; }

class Parser {
 public:
  // context == nullptr: the syntax pass (placeholders are not looked up, nothing is noted).
  Parser(std::string_view text, ExpressionKind kind, ExpressionContext* context)
      : text_(text), kind_(kind), context_(context), tokens_(Tokenize(text)) {}

  Status Error(std::string detail) const {
    return Status::InvalidArgument("Invalid " + std::string(ExpressionKindName(kind_)) + ": " +
                                   std::move(detail));
  }

  // Syntax error at the current token; near: the previous token to the next one, as written.
  Status SyntaxError() const {
    const Token& t = tokens_[pos_];
    size_t from = pos_ > 0 ? tokens_[pos_ - 1].begin : 0;
    if (t.kind == Tok::kEnd) {
      return Error("Syntax error; token: \"<EOF>\", near: \"" + std::string(text_.substr(from)) +
                   "\"");
    }
    size_t to = tokens_[pos_ + 1].kind == Tok::kEnd ? text_.size() : tokens_[pos_ + 1].end;
    return Error("Syntax error; token: \"" + std::string(t.text) + "\", near: \"" +
                 std::string(text_.substr(from, to - from)) + "\"");
  }

  bool HasNote(Category c) const { return notes_[static_cast<size_t>(c)].has_value(); }
  void Note(Category c, std::string detail) {
    if (!resolving()) return;
    auto& slot = notes_[static_cast<size_t>(c)];
    if (!slot) slot = std::move(detail);
  }
  // The noted error that DynamoDB would report, if any.
  template <size_t N>
  Status Noted(const Category (&order)[N]) const {
    for (Category c : order) {
      const auto& slot = notes_[static_cast<size_t>(c)];
      if (slot) return Error(*slot);
    }
    return Status::Ok();
  }

  bool resolving() const { return context_ != nullptr; }
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool AtEnd() const { return Peek().kind == Tok::kEnd; }
  bool IsPunct(std::string_view p, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kPunct && Peek(ahead).text == p;
  }
  Status Expect(std::string_view p) {
    if (!IsPunct(p)) return SyntaxError();
    ++pos_;
    return Status::Ok();
  }
  Status ExpectEnd() { return AtEnd() ? Status::Ok() : SyntaxError(); }
  Status CheckNotEmpty() const {
    if (tokens_.size() == 1) return Error("The expression can not be empty;");
    return Status::Ok();
  }
  Status CheckLength() const {
    if (text_.size() > kMaxExpressionBytes) {
      return Error("Expression size has exceeded the maximum allowed size; expression size: " +
                   std::to_string(text_.size()));
    }
    return Status::Ok();
  }

  // path ::= element ('.' element | '[' number ']')*
  StatusOr<Path> ParsePath() {
    Path path;
    THAW_ASSIGN_OR_RETURN(PathElement first, ParseName());
    path.elements.push_back(std::move(first));
    while (true) {
      if (IsPunct(".")) {
        ++pos_;
        THAW_ASSIGN_OR_RETURN(PathElement e, ParseName());
        path.elements.push_back(std::move(e));
      } else if (IsPunct("[")) {
        ++pos_;
        const Token& t = Peek();
        if (t.kind != Tok::kNumber || t.text.size() > 9) return SyntaxError();
        PathElement e;
        e.is_index = true;
        for (char c : t.text) e.index = e.index * 10 + static_cast<size_t>(c - '0');
        ++pos_;
        THAW_RETURN_IF_ERROR(Expect("]"));
        path.elements.push_back(std::move(e));
      } else {
        return path;
      }
    }
  }

  StatusOr<PathElement> ParseName() {
    const Token& t = Peek();
    PathElement e;
    if (t.kind == Tok::kIdent) {
      if (IsReservedWord(t.text)) {
        Note(Category::kReserved,
             "Attribute name is a reserved keyword; reserved keyword: " + std::string(t.text));
      }
      e.name = std::string(t.text);
    } else if (t.kind == Tok::kName) {
      if (resolving()) {
        const std::string* name = context_->Name(std::string(t.text));
        if (name == nullptr) {
          std::string detail =
              "An expression attribute name used in the document path is not defined; "
              "attribute name: " +
              std::string(t.text);
          Note(Category::kPlaceholder, detail);
          Note(Category::kName, std::move(detail));
        } else {
          e.name = *name;
        }
      }
    } else {
      return SyntaxError();
    }
    ++pos_;
    return e;
  }

  StatusOr<AttributeValue> ParseValueRef(bool* defined = nullptr) {
    const Token& t = Peek();
    if (t.kind != Tok::kValue) return SyntaxError();
    AttributeValue v;
    if (defined != nullptr) *defined = false;
    if (resolving()) {
      const AttributeValue* found = context_->Value(std::string(t.text));
      if (found == nullptr) {
        std::string detail =
            "An expression attribute value used in expression is not defined; attribute value: " +
            std::string(t.text);
        Note(Category::kPlaceholder, detail);
        Note(Category::kValue, std::move(detail));
      } else {
        v = *found;
        if (defined != nullptr) *defined = true;
      }
    }
    ++pos_;
    return v;
  }

  // operand ::= path | :value | name '(' operand (',' operand)* ')'
  StatusOr<RawOperand> ParseRawOperand(int depth) {
    if (depth > kMaxDepth) return Error("The expression has too many nested levels");
    if (IsPunct("(") && kind_ != ExpressionKind::kUpdate) {
      // An operand in parentheses, "(a) = :v"; "((a))" is redundant, as for conditions.
      size_t inner_length = OperandLength(pos_ + 2);
      if (IsPunct("(", 1) && IsPunct(")", 2 + inner_length) && IsPunct(")", 3 + inner_length)) {
        Note(Category::kParens, "The expression has redundant parentheses;");
      }
      ++pos_;
      THAW_ASSIGN_OR_RETURN(RawOperand inner, ParseRawOperand(depth + 1));
      THAW_RETURN_IF_ERROR(Expect(")"));
      return inner;
    }
    RawOperand op;
    const Token& t = Peek();
    if (t.kind == Tok::kIdent && IsPunct("(", 1)) {
      op.kind = RawOperand::Kind::kCall;
      op.function = std::string(t.text);
      pos_ += 2;
      while (true) {
        THAW_ASSIGN_OR_RETURN(RawOperand arg, ParseRawOperand(depth + 1));
        op.args.push_back(std::move(arg));
        if (IsPunct(",")) {
          ++pos_;
          continue;
        }
        THAW_RETURN_IF_ERROR(Expect(")"));
        return op;
      }
    }
    if (t.kind == Tok::kValue) {
      op.kind = RawOperand::Kind::kValue;
      THAW_ASSIGN_OR_RETURN(op.value, ParseValueRef(&op.value_defined));
      return op;
    }
    op.kind = RawOperand::Kind::kPath;
    THAW_ASSIGN_OR_RETURN(op.path, ParsePath());
    return op;
  }

  // False (and noted) when the call does not have n arguments.
  bool ArgCount(const RawOperand& call, size_t n) {
    if (call.args.size() == n) return true;
    Note(Category::kOperandCount,
         "Incorrect number of operands for operator or function; operator or function: " +
             call.function + ", number of operands: " + std::to_string(call.args.size()));
    return false;
  }
  bool NeedsPath(const RawOperand& arg, const std::string& function) {
    if (arg.kind == RawOperand::Kind::kPath) return true;
    Note(Category::kFunction,
         "Operator or function requires a document path; operator or function: " + function);
    return false;
  }
  std::string IncorrectOperand(std::string_view function, ValueType t) const {
    return "Incorrect operand type for operator or function; operator or function: " +
           std::string(function) + ", operand type: " + std::string(TypeName(t));
  }
  // A :value operand whose type is known (defined) and not one of `allowed`.
  static bool KnownTypeOutside(const RawOperand& op, std::initializer_list<ValueType> allowed) {
    if (op.kind != RawOperand::Kind::kValue || !op.value_defined) return false;
    return std::find(allowed.begin(), allowed.end(), op.value.type()) == allowed.end();
  }
  // Both paths and the same path: DynamoDB refuses a = a, begins_with(a, a) and the like.
  void CheckDistinct(std::string_view op, const RawOperand& a, const RawOperand& b) {
    if (a.kind == RawOperand::Kind::kPath && b.kind == RawOperand::Kind::kPath &&
        a.path == b.path) {
      Note(Category::kDistinct,
           "The first operand must be distinct from the remaining operands for this operator or "
           "function; operator: " +
               std::string(op) + ", first operand: " + a.path.ToString());
    }
  }

  // A condition's operand: path, :value or size(path); other functions are noted.
  Operand ToOperand(RawOperand raw) {
    Operand op;
    switch (raw.kind) {
      case RawOperand::Kind::kPath:
        op.kind = Operand::Kind::kPath;
        op.path = std::move(raw.path);
        return op;
      case RawOperand::Kind::kValue:
        op.kind = Operand::Kind::kValue;
        op.value = std::move(raw.value);
        return op;
      case RawOperand::Kind::kCall:
        break;
    }
    if (raw.function != "size") {
      if (IsConditionFunction(raw.function) || IsUpdateFunction(raw.function)) {
        Note(Category::kMisusedFunction,
             "The function is not allowed to be used this way in an expression; function: " +
                 raw.function);
      } else {
        Note(Category::kUnknownFunction, "Invalid function name; function: " + raw.function);
      }
      for (RawOperand& arg : raw.args) ToOperand(std::move(arg));  // notes inside them too
      return op;
    }
    if (!ArgCount(raw, 1)) return op;
    if (KnownTypeOutside(raw.args[0], {ValueType::kS, ValueType::kB, ValueType::kSS, ValueType::kNS,
                                       ValueType::kBS, ValueType::kL, ValueType::kM})) {
      Note(Category::kFunction, IncorrectOperand("size", raw.args[0].value.type()));
      return op;
    }
    if (!NeedsPath(raw.args[0], raw.function)) return op;
    op.kind = Operand::Kind::kSize;
    op.path = std::move(raw.args[0].path);
    return op;
  }

  StatusOr<Condition> ParseOr(int depth) {
    if (depth > kMaxDepth) return Error("The expression has too many nested levels");
    THAW_ASSIGN_OR_RETURN(Condition left, ParseAnd(depth));
    while (KeywordIs(Peek(), "OR")) {
      ++pos_;
      THAW_ASSIGN_OR_RETURN(Condition right, ParseAnd(depth));
      Condition c;
      c.kind = Condition::Kind::kOr;
      c.children.push_back(std::move(left));
      c.children.push_back(std::move(right));
      left = std::move(c);
    }
    return left;
  }

  StatusOr<Condition> ParseAnd(int depth) {
    THAW_ASSIGN_OR_RETURN(Condition left, ParseNot(depth));
    while (KeywordIs(Peek(), "AND")) {
      ++pos_;
      THAW_ASSIGN_OR_RETURN(Condition right, ParseNot(depth));
      Condition c;
      c.kind = Condition::Kind::kAnd;
      c.children.push_back(std::move(left));
      c.children.push_back(std::move(right));
      left = std::move(c);
    }
    return left;
  }

  StatusOr<Condition> ParseNot(int depth) {
    if (KeywordIs(Peek(), "NOT")) {
      if (depth > kMaxDepth) return Error("The expression has too many nested levels");
      ++pos_;
      THAW_ASSIGN_OR_RETURN(Condition child, ParseNot(depth + 1));
      Condition c;
      c.kind = Condition::Kind::kNot;
      c.children.push_back(std::move(child));
      return c;
    }
    return ParsePrimary(depth);
  }

  // Whether the current token continues an operand into a comparison.
  bool AtComparison() const {
    const Token& t = Peek();
    if (t.kind == Tok::kPunct) {
      return t.text == "=" || t.text == "<>" || t.text == "<" || t.text == "<=" || t.text == ">" ||
             t.text == ">=";
    }
    return KeywordIs(t, "BETWEEN") || KeywordIs(t, "IN");
  }

  // Tokens from `from` to the end of the balanced group starting there, or of one token;
  // 0 past the end. Used to look past a parenthesized group.
  size_t OperandLength(size_t from) const {
    if (from >= tokens_.size()) return 0;
    const Token& first = tokens_[from];
    if (first.kind != Tok::kPunct || first.text != "(") return 1;
    int level = 0;
    for (size_t i = from; i < tokens_.size(); ++i) {
      const Token& t = tokens_[i];
      if (t.kind != Tok::kPunct) continue;
      if (t.text == "(") ++level;
      if (t.text == ")" && --level == 0) return i - from + 1;
    }
    return tokens_.size() - from;
  }

  StatusOr<Condition> ParsePrimary(int depth) {
    // "(" starts a group of conditions, unless a comparison follows the group: then it is an
    // operand in parentheses.
    bool operand_group = false;
    if (IsPunct("(")) {
      size_t saved = pos_;
      pos_ += OperandLength(pos_);
      operand_group = AtComparison();
      pos_ = saved;
    }
    if (IsPunct("(") && !operand_group) {
      size_t open = pos_++;
      THAW_ASSIGN_OR_RETURN(Condition inner, ParseOr(depth + 1));
      // ((x)): the group right inside this one spans all of it.
      if (last_group_open_ == open + 1 && last_group_close_ + 1 == pos_ && IsPunct(")")) {
        Note(Category::kParens, "The expression has redundant parentheses;");
      }
      THAW_RETURN_IF_ERROR(Expect(")"));
      last_group_open_ = open;
      last_group_close_ = pos_ - 1;
      return inner;
    }
    THAW_ASSIGN_OR_RETURN(RawOperand raw_left, ParseRawOperand(depth + 1));
    if (raw_left.kind == RawOperand::Kind::kCall && !AtComparison()) {
      return FunctionCondition(std::move(raw_left));
    }
    Condition c;
    const Token& next = Peek();
    if (next.kind == Tok::kPunct) {
      static constexpr std::pair<std::string_view, Comparator> kComparators[] = {
          {"=", Comparator::kEq},  {"<>", Comparator::kNe}, {"<", Comparator::kLt},
          {"<=", Comparator::kLe}, {">", Comparator::kGt},  {">=", Comparator::kGe}};
      for (const auto& [text, op] : kComparators) {
        if (next.text != text) continue;
        ++pos_;
        THAW_ASSIGN_OR_RETURN(RawOperand raw_right, ParseRawOperand(depth + 1));
        CheckDistinct(text, raw_left, raw_right);
        c.kind = Condition::Kind::kCompare;
        c.op = op;
        c.operands.push_back(ToOperand(std::move(raw_left)));
        c.operands.push_back(ToOperand(std::move(raw_right)));
        return c;
      }
      return SyntaxError();
    }
    if (KeywordIs(next, "BETWEEN")) {
      ++pos_;
      THAW_ASSIGN_OR_RETURN(RawOperand raw_low, ParseRawOperand(depth + 1));
      if (!KeywordIs(Peek(), "AND")) return SyntaxError();
      ++pos_;
      THAW_ASSIGN_OR_RETURN(RawOperand raw_high, ParseRawOperand(depth + 1));
      bool bounds_known = raw_low.kind == RawOperand::Kind::kValue && raw_low.value_defined &&
                          raw_high.kind == RawOperand::Kind::kValue && raw_high.value_defined;
      c.kind = Condition::Kind::kBetween;
      c.operands.push_back(ToOperand(std::move(raw_left)));
      c.operands.push_back(ToOperand(std::move(raw_low)));
      c.operands.push_back(ToOperand(std::move(raw_high)));
      if (bounds_known) {
        const AttributeValue& low = c.operands[1].value;
        const AttributeValue& high = c.operands[2].value;
        std::string bounds = "lower bound operand: AttributeValue: " + ShortValue(low) +
                             ", upper bound operand: AttributeValue: " + ShortValue(high);
        if (low.type() != high.type()) {
          Note(
              Category::kFunction,
              "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds);
        } else if (IsKeyType(low.type()) && CompareScalars(low, high) > 0) {
          Note(Category::kFunction,
               "The BETWEEN operator requires upper bound to be greater than or equal to lower "
               "bound; " +
                   bounds);
        }
      }
      return c;
    }
    if (KeywordIs(next, "IN")) {
      ++pos_;
      THAW_RETURN_IF_ERROR(Expect("("));
      c.kind = Condition::Kind::kIn;
      c.operands.push_back(ToOperand(std::move(raw_left)));
      while (true) {
        THAW_ASSIGN_OR_RETURN(RawOperand raw, ParseRawOperand(depth + 1));
        c.operands.push_back(ToOperand(std::move(raw)));
        if (IsPunct(",")) {
          ++pos_;
          continue;
        }
        THAW_RETURN_IF_ERROR(Expect(")"));
        break;
      }
      if (c.operands.size() - 1 > kMaxInOperands) {
        Note(Category::kFunction,
             "The IN operator is provided with too many operands; number of operands: " +
                 std::to_string(c.operands.size() - 1));
      }
      return c;
    }
    return SyntaxError();
  }

  // A function used as a condition: attribute_exists, attribute_not_exists, attribute_type,
  // begins_with, contains.
  Condition FunctionCondition(RawOperand call) {
    Condition c;
    const std::string& f = call.function;
    if (f == "size" || IsUpdateFunction(f)) {
      Note(Category::kMisusedFunction,
           "The function is not allowed to be used this way in an expression; function: " + f);
      return c;
    }
    if (!IsConditionFunction(f)) {
      Note(Category::kUnknownFunction, "Invalid function name; function: " + f);
      return c;
    }
    for (const RawOperand& arg : call.args) {
      if (arg.kind == RawOperand::Kind::kCall && arg.function != "size") {
        Note(Category::kMisusedFunction,
             "The function is not allowed to be used this way in an expression; function: " +
                 arg.function);
      }
    }
    if (f == "attribute_exists" || f == "attribute_not_exists") {
      if (!ArgCount(call, 1) || !NeedsPath(call.args[0], f)) return c;
      c.kind = f == "attribute_exists" ? Condition::Kind::kAttributeExists
                                       : Condition::Kind::kAttributeNotExists;
      c.operands.push_back(ToOperand(std::move(call.args[0])));
      return c;
    }
    if (!ArgCount(call, 2)) return c;
    CheckDistinct(f, call.args[0], call.args[1]);
    if (f == "attribute_type") {
      c.kind = Condition::Kind::kAttributeType;
      const RawOperand& type = call.args[1];
      if (type.kind != RawOperand::Kind::kValue) {
        Note(Category::kFunction,
             "Incorrect operand type for operator or function; operator or function: " + f +
                 ", operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
      } else if (type.value_defined && type.value.type() != ValueType::kS) {
        Note(Category::kFunction, IncorrectOperand(f, type.value.type()));
      } else if (type.value_defined) {
        ValueType ignored;
        if (!ParseTypeName(type.value.str(), &ignored)) {
          Note(Category::kFunction, "Invalid attribute type name found; type: " + type.value.str() +
                                        ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
        }
      }
    } else if (f == "begins_with") {
      c.kind = Condition::Kind::kBeginsWith;
      for (const RawOperand& arg : call.args) {
        if (KnownTypeOutside(arg, {ValueType::kS, ValueType::kB})) {
          Note(Category::kFunction, IncorrectOperand(f, arg.value.type()));
          break;
        }
      }
    } else {
      c.kind = Condition::Kind::kContains;
    }
    c.operands.push_back(ToOperand(std::move(call.args[0])));
    c.operands.push_back(ToOperand(std::move(call.args[1])));
    return c;
  }

  // A SET operand: path, :value, if_not_exists(path, operand), list_append(operand, operand).
  UpdateOperand ToUpdateOperand(RawOperand raw) {
    UpdateOperand op;
    switch (raw.kind) {
      case RawOperand::Kind::kPath:
        op.kind = UpdateOperand::Kind::kPath;
        op.path = std::move(raw.path);
        return op;
      case RawOperand::Kind::kValue:
        op.kind = UpdateOperand::Kind::kValue;
        op.value = std::move(raw.value);
        return op;
      case RawOperand::Kind::kCall:
        break;
    }
    const std::string& f = raw.function;
    if (!IsUpdateFunction(f)) {
      Note(Category::kUnknownFunction,
           IsConditionFunction(f)
               ? "The function is not allowed in an update expression; function: " + f
               : "Invalid function name; function: " + f);
      for (RawOperand& arg : raw.args) ToUpdateOperand(std::move(arg));
      return op;
    }
    std::vector<UpdateOperand> args;
    for (const RawOperand& arg : raw.args) {
      if (f == "list_append" && KnownTypeOutside(arg, {ValueType::kL})) {
        Note(Category::kFunction, IncorrectOperand(f, arg.value.type()));
      }
    }
    bool path_first = raw.args.empty() || raw.args[0].kind == RawOperand::Kind::kPath;
    for (RawOperand& arg : raw.args) args.push_back(ToUpdateOperand(std::move(arg)));
    if (raw.args.size() != 2) {
      ArgCount(raw, 2);
      return op;
    }
    if (f == "if_not_exists") {
      if (!path_first) {
        Note(Category::kFunction,
             "Operator or function requires a document path; operator or function: " + f);
        return op;
      }
      op.kind = UpdateOperand::Kind::kIfNotExists;
      op.path = std::move(args[0].path);
      op.args.push_back(std::move(args[1]));
      return op;
    }
    op.kind = UpdateOperand::Kind::kListAppend;
    op.args = std::move(args);
    return op;
  }

  Status ParseUpdateSections(UpdateExpression& update) {
    bool seen[4] = {false, false, false, false};
    static constexpr std::string_view kSections[] = {"SET", "REMOVE", "ADD", "DELETE"};
    while (!AtEnd()) {
      int section = -1;
      for (int i = 0; i < 4; ++i) {
        if (KeywordIs(Peek(), kSections[i])) section = i;
      }
      if (section < 0) return SyntaxError();
      if (seen[section]) {
        Note(Category::kSection, "The \"" + std::string(kSections[section]) +
                                     "\" section can only be used once in an update expression;");
      }
      seen[section] = true;
      ++pos_;
      while (true) {
        THAW_ASSIGN_OR_RETURN(Path path, ParsePath());
        if (section == 0) {
          SetAction action;
          action.path = std::move(path);
          THAW_RETURN_IF_ERROR(Expect("="));
          THAW_ASSIGN_OR_RETURN(RawOperand raw_left, ParseRawOperand(0));
          RawOperand raw_right;
          if (IsPunct("+") || IsPunct("-")) {
            action.op = Peek().text[0];
            ++pos_;
            THAW_ASSIGN_OR_RETURN(raw_right, ParseRawOperand(0));
            for (const RawOperand* o : {&raw_left, &raw_right}) {
              if (KnownTypeOutside(*o, {ValueType::kN})) {
                Note(Category::kFunction,
                     IncorrectOperand(std::string(1, action.op), o->value.type()));
              }
            }
            action.right = ToUpdateOperand(std::move(raw_right));
          }
          action.left = ToUpdateOperand(std::move(raw_left));
          update.set.push_back(std::move(action));
        } else if (section == 1) {
          update.remove.push_back(std::move(path));
        } else {
          UpdateExpression::ValueAction action;
          action.path = std::move(path);
          bool defined = false;
          THAW_ASSIGN_OR_RETURN(action.value, ParseValueRef(&defined));
          ValueType t = action.value.type();
          bool wrong = section == 2 ? (t != ValueType::kN && !IsSetType(t)) : !IsSetType(t);
          if (defined && wrong) {
            Note(Category::kAddDelete,
                 std::string("Incorrect operand type for operator or function; operator: ") +
                     (section == 2 ? "ADD" : "DELETE") +
                     ", operand type: " + std::string(LongTypeName(t)));
          }
          (section == 2 ? update.add : update.del).push_back(std::move(action));
        }
        if (!IsPunct(",")) break;
        ++pos_;
      }
    }
    return Status::Ok();
  }

  // Overlap (one path a prefix of the other) or conflict (one indexes where the other names);
  // AWS refuses both in one UpdateExpression or ProjectionExpression.
  void CheckPathsDisjoint(const std::vector<const Path*>& paths) {
    for (size_t i = 0; i < paths.size(); ++i) {
      for (size_t j = i + 1; j < paths.size(); ++j) {
        const auto& a = paths[i]->elements;
        const auto& b = paths[j]->elements;
        size_t n = std::min(a.size(), b.size());
        size_t k = 0;
        bool conflict = false;
        for (; k < n; ++k) {
          if (a[k] == b[k]) continue;
          conflict = a[k].is_index != b[k].is_index;
          break;
        }
        Category category = conflict ? Category::kConflict : Category::kOverlap;
        if ((k == n || conflict) && !HasNote(category)) {
          Note(category,
               std::string("Two document paths ") + (conflict ? "conflict" : "overlap") +
                   " with each other; must remove or rewrite one of these paths; path one: " +
                   paths[i]->ToString() + ", path two: " + paths[j]->ToString());
        }
      }
    }
  }

 private:
  std::string_view text_;
  ExpressionKind kind_;
  ExpressionContext* context_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  // The token positions of the parenthesized condition that closed last.
  size_t last_group_open_ = SIZE_MAX;
  size_t last_group_close_ = SIZE_MAX;
  std::array<std::optional<std::string>, static_cast<size_t>(Category::kCount)> notes_;
};

// Runs `parse` over the text twice: syntax, then resolution, whose noted errors are reported
// in `order`.
template <typename Result, size_t N, typename ParseFn>
StatusOr<Result> TwoPass(std::string_view text, ExpressionKind kind, ExpressionContext& context,
                         const Category (&order)[N], ParseFn parse) {
  {
    Parser syntax(text, kind, nullptr);
    THAW_RETURN_IF_ERROR(syntax.CheckLength());
    THAW_RETURN_IF_ERROR(syntax.CheckNotEmpty());
    StatusOr<Result> checked = parse(syntax);
    if (!checked.ok()) return checked.status();
  }
  Parser resolve(text, kind, &context);
  StatusOr<Result> result = parse(resolve);
  if (!result.ok()) return result.status();
  THAW_RETURN_IF_ERROR(resolve.Noted(order));
  return result;
}

}  // namespace

std::string_view ExpressionKindName(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::kCondition:
      return "ConditionExpression";
    case ExpressionKind::kFilter:
      return "FilterExpression";
    case ExpressionKind::kKeyCondition:
      return "KeyConditionExpression";
    case ExpressionKind::kProjection:
      return "ProjectionExpression";
    case ExpressionKind::kUpdate:
      return "UpdateExpression";
  }
  return "Expression";
}

std::string Path::ToString() const {
  std::string out = "[";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ", ";
    out += elements[i].is_index ? "[" + std::to_string(elements[i].index) + "]" : elements[i].name;
  }
  return out + "]";
}

ExpressionContext::ExpressionContext(std::map<std::string, std::string> names,
                                     std::map<std::string, AttributeValue> values)
    : names_(std::move(names)), values_(std::move(values)) {}

StatusOr<ExpressionContext> ExpressionContext::FromJson(const json* names, const json* values) {
  ExpressionContext context;
  auto valid_key = [](const std::string& key, char lead) {
    if (key.size() < 2 || key[0] != lead) return false;
    for (size_t i = 1; i < key.size(); ++i) {
      if (!IsWordChar(key[i])) return false;
    }
    return true;
  };
  if (names != nullptr && !names->is_null()) {
    if (!names->is_object()) {
      return Status::InvalidArgument("ExpressionAttributeNames must be a map");
    }
    if (names->empty())
      return Status::InvalidArgument("ExpressionAttributeNames must not be empty");
    for (const auto& [key, name] : names->items()) {
      if (!valid_key(key, '#')) {
        return Status::InvalidArgument(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + key + "\"");
      }
      if (!name.is_string()) {
        return Status::InvalidArgument("ExpressionAttributeNames values must be strings");
      }
      if (name.get_ref<const std::string&>().empty()) {
        return Status::InvalidArgument(
            "ExpressionAttributeNames contains invalid value: Empty attribute name; for key: \"" +
            key + "\"");
      }
      context.names_.emplace(key, name.get<std::string>());
    }
  }
  if (values != nullptr && !values->is_null()) {
    if (!values->is_object()) {
      return Status::InvalidArgument("ExpressionAttributeValues must be a map");
    }
    if (values->empty()) {
      return Status::InvalidArgument("ExpressionAttributeValues must not be empty");
    }
    for (const auto& [key, value] : values->items()) {
      if (!valid_key(key, ':')) {
        return Status::InvalidArgument(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + key + "\"");
      }
      StatusOr<AttributeValue> v = AttributeValue::FromJson(value);
      if (!v.ok()) {
        return Status::InvalidArgument("ExpressionAttributeValues contains invalid value: " +
                                       v.status().message() + " for key " + key);
      }
      context.values_.emplace(key, std::move(*v));
    }
  }
  return context;
}

const std::string* ExpressionContext::Name(const std::string& placeholder) {
  auto it = names_.find(placeholder);
  if (it == names_.end()) return nullptr;
  used_names_.insert(placeholder);
  return &it->second;
}

const AttributeValue* ExpressionContext::Value(const std::string& placeholder) {
  auto it = values_.find(placeholder);
  if (it == values_.end()) return nullptr;
  used_values_.insert(placeholder);
  return &it->second;
}

Status ExpressionContext::CheckAllUsed() const {
  auto unused = [](const auto& all, const std::set<std::string>& used) {
    std::string keys;
    for (const auto& entry : all) {
      if (used.count(entry.first) != 0) continue;
      if (!keys.empty()) keys += ", ";
      keys += entry.first;
    }
    return keys;
  };
  std::string names = unused(names_, used_names_);
  if (!names.empty()) {
    return Status::InvalidArgument(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + names + "}");
  }
  std::string values = unused(values_, used_values_);
  if (!values.empty()) {
    return Status::InvalidArgument(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + values +
        "}");
  }
  return Status::Ok();
}

StatusOr<Condition> ParseCondition(std::string_view text, ExpressionKind kind,
                                   ExpressionContext& context) {
  return TwoPass<Condition>(text, kind, context, kConditionOrder,
                            [](Parser& p) -> StatusOr<Condition> {
                              THAW_ASSIGN_OR_RETURN(Condition c, p.ParseOr(0));
                              THAW_RETURN_IF_ERROR(p.ExpectEnd());
                              return c;
                            });
}

StatusOr<std::vector<Path>> ParseProjection(std::string_view text, ExpressionContext& context) {
  return TwoPass<std::vector<Path>>(text, ExpressionKind::kProjection, context, kProjectionOrder,
                                    [](Parser& p) -> StatusOr<std::vector<Path>> {
                                      std::vector<Path> paths;
                                      while (true) {
                                        THAW_ASSIGN_OR_RETURN(Path path, p.ParsePath());
                                        paths.push_back(std::move(path));
                                        if (!p.IsPunct(",")) break;
                                        THAW_RETURN_IF_ERROR(p.Expect(","));
                                      }
                                      THAW_RETURN_IF_ERROR(p.ExpectEnd());
                                      if (p.resolving()) {
                                        std::vector<const Path*> all;
                                        for (const Path& path : paths) all.push_back(&path);
                                        p.CheckPathsDisjoint(all);
                                      }
                                      return paths;
                                    });
}

StatusOr<UpdateExpression> ParseUpdate(std::string_view text, ExpressionContext& context) {
  return TwoPass<UpdateExpression>(text, ExpressionKind::kUpdate, context, kUpdateOrder,
                                   [](Parser& p) -> StatusOr<UpdateExpression> {
                                     UpdateExpression update;
                                     THAW_RETURN_IF_ERROR(p.ParseUpdateSections(update));
                                     if (p.resolving()) {
                                       std::vector<const Path*> all;
                                       for (const SetAction& a : update.set) all.push_back(&a.path);
                                       for (const Path& path : update.remove) all.push_back(&path);
                                       for (const auto& a : update.add) all.push_back(&a.path);
                                       for (const auto& a : update.del) all.push_back(&a.path);
                                       p.CheckPathsDisjoint(all);
                                     }
                                     return update;
                                   });
}

namespace {

// One leaf of a key condition: name op value(s), as a KeyCondition::SortCondition.
StatusOr<KeyCondition::SortCondition> KeyLeaf(const Condition& c, const Parser& p) {
  auto invalid_operator = [&](std::string_view op) {
    return Status::InvalidArgument("Invalid operator used in KeyConditionExpression: " +
                                   std::string(op));
  };
  KeyCondition::SortCondition leaf;
  const Operand* path = nullptr;
  switch (c.kind) {
    case Condition::Kind::kCompare: {
      if (c.op == Comparator::kNe) return invalid_operator("<>");
      const Operand& a = c.operands[0];
      const Operand& b = c.operands[1];
      if (a.kind == Operand::Kind::kPath && b.kind == Operand::Kind::kPath) {
        return Status::InvalidArgument(
            "KeyConditionExpressions must only contain one condition per key");
      }
      leaf.kind = KeyCondition::SortCondition::Kind::kCompare;
      leaf.op = c.op;
      if (a.kind == Operand::Kind::kPath && b.kind == Operand::Kind::kValue) {
        path = &a;
        leaf.low = b.value;
      } else if (b.kind == Operand::Kind::kPath && a.kind == Operand::Kind::kValue) {
        // :v < k is k > :v.
        path = &b;
        leaf.low = a.value;
        static constexpr Comparator kFlipped[] = {Comparator::kEq, Comparator::kNe,
                                                  Comparator::kGt, Comparator::kGe,
                                                  Comparator::kLt, Comparator::kLe};
        leaf.op = kFlipped[static_cast<int>(c.op)];
      } else {
        return invalid_operator(a.kind == Operand::Kind::kSize || b.kind == Operand::Kind::kSize
                                    ? "size"
                                    : ComparatorText(c.op));
      }
      break;
    }
    case Condition::Kind::kBetween:
      if (c.operands[0].kind != Operand::Kind::kPath ||
          c.operands[1].kind != Operand::Kind::kValue ||
          c.operands[2].kind != Operand::Kind::kValue) {
        return invalid_operator("BETWEEN");
      }
      leaf.kind = KeyCondition::SortCondition::Kind::kBetween;
      path = &c.operands[0];
      leaf.low = c.operands[1].value;
      leaf.high = c.operands[2].value;
      break;
    case Condition::Kind::kBeginsWith:
      if (c.operands[1].kind != Operand::Kind::kValue) return invalid_operator("begins_with");
      leaf.kind = KeyCondition::SortCondition::Kind::kBeginsWith;
      path = &c.operands[0];
      leaf.low = c.operands[1].value;
      break;
    case Condition::Kind::kAnd:
      return invalid_operator("AND");
    case Condition::Kind::kOr:
      return invalid_operator("OR");
    case Condition::Kind::kNot:
      return invalid_operator("NOT");
    case Condition::Kind::kIn:
      return invalid_operator("IN");
    case Condition::Kind::kAttributeExists:
      return invalid_operator("attribute_exists");
    case Condition::Kind::kAttributeNotExists:
      return invalid_operator("attribute_not_exists");
    case Condition::Kind::kAttributeType:
      return invalid_operator("attribute_type");
    case Condition::Kind::kContains:
      return invalid_operator("contains");
  }
  if (path->kind != Operand::Kind::kPath || path->path.elements.size() != 1) {
    return p.Error("Nested attributes are not supported in KeyConditionExpression");
  }
  leaf.name = path->path.top();
  return leaf;
}

}  // namespace

StatusOr<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionContext& context,
                                         const std::string& hash_key,
                                         const std::string& range_key) {
  return TwoPass<KeyCondition>(
      text, ExpressionKind::kKeyCondition, context, kConditionOrder,
      [&](Parser& p) -> StatusOr<KeyCondition> {
        THAW_ASSIGN_OR_RETURN(Condition c, p.ParseOr(0));
        THAW_RETURN_IF_ERROR(p.ExpectEnd());
        KeyCondition key;
        if (!p.resolving()) return key;
        // The expression's own errors come before the key schema's.
        THAW_RETURN_IF_ERROR(p.Noted(kConditionOrder));
        std::vector<const Condition*> leaves;
        // The leaves under ANDs: a AND b AND c is three conditions.
        std::vector<const Condition*> pending = {&c};
        while (!pending.empty()) {
          const Condition* node = pending.back();
          pending.pop_back();
          if (node->kind == Condition::Kind::kAnd) {
            pending.push_back(&node->children[1]);
            pending.push_back(&node->children[0]);
          } else {
            leaves.push_back(node);
          }
        }
        std::vector<KeyCondition::SortCondition> parts;
        for (const Condition* leaf : leaves) {
          THAW_ASSIGN_OR_RETURN(KeyCondition::SortCondition part, KeyLeaf(*leaf, p));
          for (const auto& earlier : parts) {
            if (earlier.name == part.name) {
              return Status::InvalidArgument(
                  "KeyConditionExpressions must only contain one condition per key");
            }
          }
          parts.push_back(std::move(part));
        }
        bool have_hash = false;
        for (const auto& part : parts) have_hash = have_hash || part.name == hash_key;
        if (!have_hash) {
          return Status::InvalidArgument("Query condition missed key schema element: " + hash_key);
        }
        for (auto& part : parts) {
          if (part.name == hash_key) {
            if (part.kind != KeyCondition::SortCondition::Kind::kCompare ||
                part.op != Comparator::kEq) {
              return Status::InvalidArgument("Query key condition not supported");
            }
            key.hash_name = part.name;
            key.hash_value = std::move(part.low);
          } else if (!range_key.empty() && part.name == range_key) {
            key.sort = std::move(part);
          } else if (range_key.empty()) {
            return Status::InvalidArgument("Query key condition not supported");
          } else {
            // An attribute outside the key schema where the sort key belongs.
            return Status::InvalidArgument("Query condition missed key schema element: " +
                                           range_key);
          }
        }
        return key;
      });
}

}  // namespace thaw::dynamodb
