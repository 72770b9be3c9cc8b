#include "adapters/capnp/payload_codec.h"

namespace mledger::codec {

namespace {

// Domain enums and wire enums are declared in the same order; these asserts
// keep them so.
static_assert(static_cast<int>(Role::business_profile_admin) ==
              static_cast<int>(wire::Role::BUSINESS_PROFILE_ADMIN));
static_assert(static_cast<int>(ActorKind::service) == static_cast<int>(wire::ActorKind::SERVICE));
static_assert(static_cast<int>(CompanySource::entered_by_hand) ==
              static_cast<int>(wire::CompanySource::ENTERED_BY_HAND));
static_assert(static_cast<int>(AddressKept::validated) ==
              static_cast<int>(wire::AddressKept::VALIDATED));

constexpr uint16_t kRoleCount = static_cast<uint16_t>(Role::business_profile_admin) + 1;

void write_roles(capnp::List<wire::Role>::Builder out, const std::vector<Role>& roles) {
  for (unsigned i = 0; i < roles.size(); ++i) out.set(i, static_cast<wire::Role>(roles[i]));
}

Status read_roles(capnp::List<wire::Role>::Reader in, std::vector<Role>& roles) {
  roles.clear();
  for (auto r : in) {
    if (static_cast<uint16_t>(r) >= kRoleCount) {
      return Status(StatusCode::corruption, "unknown role " + std::to_string(static_cast<int>(r)));
    }
    roles.push_back(static_cast<Role>(r));
  }
  return Status::Ok();
}

void write_address(wire::PostalAddress::Builder b, const PostalAddress& a) {
  b.setLine1(a.line1);
  b.setLine2(a.line2);
  b.setCity(a.city);
  b.setRegion(a.region);
  b.setPostalCode(a.postal_code);
  b.setCountry(a.country);
}

PostalAddress read_address(wire::PostalAddress::Reader r) {
  return PostalAddress{str(r.getLine1()),      str(r.getLine2()), str(r.getCity()),
                       str(r.getRegion()), str(r.getPostalCode()), str(r.getCountry())};
}

void write_enrolled(wire::PartnerAccountEnrolled::Builder b, const PartnerAccountEnrolled& e) {
  b.setAccountId(e.account_id);
  b.setLegalName(e.legal_name);
  write_address(b.initAddress(), e.address);
  b.setPhone(e.phone);
  auto c = b.initPrimaryContact();
  c.setFirstName(e.primary_contact.first_name);
  c.setLastName(e.primary_contact.last_name);
  c.setEmail(e.primary_contact.email);
  b.setEnrolledByUserId(e.enrolled_by_user_id);
  b.setSource(static_cast<wire::CompanySource>(e.source));
  b.setDunsNumber(e.duns_number);
  b.setHasAddressValidation(e.address_validation.has_value());
  if (e.address_validation) {
    auto v = b.initAddressValidation();
    write_address(v.initEntered(), e.address_validation->entered);
    write_address(v.initValidated(), e.address_validation->validated);
    v.setKept(static_cast<wire::AddressKept>(e.address_validation->kept));
  }
}

StatusOr<EventPayload> read_enrolled(wire::PartnerAccountEnrolled::Reader r) {
  PartnerAccountEnrolled e;
  e.account_id = str(r.getAccountId());
  e.legal_name = str(r.getLegalName());
  e.address = read_address(r.getAddress());
  e.phone = str(r.getPhone());
  auto c = r.getPrimaryContact();
  e.primary_contact = ContactPerson{str(c.getFirstName()), str(c.getLastName()), str(c.getEmail())};
  e.enrolled_by_user_id = str(r.getEnrolledByUserId());
  if (static_cast<int>(r.getSource()) > static_cast<int>(CompanySource::entered_by_hand)) {
    return fail(StatusCode::corruption, "unknown company source");
  }
  e.source = static_cast<CompanySource>(r.getSource());
  e.duns_number = str(r.getDunsNumber());
  if (r.getHasAddressValidation()) {
    auto v = r.getAddressValidation();
    if (static_cast<int>(v.getKept()) > static_cast<int>(AddressKept::validated)) {
      return fail(StatusCode::corruption, "unknown kept address");
    }
    e.address_validation = AddressValidation{read_address(v.getEntered()),
                                             read_address(v.getValidated()),
                                             static_cast<AddressKept>(v.getKept())};
  }
  return EventPayload{std::move(e)};
}

void write_user_added(wire::UserAdded::Builder b, const UserAdded& e) {
  b.setAccountId(e.account_id);
  b.setUserId(e.user_id);
  b.setEmail(e.email);
  b.setDisplayName(e.display_name);
  b.setGuest(e.guest);
  write_roles(b.initRoles(static_cast<unsigned>(e.roles.size())), e.roles);
}

StatusOr<EventPayload> read_user_added(wire::UserAdded::Reader r) {
  UserAdded e;
  e.account_id = str(r.getAccountId());
  e.user_id = str(r.getUserId());
  e.email = str(r.getEmail());
  e.display_name = str(r.getDisplayName());
  e.guest = r.getGuest();
  if (Status s = read_roles(r.getRoles(), e.roles); !s.ok()) return Err{s};
  return EventPayload{std::move(e)};
}

struct Writer {
  mutable wire::Payload::Builder b;
  void operator()(const PartnerAccountEnrolled& e) const {
    write_enrolled(b.initPartnerAccountEnrolled(), e);
  }
  void operator()(const UserAdded& e) const { write_user_added(b.initUserAdded(), e); }
};

}  // namespace

void write_actor(wire::Actor::Builder b, const Actor& actor) {
  b.setKind(static_cast<wire::ActorKind>(actor.kind));
  b.setAccountId(actor.account_id);
  b.setUserId(actor.user_id);
  write_roles(b.initRoles(static_cast<unsigned>(actor.roles.size())), actor.roles);
}

Status read_actor(wire::Actor::Reader r, Actor& actor) {
  if (static_cast<int>(r.getKind()) > static_cast<int>(ActorKind::service)) {
    return Status(StatusCode::corruption, "unknown actor kind");
  }
  actor.kind = static_cast<ActorKind>(r.getKind());
  actor.account_id = str(r.getAccountId());
  actor.user_id = str(r.getUserId());
  return read_roles(r.getRoles(), actor.roles);
}

void write_payload(wire::Payload::Builder b, const EventPayload& payload) {
  std::visit(Writer{b}, payload);
}

StatusOr<EventPayload> read_payload(wire::Payload::Reader r) {
  switch (r.which()) {
    case wire::Payload::PARTNER_ACCOUNT_ENROLLED:
      return read_enrolled(r.getPartnerAccountEnrolled());
    case wire::Payload::USER_ADDED:
      return read_user_added(r.getUserAdded());
    case wire::Payload::NONE:
      return fail(StatusCode::corruption, "event has no payload");
    default:
      return fail(StatusCode::corruption,
                  "payload member " + std::to_string(static_cast<int>(r.which())) +
                      " is not known to this build of mledger");
  }
}

}  // namespace mledger::codec
