// The generic JSON form: every command type parses from its JSON form with
// every field set; every event type and the catalogue write (and the catalogue
// reads back); strictness with errors that name the field's path.
// covers R-LED-02, R-LED-03

#include <gtest/gtest.h>

#include <string>

#include "adapters/json/command_json.h"
#include "tests/support/fill.h"

namespace mledger {
namespace {

using Json = nlohmann::json;
using testing::filled;
using testing::for_each_alternative;

CommandContext context_for(const CommandBody& body) {
  CommandContext ctx;
  ctx.command_id = "c-1";
  ctx.correlation_id = "corr-1";
  ctx.actor = Actor{ActorKind::user, "contoso", "u-alice", {Role::global_admin, Role::admin_agent}};
  if (targets_account(body)) ctx.account_id = "contoso";
  ctx.now = *parse_rfc3339("2026-01-05T09:00:00.000250Z");
  return ctx;
}

// A complete document of `type` with `data` (taken from a filled instance).
Json document(std::string_view type) {
  std::optional<Json> out;
  for_each_alternative<CommandBody>([&](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, CommandBody>;
    if (T::kName == type) {
      CommandBody body{std::in_place_index<decltype(index)::value>, filled<T>()};
      out = json::command_to_json(Command{context_for(body), body});
    }
  });
  EXPECT_TRUE(out.has_value()) << type;
  return out.value_or(Json::object());
}

StatusOr<json::ParsedCommand> parse(const Json& doc) {
  return json::parse_command(doc.dump(), Instant{});
}

void expect_error(const Json& doc, const std::string& needle) {
  auto r = parse(doc);
  ASSERT_FALSE(r.ok()) << doc.dump();
  EXPECT_EQ(r.error().code(), StatusCode::invalid_argument);
  EXPECT_NE(r.error().message().find(needle), std::string::npos) << r.error().message();
}

TEST(CommandJsonGeneric, every_command_type_parses_from_its_json_form_with_every_field_set) {
  for_each_alternative<CommandBody>([](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, CommandBody>;
    const CommandBody body{std::in_place_index<decltype(index)::value>, filled<T>()};
    const Command command{context_for(body), body};
    const Json doc = json::command_to_json(command);
    // Every field is there (optionals are engaged).
    size_t fields = 0;
    T::for_each_field(std::get<T>(body), [&](const char* name, const auto&) {
      ++fields;
      EXPECT_TRUE(doc["data"].contains(name)) << T::kName << "." << name;
    });
    EXPECT_EQ(doc["data"].size(), fields) << T::kName;

    auto parsed = parse(doc);
    ASSERT_TRUE(parsed.ok()) << T::kName << ": " << parsed.error().to_string();
    const Command& back = parsed->command;
    EXPECT_EQ(back.body.index(), body.index()) << T::kName;
    EXPECT_EQ(command_type_name(back.body), T::kName);
    // Field by field, through the writer (commands have no operator==).
    EXPECT_EQ(json::command_data_to_json(back.body), doc["data"]) << T::kName;
    EXPECT_EQ(json::command_to_json(back), doc) << T::kName;
    EXPECT_EQ(back.context.now, command.context.now);
    EXPECT_EQ(back.context.actor, command.context.actor);
    EXPECT_EQ(back.context.account_id, command.context.account_id);
    EXPECT_EQ(back.context.correlation_id, "corr-1");
  });
}

TEST(CommandJsonGeneric, nested_values_arrive_typed) {
  auto r = parse(document("place_order"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& c = std::get<PlaceOrder>(r->command.body);
  EXPECT_EQ(c.payment_method, PaymentMethod::wire);  // the last enumerant
  EXPECT_EQ(c.billing_address.city, "x-city");
  ASSERT_TRUE(c.card.has_value());
  EXPECT_EQ(c.card->address.postal_code, "x-postal_code");

  auto g = parse(document("complete_go_to_market_offer"));
  ASSERT_TRUE(g.ok());
  EXPECT_NE(std::get<CompleteGoToMarketOffer>(g->command.body).expiry, Instant{});

  auto w = parse(document("record_wire_payment"));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(std::get<RecordWirePayment>(w->command.body).amount.currency, "x-currency");
}

TEST(CommandJsonGeneric, optional_bool_and_vector_fields_may_be_absent) {
  Json doc = document("place_order");
  doc["data"].erase("card");
  auto r = parse(doc);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(std::get<PlaceOrder>(r->command.body).card.has_value());

  doc["data"]["card"] = nullptr;
  r = parse(doc);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(std::get<PlaceOrder>(r->command.body).card.has_value());

  for (const char* f : {"line2", "region", "postal_code"}) doc["data"]["billing_address"].erase(f);
  ASSERT_TRUE(parse(doc).ok());

  Json user = document("add_user");
  user["data"].erase("guest");
  user["data"].erase("roles");
  auto u = parse(user);
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  EXPECT_FALSE(std::get<AddUser>(u->command.body).guest);
  EXPECT_TRUE(std::get<AddUser>(u->command.body).roles.empty());

  Json settings = document("change_notification_settings");
  settings["data"].erase("alternate_email");
  auto s = parse(settings);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(std::get<ChangeNotificationSettings>(s->command.body).alternate_email.has_value());
}

TEST(CommandJsonGeneric, field_less_commands_take_an_empty_data_object) {
  Json doc = document("send_verification_email");
  EXPECT_EQ(doc["data"], Json::object());
  ASSERT_TRUE(parse(doc).ok());
  doc["data"]["x"] = 1;
  expect_error(doc, "field 'data.x' is not a known field");
}

TEST(CommandJsonGeneric, errors_name_the_field_path) {
  Json doc = document("place_order");

  Json unknown = doc;
  unknown["data"]["billing_address"]["floor"] = "3";
  expect_error(unknown, "field 'data.billing_address.floor' is not a known field");

  Json bad_enum = doc;
  bad_enum["data"]["payment_method"] = "cash";
  expect_error(bad_enum, "field 'data.payment_method' must be one of card, wire");

  Json missing = doc;
  missing["data"].erase("order_id");
  expect_error(missing, "field 'data.order_id' is missing");

  Json missing_nested = doc;
  missing_nested["data"]["card"]["address"].erase("city");
  expect_error(missing_nested, "field 'data.card.address.city' is missing");

  Json wrong_type = doc;
  wrong_type["data"]["billing_address"]["city"] = 7;
  expect_error(wrong_type, "field 'data.billing_address.city' must be a string");

  Json not_object = doc;
  not_object["data"]["card"] = "4242";
  expect_error(not_object, "field 'data.card' must be an object");

  Json null_required = doc;
  null_required["data"]["offer_id"] = nullptr;
  expect_error(null_required, "field 'data.offer_id' must be a string");

  Json bool_type = document("add_user");
  bool_type["data"]["guest"] = "yes";
  expect_error(bool_type, "field 'data.guest' must be true or false");

  Json role = document("add_user");
  role["data"]["roles"] = {"global_admin", "king"};
  expect_error(role, "field 'data.roles[1]' must be one of global_admin, account_admin");

  Json not_array = document("add_user");
  not_array["data"]["roles"] = "global_admin";
  expect_error(not_array, "field 'data.roles' must be an array");
}

TEST(CommandJsonGeneric, instants_are_rfc3339) {
  Json doc = document("complete_go_to_market_offer");
  doc["data"]["expiry"] = "2026-02-30T00:00:00Z";
  expect_error(doc, "field 'data.expiry' must be an RFC 3339 time");
  doc["data"]["expiry"] = 1767600000;
  expect_error(doc, "field 'data.expiry' must be an RFC 3339 time");
  doc["data"]["expiry"] = "2026-03-01T10:00:00+01:00";
  auto r = parse(doc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<CompleteGoToMarketOffer>(r->command.body).expiry,
            *parse_rfc3339("2026-03-01T09:00:00Z"));
  // Times in data keep to the range `now` keeps to (issue 14).
  doc["data"]["expiry"] = "1677-09-21T00:12:43Z";
  expect_error(doc, "field 'data.expiry' must be from 1970-01-01T00:00:00Z");
  doc["data"]["expiry"] = "9999-12-31T23:59:59Z";
  expect_error(doc, "field 'data.expiry' must be from 1970-01-01T00:00:00Z");
}

TEST(CommandJsonGeneric, uint32_must_be_an_integer_in_range) {
  Json doc = document("use_advisory_hours");
  for (Json bad : {Json(4294967296LL), Json(-1), Json(1.5), Json("3"), Json(nullptr)}) {
    doc["data"]["hours"] = bad;
    expect_error(doc, "field 'data.hours' must be an integer from 0 to 4294967295");
  }
  doc["data"]["hours"] = 4294967295LL;
  auto r = parse(doc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<UseAdvisoryHours>(r->command.body).hours, 4294967295u);
  doc["data"]["hours"] = 0;
  ASSERT_TRUE(parse(doc).ok());
}

TEST(CommandJsonGeneric, money_is_minor_units_and_a_currency) {
  Json doc = document("record_wire_payment");
  doc["data"]["amount"] = {{"amount_minor", 47500}, {"currency", "USD"}};
  auto r = parse(doc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<RecordWirePayment>(r->command.body).amount, (Money{47500, "USD"}));
  doc["data"]["amount"]["amount_minor"] = 475.5;
  expect_error(doc, "field 'data.amount.amount_minor' must be an integer");
  doc["data"]["amount"]["amount_minor"] = 18446744073709551615ULL;
  expect_error(doc, "field 'data.amount.amount_minor' must be an integer");
  doc["data"]["amount"] = {{"amount_minor", -5}};
  expect_error(doc, "field 'data.amount.currency' is missing");
}

TEST(CommandJsonGeneric, account_id_is_required_except_for_the_catalogue) {
  Json doc = document("place_order");
  doc.erase("account_id");
  expect_error(doc, "field 'account_id' is missing");

  Json catalogue = document("change_offer_catalogue");
  EXPECT_FALSE(catalogue.contains("account_id"));
  auto r = parse(catalogue);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->command.context.account_id.empty());
  catalogue["account_id"] = "contoso";
  expect_error(catalogue, "field 'account_id' must be absent");
}

TEST(CommandJsonGeneric, errors_inside_arrays_name_the_element) {
  Json doc = document("change_offer_catalogue");
  doc["data"]["catalogue"]["offers"][0]["benefits"][1]["kind"] = "cash_back";
  expect_error(doc,
               "field 'data.catalogue.offers[0].benefits[1].kind' must be one of "
               "azure_monthly_credit, azure_bulk_credit, visual_studio, licensed_product, "
               "technical, go_to_market");
}

TEST(CommandJsonGeneric, catalogue_round_trips_through_its_file_form) {
  const OfferCatalogue catalogue = filled<OfferCatalogue>();
  const std::string text = json::offer_catalogue_to_json(catalogue).dump(2);
  auto back = json::parse_offer_catalogue(text);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, catalogue);

  Json doc = Json::parse(text);
  EXPECT_EQ(doc["offers"][1]["products"][0]["kind"], "multiple_activation");
  EXPECT_EQ(doc["offers"][0]["price"]["currency"], "x-currency");

  doc["offers"][1]["price"].erase("currency");
  auto missing = json::parse_offer_catalogue(doc.dump());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("field 'offers[1].price.currency' is missing"),
            std::string::npos)
      << missing.error().message();

  EXPECT_FALSE(json::parse_offer_catalogue("[]").ok());
  EXPECT_FALSE(json::parse_offer_catalogue("{\"version\":").ok());
  auto extra = json::parse_offer_catalogue(R"({"version":"1","offers":[],"owner":"x"})");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().message().find("field 'owner' is not a known field"), std::string::npos);
  EXPECT_EQ(json::parse_offer_catalogue(std::string(json::kCatalogueBytesMax + 1, ' '))
                .error()
                .code(),
            StatusCode::limit_exceeded);
}

TEST(CommandJsonGeneric, every_event_type_writes_every_field) {
  for_each_alternative<EventPayload>([](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    const T e = filled<T>();
    const Json j = json::payload_to_json(EventPayload{e});
    ASSERT_TRUE(j.is_object()) << T::kName;
    size_t fields = 0;
    T::for_each_field(e, [&](const char* name, const auto&) {
      ++fields;
      EXPECT_TRUE(j.contains(name)) << T::kName << "." << name;
    });
    EXPECT_EQ(j.size(), fields) << T::kName;
  });
}

TEST(CommandJsonGeneric, event_shapes) {
  MembershipActivated m;
  m.order_id = "o-1";
  m.offer_id = "gold";
  m.anniversary = *parse_rfc3339("2027-01-05T00:00:00Z");
  EXPECT_EQ(json::payload_to_json(m),
            (Json{{"order_id", "o-1"}, {"offer_id", "gold"}, {"anniversary", "2027-01-05T00:00:00Z"}}));

  PartnerAccountEnrolled p = filled<PartnerAccountEnrolled>();
  Json j = json::payload_to_json(p);
  EXPECT_EQ(j["source"], "entered_by_hand");
  EXPECT_EQ(j["address_validation"]["kept"], "validated");
  p.address_validation.reset();
  EXPECT_FALSE(json::payload_to_json(p).contains("address_validation"));

  UserAdded u;
  u.roles = {Role::global_admin, Role::business_profile_admin};
  EXPECT_EQ(json::payload_to_json(u)["roles"], (Json{"global_admin", "business_profile_admin"}));

  CardPaymentCharged c;
  c.amount = Money{47500, "USD"};
  EXPECT_EQ(json::payload_to_json(c)["amount"], (Json{{"amount_minor", 47500}, {"currency", "USD"}}));
}

}  // namespace
}  // namespace mledger
