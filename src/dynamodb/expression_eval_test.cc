#include "dynamodb/expression_eval.h"

#include <string>

#include <gtest/gtest.h>

namespace thaw::dynamodb {
namespace {

using nlohmann::json;

// The ProductCatalog item of the developer guide's expression chapters.
constexpr const char* kProduct = R"({
  "Id": {"N": "123"},
  "Title": {"S": "Bicycle 123"},
  "Description": {"S": "123 description"},
  "BicycleType": {"S": "Hybrid"},
  "Brand": {"S": "Brand-Company C"},
  "Price": {"N": "500"},
  "Color": {"SS": ["Red", "Black"]},
  "ProductCategory": {"S": "Bicycle"},
  "InStock": {"BOOL": true},
  "QuantityOnHand": {"NULL": true},
  "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
  "Pictures": {"M": {
    "FrontView": {"S": "http://example.com/products/123_front.jpg"},
    "RearView": {"S": "http://example.com/products/123_rear.jpg"},
    "SideView": {"S": "http://example.com/products/123_left_side.jpg"}}},
  "ProductReviews": {"M": {
    "FiveStar": {"L": [{"S": "Excellent! Can't recommend it highly enough! Buy it!"},
                       {"S": "Do yourself a favor and buy this."}]},
    "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]}}},
  "Comment": {"S": "This product sells out quickly during the summer"},
  "Safety.Warning": {"S": "Always wear a helmet"}
})";

Item Product() { return *ItemFromJson(json::parse(kProduct)); }

ExpressionContext Context(std::string_view names, std::string_view values) {
  json n = json::parse(names.empty() ? "null" : names);
  json v = json::parse(values.empty() ? "null" : values);
  StatusOr<ExpressionContext> c = ExpressionContext::FromJson(&n, &v);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(*c) : ExpressionContext();
}

bool Check(std::string_view text, std::string_view values = "", std::string_view names = "",
           const Item& item = Product()) {
  ExpressionContext c = Context(names, values);
  StatusOr<Condition> cond = ParseCondition(text, ExpressionKind::kCondition, c);
  EXPECT_TRUE(cond.ok()) << text << ": " << cond.status().message();
  return cond.ok() && Evaluate(*cond, item);
}

StatusOr<UpdateResult> Update(std::string_view text, std::string_view values = "",
                              std::string_view names = "", const Item& item = Product()) {
  ExpressionContext c = Context(names, values);
  StatusOr<UpdateExpression> update = ParseUpdate(text, c);
  EXPECT_TRUE(update.ok()) << text << ": " << update.status().message();
  if (!update.ok()) return update.status();
  return ApplyUpdate(*update, item);
}

json Attr(const Item& item, const std::string& name) {
  auto it = item.find(name);
  return it == item.end() ? json() : it->second.ToJson();
}

TEST(ExpressionEvalTest, DocumentationConditions) {
  EXPECT_TRUE(Check("attribute_not_exists(Discount)"));
  EXPECT_FALSE(Check("attribute_not_exists(Price)"));
  EXPECT_TRUE(Check("attribute_exists(#Pictures.#SideView)", "",
                    R"({"#Pictures":"Pictures","#SideView":"SideView"})"));
  EXPECT_FALSE(Check("attribute_exists(Pictures.TopView)"));
  EXPECT_TRUE(Check("attribute_type(ProductReviews.FiveStar, :v_sub)", R"({":v_sub":{"S":"L"}})"));
  EXPECT_FALSE(Check("attribute_type(ProductReviews.FiveStar, :v_sub)", R"({":v_sub":{"S":"M"}})"));
  EXPECT_TRUE(Check("begins_with(Pictures.FrontView, :v_sub)", R"({":v_sub":{"S":"http://"}})"));
  EXPECT_TRUE(Check("contains(Color, :v_sub)", R"({":v_sub":{"S":"Red"}})"));
  EXPECT_FALSE(Check("contains(Color, :v_sub)", R"({":v_sub":{"S":"Blue"}})"));
  EXPECT_TRUE(Check("contains(Description, :v)", R"({":v":{"S":"desc"}})"));
  EXPECT_TRUE(Check("contains(RelatedItems, :v)", R"({":v":{"N":"472"}})"));
  EXPECT_TRUE(Check("size(Brand) <= :v_sub", R"({":v_sub":{"N":"20"}})"));
  EXPECT_FALSE(Check("size(Brand) <= :v_sub", R"({":v_sub":{"N":"10"}})"));
  EXPECT_TRUE(Check("size(Color) = :two", R"({":two":{"N":"2"}})"));
  EXPECT_TRUE(Check("size(ProductReviews.FiveStar) = :two", R"({":two":{"N":"2"}})"));
  EXPECT_TRUE(Check("ProductCategory IN (:cat1, :cat2) and Price between :lo and :hi",
                    R"({":cat1":{"S":"Sporting Goods"},":cat2":{"S":"Bicycle"},
                        ":lo":{"N":"500"},":hi":{"N":"600"}})"));
  EXPECT_TRUE(Check("Price > :limit", R"({":limit":{"N":"499.999"}})"));
  EXPECT_FALSE(Check("Price > :limit", R"({":limit":{"N":"500"}})"));
  EXPECT_TRUE(Check("RelatedItems[1] = :v", R"({":v":{"N":"472.0"}})"));
  EXPECT_TRUE(Check("ProductReviews.FiveStar[1] = :v",
                    R"({":v":{"S":"Do yourself a favor and buy this."}})"));
  EXPECT_TRUE(
      Check("#sw = :v", R"({":v":{"S":"Always wear a helmet"}})", R"({"#sw":"Safety.Warning"})"));
  // Unquoted, the dot is a path separator: no such nested attribute.
  EXPECT_FALSE(Check("attribute_exists(Safety.Warning)"));
}

TEST(ExpressionEvalTest, AbsentAttributesAndMixedTypes) {
  const char* v = R"({":n":{"N":"500"},":s":{"S":"500"}})";
  EXPECT_FALSE(Check("Absent = :n", v));
  EXPECT_TRUE(Check("Absent <> :n", v));
  EXPECT_FALSE(Check("Absent < :n", v));
  EXPECT_FALSE(Check("Price = :s", v));
  EXPECT_TRUE(Check("Price <> :s", v));
  EXPECT_FALSE(Check("Price < :s", v));
  EXPECT_FALSE(Check("Price >= :s", v));
  EXPECT_FALSE(Check("NOT Price >= :n", v));
  EXPECT_FALSE(Check("Absent = Other2"));  // two missing attributes are not equal
  EXPECT_FALSE(Check("Absent <> Other2"));
  EXPECT_TRUE(Check("Price <> Absent"));
  EXPECT_TRUE(Check("Price = Price2 OR Price = :n", v));
  EXPECT_FALSE(Check("InStock < :t", R"({":t":{"BOOL":true}})"));  // BOOLs are not ordered
  EXPECT_FALSE(Check("size(Price) > :n", v));                      // numbers have no size
  EXPECT_FALSE(Check("RelatedItems[7] = :n", v));
  EXPECT_FALSE(Check("Title[0] = :n", v));
}

TEST(ExpressionEvalTest, OrderingWithinTypes) {
  Item item = *ItemFromJson(json::parse(R"({"s":{"S":"abc"},"b":{"B":"gA=="},"n":{"N":"-1.5"}})"));
  EXPECT_TRUE(Check("s < :v", R"({":v":{"S":"abd"}})", "", item));
  EXPECT_TRUE(Check("s > :v", R"({":v":{"S":"ab"}})", "", item));
  EXPECT_TRUE(Check("s < :v", R"({":v":{"S":"b"}})", "", item));
  EXPECT_TRUE(Check("b > :v", R"({":v":{"B":"fw=="}})", "", item));  // 0x80 > 0x7f: unsigned
  EXPECT_TRUE(Check("n < :v", R"({":v":{"N":"-1.2"}})", "", item));
  EXPECT_TRUE(Check("n BETWEEN :a AND :b", R"({":a":{"N":"-2"},":b":{"N":"-1.5"}})", "", item));
  EXPECT_FALSE(Check("n BETWEEN :a AND :b", R"({":a":{"N":"-1.4"},":b":{"N":"0"}})", "", item));
}

TEST(ExpressionEvalTest, LongAndChains) {
  // As many ANDs as 4 KB of expression holds.
  std::string text = "Price = :n";
  while (text.size() + 30 < 4096) text += " AND Price = :n";
  EXPECT_TRUE(Check(text, R"({":n":{"N":"500"}})"));
  EXPECT_FALSE(Check(text + " AND Price = :m", R"({":n":{"N":"500"},":m":{"N":"1"}})"));
}

TEST(ExpressionEvalTest, Projection) {
  ExpressionContext c = Context("", "");
  StatusOr<std::vector<Path>> paths = ParseProjection(
      "Description, RelatedItems[0], RelatedItems[2], ProductReviews.FiveStar, Nothing, "
      "Pictures.Nothing",
      c);
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  Item projected = Project(Product(), *paths);
  EXPECT_EQ(ItemToJson(projected), json::parse(R"({
    "Description": {"S": "123 description"},
    "RelatedItems": {"L": [{"N": "341"}, {"N": "649"}]},
    "ProductReviews": {"M": {"FiveStar": {"L": [
      {"S": "Excellent! Can't recommend it highly enough! Buy it!"},
      {"S": "Do yourself a favor and buy this."}]}}}})"));
}

TEST(ExpressionEvalTest, DocumentationUpdates) {
  StatusOr<UpdateResult> r =
      Update("SET ProductCategory = :c, Price = :p", R"({":c":{"S":"Hardware"},":p":{"N":"60"}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "ProductCategory"), json::parse(R"({"S":"Hardware"})"));
  EXPECT_EQ(r->changed_attributes, (std::vector<std::string>{"Price", "ProductCategory"}));

  r = Update("SET RelatedItems[1] = :ri", R"({":ri":{"S":"Nails"}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "RelatedItems"),
            json::parse(R"({"L":[{"N":"341"},{"S":"Nails"},{"N":"649"}]})"));

  r = Update("SET #pr.#5star[1] = :r5, #pr.#3star = :r3",
             R"({":r5":{"S":"Very happy with my purchase"},
                 ":r3":{"L":[{"S":"Just OK - not that great"}]}})",
             R"({"#pr":"ProductReviews","#5star":"FiveStar","#3star":"ThreeStar"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "ProductReviews")["M"]["ThreeStar"],
            json::parse(R"({"L":[{"S":"Just OK - not that great"}]})"));
  EXPECT_EQ(Attr(r->item, "ProductReviews")["M"]["FiveStar"]["L"][1],
            json::parse(R"({"S":"Very happy with my purchase"})"));
  EXPECT_EQ(r->changed_attributes, (std::vector<std::string>{"ProductReviews"}));
  // UPDATED_NEW is the new item cut to the updated paths.
  EXPECT_EQ(ItemToJson(Project(r->item, r->updated_paths)), json::parse(R"({
    "ProductReviews": {"M": {"FiveStar": {"L": [{"S": "Very happy with my purchase"}]},
                             "ThreeStar": {"L": [{"S": "Just OK - not that great"}]}}}})"));

  r = Update("SET Price = Price - :p", R"({":p":{"N":"15"}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "Price"), json::parse(R"({"N":"485"})"));

  r = Update("SET #ri = list_append(#ri, :vals)", R"({":vals":{"L":[{"S":"Screwdriver"}]}})",
             R"({"#ri":"RelatedItems"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "RelatedItems")["L"].size(), 4u);
  r = Update("SET #ri = list_append(:vals, #ri)", R"({":vals":{"L":[{"S":"Chisel"}]}})",
             R"({"#ri":"RelatedItems"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "RelatedItems")["L"][0], json::parse(R"({"S":"Chisel"})"));

  r = Update("SET Price = if_not_exists(Price, :p), Discount = if_not_exists(Discount, :p)",
             R"({":p":{"N":"100"}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "Price"), json::parse(R"({"N":"500"})"));
  EXPECT_EQ(Attr(r->item, "Discount"), json::parse(R"({"N":"100"})"));

  r = Update("REMOVE Brand, InStock, QuantityOnHand");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(Attr(r->item, "Brand").is_null());
  EXPECT_TRUE(Attr(r->item, "QuantityOnHand").is_null());

  // Indexes name elements as they were before the update.
  r = Update("REMOVE RelatedItems[0], RelatedItems[2]");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "RelatedItems"), json::parse(R"({"L":[{"N":"472"}]})"));

  Item counter = *ItemFromJson(json::parse(R"({"Id":{"N":"1"},"QuantityOnHand":{"N":"5"}})"));
  r = Update("ADD QuantityOnHand :q, NewCount :q", R"({":q":{"N":"-5"}})", "", counter);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "QuantityOnHand"), json::parse(R"({"N":"0"})"));
  EXPECT_EQ(Attr(r->item, "NewCount"), json::parse(R"({"N":"-5"})"));

  r = Update("ADD Color :c", R"({":c":{"SS":["Orange","Purple","Red"]}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "Color"), json::parse(R"({"SS":["Black","Orange","Purple","Red"]})"));

  r = Update("DELETE Color :p", R"({":p":{"SS":["Red","Yellow"]}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "Color"), json::parse(R"({"SS":["Black"]})"));
  // Deleting every member removes the attribute; a missing set is left alone.
  r = Update("DELETE Color :p, Absent :p", R"({":p":{"SS":["Red","Black"]}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(Attr(r->item, "Color").is_null());
}

TEST(ExpressionEvalTest, ListIndexesNameElementsBeforeTheUpdate) {
  // ScyllaDB's alternator tests, checked against DynamoDB: the order of the sections does not
  // matter, and REMOVE past the end is ignored.
  Item item = *ItemFromJson(
      json::parse(R"({"a":{"L":[{"N":"2"},{"N":"3"},{"N":"4"},{"N":"5"},{"N":"6"},{"N":"7"}]}})"));
  for (const char* text : {"REMOVE a[1] SET a[3] = :val", "SET a[3] = :val REMOVE a[1]"}) {
    StatusOr<UpdateResult> r = Update(text, R"({":val":{"N":"17"}})", "", item);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(Attr(r->item, "a"),
              json::parse(R"({"L":[{"N":"2"},{"N":"4"},{"N":"17"},{"N":"6"},{"N":"7"}]})"));
  }
  StatusOr<UpdateResult> r = Update("REMOVE a[17]", "", "", item);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->item, item);
  Item nested = *ItemFromJson(json::parse(R"({"a":{"M":{"b":{"N":"3"},"c":{"L":[{"S":"hi"},
      {"M":{"x":{"M":{"y":{"L":[{"N":"3"},{"N":"5"},{"N":"7"}]}}},"q":{"N":"2"}}}]}}}})"));
  r = Update("REMOVE a.c[1].x.y[1], a.c[1].q", "", "", nested);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "a"), json::parse(R"({"M":{"b":{"N":"3"},"c":{"L":[{"S":"hi"},
      {"M":{"x":{"M":{"y":{"L":[{"N":"3"},{"N":"7"}]}}}}}]}}})"));
}

TEST(ExpressionEvalTest, AppendsPastTheEndInIndexOrder) {
  Item item = *ItemFromJson(json::parse(R"({"a":{"L":[{"S":"one"}]}})"));
  StatusOr<UpdateResult> r =
      Update("SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4",
             R"({":v1":{"S":"a1"},":v2":{"S":"a2"},":v3":{"S":"a3"},":v4":{"S":"a4"}})", "", item);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "a"),
            json::parse(R"({"L":[{"S":"one"},{"S":"a3"},{"S":"a2"},{"S":"a4"},{"S":"a1"}]})"));
}

TEST(ExpressionEvalTest, RemoveUnderAMissingParent) {
  Item item = *ItemFromJson(json::parse(R"({"p":{"S":"k"},"a":{"S":"hello"}})"));
  for (const char* text : {"REMOVE a.c", "REMOVE c.c", "REMOVE a[0]", "REMOVE c[0]"}) {
    EXPECT_EQ(Update(text, "", "", item).status().message(),
              "The document path provided in the update expression is invalid for update")
        << text;
  }
  // An item being created: ignored, as on DynamoDB.
  Item key = *ItemFromJson(json::parse(R"({"p":{"S":"k"}})"));
  ExpressionContext c;
  StatusOr<UpdateExpression> u = ParseUpdate("REMOVE x.y, z[0]", c);
  ASSERT_TRUE(u.ok());
  StatusOr<UpdateResult> r = ApplyUpdate(*u, key, /*item_exists=*/false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->item, key);
  // SET under a missing parent is an error either way.
  ExpressionContext v = Context("", R"({":v":{"N":"7"}})");
  u = ParseUpdate("SET c.c = :v", v);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(ApplyUpdate(*u, key, false).ok());
}

TEST(ExpressionEvalTest, SetReadsTheItemBeforeTheUpdate) {
  Item item = *ItemFromJson(json::parse(R"({"a":{"N":"1"},"b":{"N":"2"}})"));
  StatusOr<UpdateResult> r = Update("SET a = b, b = a", "", "", item);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "a"), json::parse(R"({"N":"2"})"));
  EXPECT_EQ(Attr(r->item, "b"), json::parse(R"({"N":"1"})"));
}

TEST(ExpressionEvalTest, UpdateErrors) {
  StatusOr<UpdateResult> r = Update("SET a = b + :v", R"({":v":{"N":"1"}})");
  EXPECT_EQ(r.status().message(),
            "The provided expression refers to an attribute that does not exist in the item");
  r = Update("SET a = Title + :v", R"({":v":{"N":"1"}})");
  EXPECT_EQ(r.status().message(), "An operand in the update expression has an incorrect data type");
  r = Update("SET a = list_append(Price, :v)", R"({":v":{"L":[]}})");
  EXPECT_EQ(r.status().message(), "An operand in the update expression has an incorrect data type");
  r = Update("ADD Title :v", R"({":v":{"N":"1"}})");
  EXPECT_EQ(r.status().message(), "An operand in the update expression has an incorrect data type");
  r = Update("ADD Color :v", R"({":v":{"NS":["1"]}})");
  EXPECT_EQ(r.status().message(), "An operand in the update expression has an incorrect data type");
  r = Update("DELETE Title :v", R"({":v":{"SS":["x"]}})");
  EXPECT_EQ(r.status().message(), "An operand in the update expression has an incorrect data type");
  r = Update("SET Absent.x = :v", R"({":v":{"N":"1"}})");
  EXPECT_EQ(r.status().message(),
            "The document path provided in the update expression is invalid for update");
  r = Update("SET Title.x = :v", R"({":v":{"N":"1"}})");
  EXPECT_EQ(r.status().message(),
            "The document path provided in the update expression is invalid for update");
  r = Update("SET Pictures[0] = :v", R"({":v":{"N":"1"}})");
  EXPECT_EQ(r.status().message(),
            "The document path provided in the update expression is invalid for update");
  r = Update("SET Big = :v", "{\":v\":{\"S\":\"" + std::string(410 * 1024, 'x') + "\"}}");
  EXPECT_EQ(r.status().message(), "Item size to update has exceeded the maximum allowed size");
}

TEST(ExpressionEvalTest, ExactNumbersInUpdates) {
  Item item = *ItemFromJson(json::parse(R"({"n":{"N":"0.1"}})"));
  StatusOr<UpdateResult> r = Update("SET n = n + :v", R"({":v":{"N":"0.2"}})", "", item);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "n"), json::parse(R"({"N":"0.3"})"));
  // An ADD whose result needs 39 significant digits is refused, not rounded.
  Item big = *ItemFromJson(json::parse(R"({"n":{"N":"10000000000000000000000000000000000000"}})"));
  r = Update("ADD n :v", R"({":v":{"N":"0.1"}})", "", big);
  EXPECT_EQ(r.status().message(), kNumberTooPrecise);
  r = Update("SET n = n + :v", R"({":v":{"N":"9E125"}})", "",
             *ItemFromJson(json::parse(R"({"n":{"N":"9E125"}})")));
  EXPECT_EQ(r.status().message(), kNumberOverflow);
  r = Update("ADD s :v", R"({":v":{"NS":["1.0","2"]}})", "",
             *ItemFromJson(json::parse(R"({"s":{"NS":["1","3"]}})")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "s"), json::parse(R"({"NS":["1","2","3"]})"));
}

TEST(ExpressionEvalTest, NestedListAppendAndAppendPastTheEnd) {
  Item item = *ItemFromJson(json::parse(R"({"l":{"L":[{"N":"1"}]}})"));
  StatusOr<UpdateResult> r =
      Update("SET l[5] = :v, m = list_append(if_not_exists(m, :empty), :one)",
             R"({":v":{"N":"2"},":empty":{"L":[]},":one":{"L":[{"S":"x"}]}})", "", item);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Attr(r->item, "l"), json::parse(R"({"L":[{"N":"1"},{"N":"2"}]})"));
  EXPECT_EQ(Attr(r->item, "m"), json::parse(R"({"L":[{"S":"x"}]})"));
}

TEST(ExpressionEvalTest, SortKeyConditions) {
  const char* values = R"({":h":{"S":"x"},":p":{"S":"2024-"},":lo":{"N":"10"},":hi":{"N":"20"},
                           ":n":{"N":"15"}})";
  auto sort = [&](std::string_view text) {
    ExpressionContext c = Context("", values);
    StatusOr<KeyCondition> k = ParseKeyCondition(text, c, "pk", "sk");
    EXPECT_TRUE(k.ok()) << k.status().message();
    return *k->sort;
  };
  KeyCondition::SortCondition prefix = sort("pk = :h AND begins_with(sk, :p)");
  EXPECT_TRUE(MatchesSortCondition(prefix, AttributeValue::String("2024-01-01")));
  EXPECT_FALSE(MatchesSortCondition(prefix, AttributeValue::String("2023-12-31")));
  KeyCondition::SortCondition between = sort("pk = :h AND sk BETWEEN :lo AND :hi");
  EXPECT_TRUE(MatchesSortCondition(between, AttributeValue::Num(Number::FromInt(20))));
  EXPECT_FALSE(MatchesSortCondition(between, AttributeValue::Num(Number::FromInt(9))));
  EXPECT_FALSE(MatchesSortCondition(between, AttributeValue::String("15")));
  KeyCondition::SortCondition lt = sort("pk = :h AND sk < :n");
  EXPECT_TRUE(MatchesSortCondition(lt, AttributeValue::Num(Number::FromInt(14))));
  EXPECT_FALSE(MatchesSortCondition(lt, AttributeValue::Num(Number::FromInt(15))));
}

}  // namespace
}  // namespace thaw::dynamodb
