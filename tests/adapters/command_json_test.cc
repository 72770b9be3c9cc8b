// The JSON form of commands: strict parsing with errors that name the field.
// covers R-LED-02, R-LED-03

#include <gtest/gtest.h>

#include "adapters/json/command_json.h"

namespace mledger {
namespace {

const char* kValid =
    R"({"command_id":"c-1","type":"enroll_partner_account","account_id":"contoso",)"
    R"("actor":{"kind":"user","account_id":"contoso","user_id":"u-alice","roles":["global_admin"]},)"
    R"("now":"2026-01-05T09:00:00Z","data":{"legal_name":"Contoso GmbH",)"
    R"("address":{"line1":"Hauptstr. 1","city":"Berlin","postal_code":"10115","country":"DE"},)"
    R"("phone":"0301234567","primary_contact":{"first_name":"Alice","last_name":"Meyer",)"
    R"("email":"alice@contoso.de"}}})";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto p = text.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  return text.replace(p, from.size(), to);
}

void expect_error(const std::string& text, const std::string& needle) {
  auto r = json::parse_command(text, Instant{});
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_NE(r.error().message().find(needle), std::string::npos) << r.error().message();
}

TEST(CommandJson, R_LED_03_parses_a_valid_command) {
  auto r = json::parse_command(kValid, Instant{});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Command& c = r->command;
  EXPECT_EQ(c.context.command_id, "c-1");
  EXPECT_EQ(c.context.account_id, "contoso");
  EXPECT_EQ(c.context.actor.roles, std::vector<Role>{Role::global_admin});
  EXPECT_EQ(c.context.now, *parse_rfc3339("2026-01-05T09:00:00Z"));
  EXPECT_EQ(std::get<EnrollPartnerAccount>(c.body).address.city, "Berlin");
}

TEST(CommandJson, R_LED_02_digest_ignores_key_order_and_whitespace_but_not_content) {
  auto a = json::parse_command(kValid, Instant{});
  auto b = json::parse_command(with(with(kValid, R"("command_id":"c-1",)", ""), "{", R"({ "command_id" : "c-1", )"),
                               Instant{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->digest, b->digest);
  auto c = json::parse_command(with(kValid, "0301234567", "0301234568"), Instant{});
  EXPECT_NE(a->digest, c->digest);
}

TEST(CommandJson, R_LED_03_default_now_when_absent_and_bad_now_refused) {
  auto r = json::parse_command(with(kValid, R"("now":"2026-01-05T09:00:00Z",)", ""), Instant{77});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command.context.now, Instant{77});
  expect_error(with(kValid, "2026-01-05T09:00:00Z", "yesterday"), "field 'now'");
}

TEST(CommandJson, errors_name_the_problem) {
  expect_error("{\"command_id\":", "malformed JSON");
  expect_error("[1,2]", "must be a JSON object");
  expect_error(with(kValid, "enroll_partner_account", "enrol"), "not a known command type");
  expect_error(with(kValid, R"("legal_name":"Contoso GmbH",)", ""), "field 'data.legal_name' is missing");
  expect_error(with(kValid, R"("city":"Berlin")", R"("city":7)"), "field 'data.address.city' must be a string");
  expect_error(with(kValid, R"("phone")", R"("fax":"1","phone")"), "field 'data.fax' is not a known field");
  expect_error(with(kValid, R"("kind":"user")", R"("kind":"robot")"), "field 'actor.kind'");
  expect_error(with(kValid, R"("global_admin")", R"("king")"), "field 'actor.roles'");
  expect_error(with(kValid, R"("command_id":"c-1")", R"("command_id":"")"), "field 'command_id'");
}

TEST(CommandJson, invalid_utf8_and_oversize_are_refused) {
  expect_error(with(kValid, "Contoso GmbH", "Contoso \xC3\x28 GmbH"), "malformed JSON");
  expect_error(with(kValid, "Contoso GmbH", "Contoso \xFF GmbH"), "malformed JSON");
  expect_error(with(kValid, "Contoso GmbH", std::string(70000, 'x')), "limit");
  // Valid UTF-8 passes through untouched.
  auto r = json::parse_command(with(kValid, "Contoso GmbH", "Contoso Ärzte Łódź"), Instant{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<EnrollPartnerAccount>(r->command.body).legal_name, "Contoso Ärzte Łódź");
}

// Issue 14, part 5: what JSON allows but a ledger must not guess at.
TEST(CommandJson, a_key_given_twice_is_refused_and_named) {
  expect_error(with(kValid, R"("command_id":"c-1",)", R"("command_id":"c-1","command_id":"c-2",)"),
               "field 'command_id' is given twice");
  expect_error(with(kValid, R"("city":"Berlin")", R"("city":"Berlin","city":"Bonn")"),
               "field 'data.address.city' is given twice");
  expect_error(with(kValid, R"("kind":"user")", R"("kind":"user","kind":"user")"),
               "field 'actor.kind' is given twice");
  // The same name in different objects is fine.
  EXPECT_TRUE(json::parse_command(kValid, Instant{}).ok());
}

TEST(CommandJson, nul_bytes_are_refused) {
  expect_error(std::string(kValid) + std::string(1, '\0'), "NUL byte");
  expect_error(std::string(kValid) + std::string("\0{}", 3), "NUL byte");
  expect_error(with(kValid, "Contoso GmbH", "Contoso\\u0000GmbH"), "field 'data.legal_name' holds a NUL character");
  expect_error(with(kValid, "u-alice", "u-\\u0000"), "field 'actor.user_id' holds a NUL character");
  expect_error(with(kValid, R"("global_admin")", R"("global_admin\u0000")"), "field 'actor.roles[0]' holds a NUL character");
  expect_error(with(kValid, R"("phone")", R"("ph\u0000one")"), "holds a NUL character");
}

TEST(CommandJson, times_outside_1970_to_8999_are_refused) {
  for (const char* t : {"0000-01-01T00:00:00Z", "1677-09-21T00:12:43Z", "1969-12-31T23:59:59Z",
                        "9000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00"}) {
    expect_error(with(kValid, "2026-01-05T09:00:00Z", t), "field 'now' must be from 1970-01-01T00:00:00Z");
  }
  for (const char* t : {"1970-01-01T00:00:00Z", "8999-12-31T23:59:59.999999Z"}) {
    auto r = json::parse_command(with(kValid, "2026-01-05T09:00:00Z", t), Instant{});
    EXPECT_TRUE(r.ok()) << t << ": " << r.error().to_string();
  }
}

}  // namespace
}  // namespace mledger
