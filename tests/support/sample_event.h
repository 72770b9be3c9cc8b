#pragma once
// One sample event with every envelope field set: a partner account's
// enrollment (account "contoso", seq 42, stream version 7, prev_hash
// starting 0xab). The codec tests and the fuzz targets vary it from here.

#include "domain/events/event.h"

namespace mledger::testing {

inline RecordedEvent sample_enrollment_event() {
  RecordedEvent e;
  e.seq = 42;
  e.stream = "account-contoso";
  e.version = 7;
  e.event_id = "5f0c3b8e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";
  e.account_ids = {"contoso"};
  e.metadata.command_id = "cmd-42";
  e.metadata.correlation_id = "corr";
  e.metadata.actor = Actor{ActorKind::user, "contoso", "u-alice", {Role::global_admin}};
  e.metadata.recorded_at = Instant{1'767'603'600'000'000};
  e.metadata.occurred_at = Instant{1'767'603'500'000'000};
  PartnerAccountEnrolled p;
  p.account_id = "contoso";
  p.legal_name = "Contoso GmbH";
  p.address = PostalAddress{"Tverskaya 1", "", "Moscow", "", "125009", "RU"};
  p.phone = "4951234567";
  p.primary_contact = ContactPerson{"Alice", "Meyer", "alice@contoso.ru"};
  p.enrolled_by_user_id = "u-alice";
  p.address_validation = AddressValidation{p.address, p.address, AddressKept::validated};
  e.payload = p;
  e.prev_hash[0] = 0xab;
  return e;
}

}  // namespace mledger::testing
