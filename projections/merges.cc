#include "projections/merges.h"

#include "domain/core/streams.h"

namespace mledger::projections {

namespace {

struct Fold {
  AccountMerges& doc;
  Instant at;

  InvitationRecord* find(const std::string& id) {
    for (auto& i : doc.invitations) {
      if (i.invitation_id == id) return &i;
    }
    return nullptr;
  }
  void settle(const std::string& id, InvitationOutcome outcome) {
    if (InvitationRecord* i = find(id)) {
      i->status = outcome;
      i->settled_at = at;
    }
  }
  void operator()(const MergeInvitationSent& x) {
    InvitationRecord r;
    r.invitation_id = x.invitation_id;
    r.initiator_account_id = x.initiator_account_id;
    r.invitee_account_id = x.invitee_account_id;
    r.sent_at = at;
    r.expires = x.expires;
    doc.invitations.push_back(std::move(r));
  }
  void operator()(const MergeInvitationAccepted& x) {
    if (InvitationRecord* i = find(x.invitation_id)) {
      i->status = InvitationOutcome::accepted;
      i->accepted_at = at;
    }
  }
  void operator()(const MergeInvitationDeclined& x) {
    settle(x.invitation_id, InvitationOutcome::declined);
    if (InvitationRecord* i = find(x.invitation_id)) i->decline_reason = x.reason;
  }
  void operator()(const MergeInvitationWithdrawn& x) {
    settle(x.invitation_id, InvitationOutcome::withdrawn);
  }
  void operator()(const MergeInvitationExpired& x) {
    settle(x.invitation_id, InvitationOutcome::expired);
  }
  void operator()(const MergeInvitationCompleted& x) {
    settle(x.invitation_id, InvitationOutcome::completed);
  }
  template <class Other>
  void operator()(const Other&) {}
};

}  // namespace

// Invitations live on the pair's stream ("merge-<a>+<b>"); each of their
// events concerns both accounts.
void MergesProjection::documents_of(const RecordedEvent& e, std::vector<std::string>& ids) {
  if (!std::string_view(e.stream).starts_with(kMergePairStreamPrefix)) return;
  ids.insert(ids.end(), e.account_ids.begin(), e.account_ids.end());
}

MergeInvitationsView merge_invitations_view(const AccountMerges& doc, const std::string& account_id) {
  MergeInvitationsView v;
  v.account_id = account_id;
  for (auto it = doc.invitations.rbegin(); it != doc.invitations.rend(); ++it) {
    const InvitationRecord& r = *it;
    const bool open = r.status == InvitationOutcome::sent || r.status == InvitationOutcome::accepted;
    if (open && r.invitee_account_id == account_id && r.status == InvitationOutcome::sent) {
      v.inbox.push_back(r);
    }
    if (open && r.initiator_account_id == account_id) v.outbox.push_back(r);
    v.history.push_back(r);
  }
  return v;
}

void MergesProjection::touched(const Doc& before, const std::string&, const RecordedEvent& e,
                               Touched& out) {
  if (std::holds_alternative<MergeInvitationSent>(e.payload)) {
    out.entities.push_back({"invitations", position_id(before.invitations.size())});
    return;
  }
  std::visit(
      [&](const auto& p) {
        if constexpr (requires { p.invitation_id; }) {
          for (size_t i = 0; i < before.invitations.size(); ++i) {
            if (before.invitations[i].invitation_id == p.invitation_id) {
              out.entities.push_back({"invitations", position_id(i)});
            }
          }
        }
      },
      e.payload);
}

void MergesProjection::apply(Doc& doc, const std::string&, const RecordedEvent& e) {
  std::visit(Fold{doc, e.metadata.occurred_at}, e.payload);
}

}  // namespace mledger::projections
