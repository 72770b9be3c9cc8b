#include "adapters/http/access.h"

namespace mledger::http {

namespace {

constexpr std::string_view kRule = "R-ROLE-05";

Denial deny(std::string_view code, std::string message) {
  return Denial{std::string(code), std::string(kRule), std::move(message)};
}

std::string who(const auth::TokenClaims& t) {
  return std::string(actor_kind_name(t.kind)) + " " + t.user_id;
}

}  // namespace

std::optional<Denial> check_access(Audience audience, const auth::TokenClaims& token,
                                   std::string_view account_id) {
  const ActorKind kind = token.kind;
  switch (audience) {
    case Audience::anyone:
      return std::nullopt;
    case Audience::account_readers:
      if (kind == ActorKind::auditor) return std::nullopt;
      if (kind == ActorKind::user) {
        if (account_id == token.account_id) return std::nullopt;
        return deny("not_own_account", "a partner user reads only its own account (" +
                                           token.account_id + ")");
      }
      return deny("actor_not_allowed",
                  who(token) + " may not read accounts: read models are for the account's own "
                               "users and auditors");
    case Audience::auditors:
      if (kind == ActorKind::auditor) return std::nullopt;
      return deny("actor_not_allowed",
                  who(token) + " may not use the auditors' endpoints (history, state as of, "
                               "export, digest)");
    case Audience::operators:
      if (kind == ActorKind::operator_) return std::nullopt;
      return deny("actor_not_allowed", who(token) + " may not run operations: they are the operator's");
    case Audience::command_issuers:
      if (kind != ActorKind::auditor) return std::nullopt;  // which commands: check_command
      return deny("actor_not_allowed", who(token) + " issues no commands: an auditor writes nothing");
    case Audience::service:
      if (kind == ActorKind::service) return std::nullopt;
      return deny("actor_not_allowed", who(token) + " may not run the clock's commands: they are the service's");
  }
  return deny("actor_not_allowed", "unknown audience");
}

std::optional<Denial> check_command(const auth::TokenClaims& token, const Command& command) {
  const Actor& actor = command.context.actor;
  const std::string& id = command.context.command_id;
  if (actor.kind != token.kind || actor.user_id != token.user_id ||
      (token.kind == ActorKind::user && actor.account_id != token.account_id)) {
    return deny("actor_not_token_subject",
                "command " + id + " names actor " + std::string(actor_kind_name(actor.kind)) + " " +
                    actor.user_id + (actor.account_id.empty() ? "" : "@" + actor.account_id) +
                    " but the token is " + who(token) +
                    (token.account_id.empty() ? "" : "@" + token.account_id));
  }
  if (token.kind == ActorKind::operator_ && targets_account(command.body)) {
    return deny("actor_not_allowed", "command " + id + " is a business command; an operator issues only "
                                                      "the catalogue's (change_offer_catalogue)");
  }
  if (token.kind == ActorKind::user && !targets_account(command.body)) {
    return deny("actor_not_allowed", "command " + id + " targets no account: it is the operator's");
  }
  if (token.kind == ActorKind::user && command.context.account_id != token.account_id) {
    return deny("not_own_account", "command " + id + " targets account " +
                                       command.context.account_id +
                                       "; a partner user acts only on its own account (" +
                                       token.account_id + ")");
  }
  return std::nullopt;
}

}  // namespace mledger::http
