#pragma once
// Rejection: a business rule said no. A value, never an exception; a rejected
// command writes no event. Each code reads as a sentence, is stable once
// published (clients match on it), and names the rule it enforces.

#include <span>
#include <string>
#include <string_view>

namespace mledger {

// X(code, rule id). Append new codes at the end of their group; never rename.
#define MLEDGER_REJECTION_CODES(X)                                  \
  /* ledger-wide */                                                 \
  X(command_id_reused_with_different_content, "R-LED-02")           \
  X(amount_invalid, "R-LED-03")                                     \
  X(currency_invalid, "R-LED-03")                                   \
  X(field_required, "R-LED-02")                                     \
  X(field_too_long, "R-LED-02")                                     \
  /* actors and roles */                                            \
  X(actor_not_allowed, "R-ROLE-05")                                 \
  X(other_account_not_accessible, "R-ROLE-05")                      \
  X(user_not_in_account, "R-ROLE-05")                               \
  X(role_not_allowed, "R-ROLE-02")                                  \
  X(role_cannot_manage_users, "R-ROLE-03")                          \
  X(role_cannot_assign_roles, "R-ROLE-03")                          \
  X(global_admin_grant_requires_global_admin, "R-ROLE-03")          \
  X(role_list_invalid, "R-ROLE-01")                                 \
  X(guest_role_not_allowed, "R-ROLE-04")                            \
  X(last_global_admin, "R-ROLE-06")                                 \
  X(user_id_invalid, "R-ROLE-03")                                   \
  X(user_already_exists, "R-ROLE-03")                               \
  X(user_not_found, "R-ROLE-03")                                    \
  X(user_holds_benefits, "R-BEN-02")                                \
  /* account setup and enrollment */                                \
  X(account_not_found, "R-ACC-01")                                  \
  X(account_already_enrolled, "R-ACC-01")                           \
  X(account_id_invalid, "R-ACC-01")                                 \
  X(legal_name_required, "R-ACC-01")                                \
  X(legal_name_too_long, "R-ACC-01")                                \
  X(address_incomplete, "R-ACC-01")                                 \
  X(address_field_too_long, "R-ACC-01")                             \
  X(country_code_invalid, "R-ACC-01")                               \
  X(primary_contact_name_required, "R-ACC-01")                      \
  X(primary_contact_name_too_long, "R-ACC-01")                      \
  X(email_invalid, "R-ACC-01")                                      \
  X(personal_email_not_supported, "R-ACC-01")                       \
  X(role_email_not_supported, "R-ACC-01")                           \
  X(phone_number_invalid, "R-ACC-02")                               \
  X(phone_number_too_long, "R-ACC-02")                              \
  X(duns_number_invalid, "R-ACC-03")                                \
  X(address_validation_required, "R-ACC-03")                        \
  X(address_validation_not_applicable, "R-ACC-03")                  \
  X(validated_address_incomplete, "R-ACC-03")                       \
  X(company_info_read_only, "R-ACC-04")                             \
  X(company_info_unchanged, "R-ACC-04")                             \
  X(company_info_not_read_only, "R-ACC-04")                         \
  X(verification_email_resent_too_soon, "R-ACC-05")                 \
  X(verification_not_pending, "R-ACC-05")                           \
  X(email_ownership_not_confirmed, "R-ACC-05")                      \
  X(email_does_not_match_contact, "R-ACC-05")                       \
  X(verification_not_rejected, "R-ACC-05")                          \
  X(verification_field_unknown, "R-ACC-05")                         \
  X(verification_fields_not_corrected, "R-ACC-05")                  \
  X(location_name_required, "R-ACC-06")                             \
  X(role_cannot_add_locations, "R-ACC-06")                          \
  X(only_global_admin_associates_tenants, "R-ACC-07")               \
  X(tenant_id_invalid, "R-ACC-07")                                  \
  X(tenant_belongs_to_another_account, "R-ACC-07")                  \
  X(tenant_already_associated, "R-ACC-07")                          \
  X(tenant_not_found, "R-ACC-07")                                   \
  X(primary_tenant_not_removable, "R-ACC-07")                       \
  X(primary_tenant_already_set, "R-ACC-07")                         \
  X(notification_domain_not_allowed, "R-ACC-08")                    \
  X(legacy_membership_not_recoverable, "R-ACC-09")                  \
  X(program_unknown, "R-ACC-10")                                    \
  X(program_already_enrolled, "R-ACC-10")                           \
  X(program_requirement_unmet, "R-ACC-10")                          \
  /* orders, payment, cancellation, refund, renewal */              \
  X(offer_unknown, "R-ORD-01")                                      \
  X(offer_already_active, "R-ORD-01")                               \
  X(competency_required, "R-ORD-01")                                \
  X(competency_level_invalid, "R-ORD-01")                           \
  X(order_id_invalid, "R-ORD-01")                                   \
  X(order_already_exists, "R-ORD-01")                               \
  X(catalogue_invalid, "R-ORD-01")                                  \
  X(role_cannot_purchase, "R-ORD-02")                               \
  X(account_suspended, "R-ORD-02")                                  \
  X(account_not_suspended, "R-ORD-02")                              \
  X(no_global_admin, "R-ORD-02")                                    \
  X(card_details_required, "R-ORD-03")                              \
  X(payment_declined_address_mismatch, "R-ORD-03")                  \
  X(postal_code_invalid, "R-ORD-03")                                \
  X(card_details_not_allowed, "R-ORD-04")                           \
  X(order_not_found, "R-ORD-04")                                    \
  X(order_not_awaiting_payment, "R-ORD-04")                         \
  X(payment_amount_mismatch, "R-ORD-04")                            \
  X(wire_order_expired, "R-ORD-04")                                 \
  X(wire_order_not_yet_expired, "R-ORD-04")                         \
  X(order_not_paid, "R-ORD-04")                                     \
  X(cancellation_not_requested, "R-ORD-05")                         \
  X(cancellation_already_requested, "R-ORD-05")                     \
  X(order_not_cancellable, "R-ORD-05")                              \
  X(role_cannot_refund, "R-ORD-06")                                 \
  X(refund_window_closed, "R-ORD-06")                               \
  X(refund_benefits_used, "R-ORD-06")                               \
  X(order_not_refundable, "R-ORD-07")                               \
  X(renewal_window_closed, "R-ORD-08")                              \
  X(renewal_window_not_open, "R-ORD-08")                            \
  X(renewal_window_already_open, "R-ORD-08")                        \
  X(business_info_review_required, "R-ORD-08")                      \
  X(membership_not_found, "R-ORD-08")                               \
  X(membership_not_lapsable, "R-ORD-08")                            \
  X(membership_not_active, "R-ORD-08")                              \
  X(benefit_expired, "R-ORD-09")                                    \
  /* keys */                                                        \
  X(key_not_found, "R-KEY-01")                                      \
  X(key_already_redeemed, "R-KEY-01")                               \
  X(product_not_in_offer, "R-KEY-02")                               \
  X(language_not_offered, "R-KEY-02")                               \
  X(operating_system_not_offered, "R-KEY-02")                       \
  X(keys_already_revealed, "R-KEY-02")                              \
  X(extension_exceeds_three_years, "R-KEY-04")                      \
  X(key_format_invalid, "R-KEY-05")                                 \
  X(replacement_already_issued, "R-KEY-05")                         \
  X(replacement_window_closed, "R-KEY-05")                          \
  X(key_not_activated, "R-KEY-05")                                  \
  X(key_replaced, "R-KEY-05")                                       \
  X(activations_exhausted, "R-KEY-06")                              \
  X(key_not_redeemable, "R-KEY-06")                                 \
  X(key_not_multiple_activation, "R-KEY-06")                        \
  X(role_cannot_handle_keys, "R-KEY-07")                            \
  /* benefit assignment */                                          \
  X(role_cannot_assign_benefits, "R-BEN-01")                        \
  X(assignee_not_in_account, "R-BEN-02")                            \
  X(benefit_not_assigned_to_user, "R-BEN-03")                       \
  X(benefit_not_assignable, "R-BEN-03")                             \
  X(bulk_credit_not_removable, "R-BEN-04")                          \
  X(transfer_outside_enrollment_year, "R-BEN-04")                   \
  X(bulk_credit_not_combinable, "R-BEN-04")                         \
  X(licensing_offer_unchanged, "R-BEN-04")                          \
  X(reassignment_too_soon, "R-BEN-05")                              \
  X(allocation_exhausted, "R-BEN-06")                               \
  X(benefit_not_found, "R-BEN-06")                                  \
  X(benefit_already_assigned_to_user, "R-BEN-06")                   \
  X(benefit_ended, "R-BEN-07")                                      \
  /* technical and go-to-market benefits */                         \
  X(role_cannot_activate_technical_benefits, "R-TEC-01")            \
  X(technical_benefit_already_requested, "R-TEC-01")                \
  X(request_not_found, "R-TEC-01")                                  \
  X(request_already_completed, "R-TEC-01")                          \
  X(access_and_contract_ids_required, "R-TEC-01")                   \
  X(not_available_for_offer, "R-TEC-02")                            \
  X(incident_quota_exhausted, "R-TEC-02")                           \
  X(incident_already_recorded, "R-TEC-02")                          \
  X(advisory_hours_exhausted, "R-TEC-02")                           \
  X(advisory_hours_invalid, "R-TEC-02")                             \
  X(role_cannot_activate_go_to_market_offers, "R-GTM-01")           \
  X(marketing_contact_required, "R-GTM-01")                         \
  X(go_to_market_offer_not_in_membership, "R-GTM-01")               \
  X(go_to_market_offer_already_requested, "R-GTM-01")               \
  X(marketing_email_must_differ, "R-GTM-02")                        \
  X(preferred_language_invalid, "R-GTM-02")                         \
  X(go_to_market_expiry_invalid, "R-GTM-03")                        \
  X(go_to_market_offer_not_active, "R-GTM-03")                      \
  X(go_to_market_offer_not_yet_expired, "R-GTM-03")                 \
  /* account-merge invitations */                                   \
  X(location_id_not_allowed, "R-MRG-01")                            \
  X(invitee_not_found, "R-MRG-01")                                  \
  X(invitee_not_active, "R-MRG-01")                                 \
  X(role_cannot_send_merge_invitations, "R-MRG-02")                 \
  X(role_cannot_answer_merge_invitations, "R-MRG-02")               \
  X(merge_invitation_not_found, "R-MRG-03")                         \
  X(merge_invitation_not_pending, "R-MRG-03")                       \
  X(merge_invitation_not_accepted, "R-MRG-03")                      \
  X(merge_invitation_expired, "R-MRG-03")                           \
  X(merge_invitation_not_yet_expired, "R-MRG-03")                   \
  X(self_invitation_not_allowed, "R-MRG-04")                        \
  X(merge_invitation_pending, "R-MRG-04")                           \
  X(merge_invitation_id_used, "R-MRG-04")                           \
  X(account_merged_away, "R-MRG-05")                                \
  X(invitee_has_pending_requests, "R-MRG-05")                       \
  X(unpaid_order_conflicts_with_merge, "R-MRG-05")

enum class RejectionCode {
#define MLEDGER_X(code, rule) code,
  MLEDGER_REJECTION_CODES(MLEDGER_X)
#undef MLEDGER_X
};

// "personal_email_not_supported"
std::string_view code_name(RejectionCode code);
// "R-ACC-01"
std::string_view rule_id(RejectionCode code);
// Every code, in declaration order.
std::span<const RejectionCode> all_rejection_codes();

struct Rejection {
  RejectionCode code;
  std::string message;  // for people: names the field and the rule
};

inline bool operator==(const Rejection& a, const Rejection& b) { return a.code == b.code; }

}  // namespace mledger
