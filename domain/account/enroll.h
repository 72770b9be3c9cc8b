#pragma once
// Decider for EnrollPartnerAccount (R-ACC-01, R-ACC-02, R-ACC-03).
//
// Accepts when the account does not exist yet, the actor is a partner user
// claiming this account, and every field passes its rule. Emits
// PartnerAccountEnrolled then UserAdded (the enrolling user, global_admin).
// Otherwise returns the first rule that fails, as a Rejection; emits nothing.

#include <vector>

#include "domain/account/account_state.h"
#include "domain/account/enrollment_policy.h"
#include "domain/commands/command.h"
#include "domain/core/rejection.h"
#include "domain/core/result.h"

namespace mledger {

using EnrollDecision = Result<std::vector<EventPayload>, Rejection>;

EnrollDecision decide_enroll(const AccountState& state, const CommandContext& ctx,
                       const EnrollPartnerAccount& cmd, const EnrollmentPolicy& policy);

// Field rules, exposed for reuse by later commands that edit the same fields.
std::optional<Rejection> check_phone_number(std::string_view phone);          // R-ACC-02
std::optional<Rejection> check_work_email(std::string_view email,
                                          const EnrollmentPolicy& policy);     // R-ACC-01
std::optional<Rejection> check_email_address(std::string_view email);         // its shape only
std::optional<Rejection> check_postal_address(const PostalAddress& address,
                                              RejectionCode incomplete_code);  // R-ACC-01
bool is_valid_account_id(std::string_view account_id);

}  // namespace mledger
