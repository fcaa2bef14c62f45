#include "dynamodb/expression.h"

#include <string>

#include <gtest/gtest.h>

namespace thaw::dynamodb {
namespace {

using nlohmann::json;

ExpressionContext Context(std::string_view names, std::string_view values) {
  json n = json::parse(names.empty() ? "null" : names);
  json v = json::parse(values.empty() ? "null" : values);
  StatusOr<ExpressionContext> c = ExpressionContext::FromJson(&n, &v);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(*c) : ExpressionContext();
}

std::string ConditionError(std::string_view text, std::string_view names = "",
                           std::string_view values = "") {
  ExpressionContext c = Context(names, values);
  StatusOr<Condition> r = ParseCondition(text, ExpressionKind::kCondition, c);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

std::string UpdateError(std::string_view text, std::string_view names = "",
                        std::string_view values = "") {
  ExpressionContext c = Context(names, values);
  StatusOr<UpdateExpression> r = ParseUpdate(text, c);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

TEST(ExpressionParseTest, SyntaxErrorsQuoteTheTokenAndItsNeighbours) {
  EXPECT_EQ(UpdateError("SET a X b"),
            "Invalid UpdateExpression: Syntax error; token: \"X\", near: \"a X b\"");
  EXPECT_EQ(UpdateError("SET a = :v,", "", R"({":v":{"N":"1"}})"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(UpdateError("SET a = "),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"= \"");
  EXPECT_EQ(UpdateError("PUT a = :v"),
            "Invalid UpdateExpression: Syntax error; token: \"PUT\", near: \"PUT a\"");
  EXPECT_EQ(ConditionError("a = = b"),
            "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = b\"");
  EXPECT_EQ(ConditionError("a @ b"),
            "Invalid ConditionExpression: Syntax error; token: \"@\", near: \"a @ b\"");
  // Names and functions start with a letter.
  EXPECT_EQ(UpdateError("SET a = _f(b)"),
            "Invalid UpdateExpression: Syntax error; token: \"_\", near: \"= _f\"");
  EXPECT_EQ(ConditionError("a = 5"),
            "Invalid ConditionExpression: Syntax error; token: \"5\", near: \"= 5\"");
  EXPECT_EQ(ConditionError("a BETWEEN :x OR :y", "", R"({":x":{"N":"1"},":y":{"N":"2"}})"),
            "Invalid ConditionExpression: Syntax error; token: \"OR\", near: \":x OR :y\"");
  EXPECT_EQ(ConditionError("(a = b"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"b\"");
  // A syntax error further right is reported before an undefined placeholder on the left.
  EXPECT_EQ(ConditionError("#x = :y )"),
            "Invalid ConditionExpression: Syntax error; token: \")\", near: \":y )\"");
}

TEST(ExpressionParseTest, EmptyExpression) {
  EXPECT_EQ(UpdateError(""), "Invalid UpdateExpression: The expression can not be empty;");
  EXPECT_EQ(ConditionError("  "), "Invalid ConditionExpression: The expression can not be empty;");
}

TEST(ExpressionParseTest, UndefinedPlaceholders) {
  EXPECT_EQ(ConditionError("#a = :v", "", R"({":v":{"S":"x"}})"),
            "Invalid ConditionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #a");
  EXPECT_EQ(UpdateError("SET a = :v"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :v");
}

TEST(ExpressionParseTest, ReservedWords) {
  EXPECT_EQ(UpdateError("SET name = :v", "", R"({":v":{"S":"x"}})"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "name");
  EXPECT_EQ(ConditionError("a.Size > :v", "", R"({":v":{"N":"1"}})"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: Size");
  // Through a #name it is fine.
  ExpressionContext c = Context(R"({"#n":"name"})", R"({":v":{"S":"x"}})");
  EXPECT_TRUE(ParseUpdate("SET #n = :v", c).ok());
}

TEST(ExpressionParseTest, UnusedNamesAndValues) {
  ExpressionContext c =
      Context(R"({"#a":"a"})", R"({":x":{"N":"1"},":y":{"N":"2"},":z":{"N":"3"}})");
  ASSERT_TRUE(ParseCondition("#a = :x", ExpressionKind::kCondition, c).ok());
  EXPECT_EQ(c.CheckAllUsed().message(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y, :z}");
  // Used by a second expression of the same request.
  ASSERT_TRUE(ParseUpdate("SET b = :y + :z", c).ok());
  EXPECT_TRUE(c.CheckAllUsed().ok());

  ExpressionContext names = Context(R"({"#a":"a","#b":"b"})", "");
  ASSERT_TRUE(ParseProjection("#a", names).ok());
  EXPECT_EQ(names.CheckAllUsed().message(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}");
}

TEST(ExpressionParseTest, ContextValidation) {
  json empty = json::object();
  EXPECT_EQ(ExpressionContext::FromJson(nullptr, &empty).status().message(),
            "ExpressionAttributeValues must not be empty");
  EXPECT_EQ(ExpressionContext::FromJson(&empty, nullptr).status().message(),
            "ExpressionAttributeNames must not be empty");
  json bad_name = json::parse(R"({"a":"b"})");
  EXPECT_EQ(ExpressionContext::FromJson(&bad_name, nullptr).status().message(),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"");
  json bad_value = json::parse(R"({"v":{"S":"b"}})");
  EXPECT_EQ(ExpressionContext::FromJson(nullptr, &bad_value).status().message(),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"");
  json bad_set = json::parse(R"({":b":{"SS":[]}})");
  EXPECT_EQ(ExpressionContext::FromJson(nullptr, &bad_set).status().message(),
            "ExpressionAttributeValues contains invalid value: One or more parameter values were "
            "invalid: An string set  may not be empty for key :b");
  json empty_value = json::parse(R"({":b":{"M":{"a":{}}}})");
  EXPECT_EQ(ExpressionContext::FromJson(nullptr, &empty_value).status().message(),
            "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, "
            "must contain exactly one of the supported datatypes for key :b");
  json big = json::parse(R"({":b":{"N":"-1e126"}})");
  EXPECT_EQ(ExpressionContext::FromJson(nullptr, &big).status().message(),
            "ExpressionAttributeValues contains invalid value: Number overflow. Attempting to "
            "store a number with magnitude larger than supported range for key :b");
}

TEST(ExpressionParseTest, PrecedenceNotAndOr) {
  ExpressionContext c = Context("", R"({":v":{"N":"1"}})");
  // a OR b AND NOT c  ==  a OR (b AND (NOT c))
  StatusOr<Condition> r =
      ParseCondition("a = :v OR b = :v AND NOT c = :v", ExpressionKind::kCondition, c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->kind, Condition::Kind::kOr);
  EXPECT_EQ(r->children[0].kind, Condition::Kind::kCompare);
  ASSERT_EQ(r->children[1].kind, Condition::Kind::kAnd);
  EXPECT_EQ(r->children[1].children[1].kind, Condition::Kind::kNot);
  // Keywords are case-insensitive; parentheses regroup.
  r = ParseCondition("(a = :v or b = :v) and not (c = :v)", ExpressionKind::kFilter, c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->kind, Condition::Kind::kAnd);
  EXPECT_EQ(r->children[0].kind, Condition::Kind::kOr);
  EXPECT_EQ(r->children[1].kind, Condition::Kind::kNot);
}

TEST(ExpressionParseTest, DocumentPaths) {
  ExpressionContext c = Context(R"({"#pr":"ProductReviews","#d":"a.b"})", "");
  StatusOr<std::vector<Path>> r =
      ParseProjection("Description, RelatedItems[0], #pr.FiveStar, #d, a[1][2].b", c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[1].ToString(), "[RelatedItems, [0]]");
  EXPECT_EQ((*r)[2].ToString(), "[ProductReviews, FiveStar]");
  // A dot inside a #name is part of the name.
  ASSERT_EQ((*r)[3].elements.size(), 1u);
  EXPECT_EQ((*r)[3].top(), "a.b");
  EXPECT_EQ((*r)[4].ToString(), "[a, [1], [2], b]");
}

TEST(ExpressionParseTest, OverlappingPaths) {
  ExpressionContext c = Context("", "");
  EXPECT_EQ(ParseProjection("a, a.b", c).status().message(),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(ParseProjection("a.b, a[0]", c).status().message(),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]");
  EXPECT_EQ(UpdateError("SET a = :v REMOVE a", "", R"({":v":{"N":"1"}})"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [a], path two: [a]");
  ExpressionContext ok = Context("", R"({":v":{"N":"1"}})");
  EXPECT_TRUE(ParseUpdate("SET a.b = :v, a.c = :v REMOVE a.d, x[1], x[2]", ok).ok());
}

TEST(ExpressionParseTest, UpdateSections) {
  ExpressionContext c = Context(
      R"({"#pr":"ProductReviews","#5star":"FiveStar","#3star":"ThreeStar","#ri":"RelatedItems"})",
      R"({":c":{"S":"x"},":p":{"N":"1"},":r5":{"S":"good"},":r3":{"L":[]},":vals":{"L":[]},
          ":q":{"N":"5"},":s":{"SS":["a"]}})");
  StatusOr<UpdateExpression> r = ParseUpdate(
      "SET ProductCategory = :c, Price = Price - :p, #pr.#5star[1] = :r5, #pr.#3star = :r3, "
      "#ri = list_append(#ri, :vals), Stock = if_not_exists(Stock, :p) "
      "REMOVE Brand, InStock ADD QuantityOnHand :q, Color :s delete Tags :s",
      c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->set.size(), 6u);
  EXPECT_EQ(r->set[1].op, '-');
  EXPECT_EQ(r->set[4].left.kind, UpdateOperand::Kind::kListAppend);
  EXPECT_EQ(r->set[5].left.kind, UpdateOperand::Kind::kIfNotExists);
  EXPECT_EQ(r->remove.size(), 2u);
  EXPECT_EQ(r->add.size(), 2u);
  EXPECT_EQ(r->del.size(), 1u);
  EXPECT_TRUE(c.CheckAllUsed().ok()) << c.CheckAllUsed().message();

  const char* values = R"({":v":{"N":"1"},":s":{"S":"x"},":ns":{"NS":["1"]}})";
  EXPECT_EQ(UpdateError("SET a = :v SET b = :v", "", values),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
            "expression;");
  EXPECT_EQ(UpdateError("SET a = (b)", "", values),
            "Invalid UpdateExpression: Syntax error; token: \"(\", near: \"= (b\"");
  EXPECT_EQ(UpdateError("SET a = b + c + :v", "", values),
            "Invalid UpdateExpression: Syntax error; token: \"+\", near: \"c + :v\"");
  EXPECT_EQ(UpdateError("SET a = :s + :v", "", values),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator "
            "or function: +, operand type: S");
  EXPECT_EQ(UpdateError("ADD a :s", "", values),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            "ADD, operand type: STRING");
  EXPECT_EQ(UpdateError("DELETE a :v", "", values),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            "DELETE, operand type: NUMBER");
  EXPECT_EQ(UpdateError("ADD a b", "", values),
            "Invalid UpdateExpression: Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(UpdateError("SET a = if_not_exists(:v, :v)", "", values),
            "Invalid UpdateExpression: Operator or function requires a document path; operator "
            "or function: if_not_exists");
  EXPECT_EQ(UpdateError("SET a = list_append(:v)", "", values),
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; "
            "operator or function: list_append, number of operands: 1");
  EXPECT_EQ(UpdateError("SET a = list_append(a, :s)", "", values),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator "
            "or function: list_append, operand type: S");
  EXPECT_EQ(UpdateError("SET a = size(b)", "", values),
            "Invalid UpdateExpression: The function is not allowed in an update expression; "
            "function: size");
  EXPECT_EQ(UpdateError("SET a = foo(b)", "", values),
            "Invalid UpdateExpression: Invalid function name; function: foo");
}

TEST(ExpressionParseTest, ConditionFunctions) {
  const char* values = R"({":t":{"S":"L"},":bad":{"S":"LIST"},":n":{"N":"1"},":s":{"S":"x"},
                           ":b":{"BOOL":true}})";
  ExpressionContext c = Context(R"({"#p":"Pictures","#s":"SideView"})", values);
  StatusOr<Condition> r = ParseCondition(
      "attribute_exists(#p.#s) AND attribute_not_exists(Price) AND attribute_type(a, :t) AND "
      "begins_with(b, :s) AND contains(c, :n) AND size(d) <= :n AND e IN (:n, :s) AND f BETWEEN "
      ":n AND :n",
      ExpressionKind::kCondition, c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ConditionError("attribute_type(a, :bad)", "", values),
            "Invalid ConditionExpression: Invalid attribute type name found; type: LIST, valid "
            "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(ConditionError("begins_with(a, :n)", "", values),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(ConditionError("attribute_exists(:n)", "", values),
            "Invalid ConditionExpression: Operator or function requires a document path; "
            "operator or function: attribute_exists");
  EXPECT_EQ(ConditionError("attribute_exists(a, b)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or "
            "function; operator or function: attribute_exists, number of operands: 2");
  EXPECT_EQ(ConditionError("exists(a)"),
            "Invalid ConditionExpression: Invalid function name; function: exists");
  EXPECT_EQ(ConditionError("a = attribute_exists(b)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: attribute_exists");
  // Ordering a BOOL is not an error, only false (expression_eval_test.cc).
  ExpressionContext ordered = Context("", values);
  EXPECT_TRUE(ParseCondition("a < :b", ExpressionKind::kCondition, ordered).ok());
  EXPECT_EQ(ConditionError("a BETWEEN :n AND :s", "", values),
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower "
            "and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: "
            "AttributeValue: {S:x}");
  EXPECT_EQ(ConditionError("a BETWEEN :hi AND :lo", "", R"({":hi":{"N":"5"},":lo":{"N":"1"}})"),
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater "
            "than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper "
            "bound operand: AttributeValue: {N:1}");
  std::string in = "a IN (";
  for (int i = 0; i < 101; ++i) in += std::string(i ? "," : "") + ":n";
  EXPECT_EQ(ConditionError(in + ")", "", values),
            "Invalid ConditionExpression: The IN operator is provided with too many operands; "
            "number of operands: 101");
  // size(x) alone is an operand, not a condition; the condition functions are not operands;
  // the update functions are neither.
  EXPECT_EQ(ConditionError("size(a)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: size");
  EXPECT_EQ(ConditionError("attribute_exists(a) < :n", "", values),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: attribute_exists");
  EXPECT_EQ(ConditionError("if_not_exists(a, :n) = :n", "", values),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: if_not_exists");
  EXPECT_EQ(ConditionError("size(a, b) = :n", "", values),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            "operator or function: size, number of operands: 2");
  EXPECT_EQ(ConditionError("size(:n) = :n", "", values),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: size, operand type: N");
  // The same path on both sides.
  EXPECT_EQ(ConditionError("a.b = a.b"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: =, first operand: [a, b]");
  EXPECT_EQ(ConditionError("begins_with(a, a)"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: begins_with, first operand: [a]");
}

TEST(ExpressionParseTest, RedundantParentheses) {
  EXPECT_EQ(ConditionError("((a = b)) AND foo(c)"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(ConditionError("(((a = b)))"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  ExpressionContext c;
  EXPECT_TRUE(
      ParseCondition("((a = b) AND (c = d)) OR (e = f)", ExpressionKind::kCondition, c).ok());
  EXPECT_TRUE(ParseCondition("(a = b OR (c = d))", ExpressionKind::kCondition, c).ok());
  // Operands in parentheses.
  ExpressionContext v = Context("", R"({":v":{"N":"1"},":w":{"N":"2"}})");
  StatusOr<Condition> r = ParseCondition(
      "(a) = :v AND size((b)) > (:v) AND c BETWEEN (:v) AND :w AND d IN ((:v), :w) AND "
      "(e.f) <> :w",
      ExpressionKind::kCondition, v);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->children[0].children[0].children[0].children[0].operands[0].path.top(), "a");
  EXPECT_EQ(ConditionError("((a)) = b"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(ConditionError("(a) = b)"),
            "Invalid ConditionExpression: Syntax error; token: \")\", near: \"b)\"");
}

TEST(ExpressionParseTest, ErrorsComeInDynamoDbsOrder) {
  // Conditions: unknown function, misused function, reserved word, undefined placeholder,
  // operand count, distinct operands, function operand types; whatever their positions.
  EXPECT_EQ(ConditionError("#undefined = :undefined AND name = :x AND foo(a)"),
            "Invalid ConditionExpression: Invalid function name; function: foo");
  EXPECT_EQ(ConditionError("#undefined = :x AND name = :x AND size(a)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: size");
  EXPECT_EQ(ConditionError("#undefined = :x AND name = :x"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: name");
  EXPECT_EQ(ConditionError("attribute_exists(a, b) AND :undefined = #undefined"),
            "Invalid ConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :undefined");
  // Updates: reserved word, unknown function, duplicate section, names, values, overlap,
  // conflict, ADD/DELETE operand, functions.
  EXPECT_EQ(UpdateError("SET #undefined = foo(b) SET a = :v REMOVE name"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "name");
  EXPECT_EQ(UpdateError("SET a = :undefined, a = #undefined SET b = foo(c)"),
            "Invalid UpdateExpression: Invalid function name; function: foo");
  EXPECT_EQ(UpdateError("SET a = :undefined, b = #undefined"),
            "Invalid UpdateExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #undefined");
  EXPECT_EQ(UpdateError("SET a = :undefined, a = :v2 REMOVE b.c, b[0]", "", R"({":v2":{"N":"1"}})"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :undefined");
  EXPECT_EQ(UpdateError("REMOVE b.c, b[0], a, a"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [a], path two: [a]");
}

TEST(ExpressionParseTest, DeepNestingIsRefusedNotACrash) {
  std::string deep(5000, '(');
  ExpressionContext c;
  EXPECT_FALSE(ParseCondition(deep, ExpressionKind::kCondition, c).ok());
  std::string nots;
  for (int i = 0; i < 500; ++i) nots += "NOT ";
  EXPECT_FALSE(ParseCondition(nots + "a = b", ExpressionKind::kCondition, c).ok());
  std::string calls;
  for (int i = 0; i < 500; ++i) calls += "f(";
  EXPECT_FALSE(ParseCondition(calls, ExpressionKind::kCondition, c).ok());
}

TEST(ExpressionParseTest, KeyConditions) {
  const char* values = R"({":name":{"S":"DynamoDB"},":sub":{"S":"x"},":a":{"N":"1"},
                           ":b":{"N":"9"}})";
  ExpressionContext c = Context("", values);
  StatusOr<KeyCondition> k = ParseKeyCondition("ForumName = :name", c, "ForumName", "Subject");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->hash_name, "ForumName");
  EXPECT_FALSE(k->sort.has_value());

  k = ParseKeyCondition("Subject BETWEEN :a AND :b and ForumName = :name", c, "ForumName",
                        "Subject");
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_TRUE(k->sort.has_value());
  EXPECT_EQ(k->sort->kind, KeyCondition::SortCondition::Kind::kBetween);

  k = ParseKeyCondition("ForumName = :name AND begins_with(Subject, :sub)", c, "ForumName",
                        "Subject");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->sort->kind, KeyCondition::SortCondition::Kind::kBeginsWith);

  k = ParseKeyCondition("ForumName = :name AND :a < Subject", c, "ForumName", "Subject");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->sort->op, Comparator::kGt);

  auto error = [&](std::string_view text) {
    ExpressionContext fresh = Context("", values);
    StatusOr<KeyCondition> r = ParseKeyCondition(text, fresh, "ForumName", "Subject");
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? "" : r.status().message();
  };
  EXPECT_EQ(error("Subject = :sub"), "Query condition missed key schema element: ForumName");
  EXPECT_EQ(error("ForumName < :name"), "Query key condition not supported");
  EXPECT_EQ(error("ForumName = :name AND Extra = :a"),
            "Query condition missed key schema element: Subject");
  EXPECT_EQ(error("ForumName = :name OR Subject = :sub"),
            "Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(error("ForumName = :name AND Subject <> :sub"),
            "Invalid operator used in KeyConditionExpression: <>");
  EXPECT_EQ(error("ForumName = :name AND contains(Subject, :sub)"),
            "Invalid operator used in KeyConditionExpression: contains");
  EXPECT_EQ(error("ForumName = :name AND ForumName = :name"),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(error("ForumName = :name AND Subject > :sub AND Subject < :sub"),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(error("ForumName = :name AND begins_with(Subject, :a)"),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
}

}  // namespace
}  // namespace thaw::dynamodb
