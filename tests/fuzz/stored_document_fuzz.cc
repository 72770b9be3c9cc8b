// libFuzzer target: the stored read-model documents' binary decoder
// (adapters/projections/binary_document.h), what reads a projection store's
// documents back. The first input byte picks the document type (an account
// header, a user, an order, an allocation, an order record, a key, an
// invitation, a user's licensing offers); the rest is the stored bytes. It
// must never crash or throw, and what decodes must reach a fixed point after
// one round: encoding it and decoding that gives the same value and bytes.
//
// MLEDGER_FUZZ_WRITE_SEEDS=<dir> writes documents made by the real encoder
// into <dir> (how tests/fuzz/corpus/fuzz_stored_document/valid-* were made).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "adapters/projections/entity_documents.h"
#include "projections/all.h"

namespace {

using namespace mledger;

template <class T>
Status decode(std::string_view bytes, T& value) {
  if constexpr (std::is_same_v<T, AccountState>) {  // an account header: no entity fields
    return document::decode_fields(bytes, value, entity::is_kind<projections::AccountsProjection>);
  } else {
    return document::decode_document(bytes, value);
  }
}
template <class T>
std::string encode(const T& value) {
  if constexpr (std::is_same_v<T, AccountState>) {
    return document::encode_fields(value, entity::is_kind<projections::AccountsProjection>);
  } else {
    return document::encode_document(value);
  }
}

template <class T>
void round_trip(std::string_view bytes) {
  T value{};
  const Status s = decode(bytes, value);
  if (!s.ok()) {
    if (s.code() != StatusCode::corruption || s.message().empty()) std::abort();
    return;
  }
  const std::string again = encode(value);
  T back{};
  if (!decode(again, back).ok() || encode(back) != again) std::abort();
}

void decode_as(uint8_t type, std::string_view bytes) {
  switch (type % 8) {
    case 0: return round_trip<AccountState>(bytes);
    case 1: return round_trip<AccountUser>(bytes);
    case 2: return round_trip<Order>(bytes);
    case 3: return round_trip<Allocation>(bytes);
    case 4: return round_trip<projections::OrderRecord>(bytes);
    case 5: return round_trip<projections::KeyRecord>(bytes);
    case 6: return round_trip<projections::InvitationRecord>(bytes);
    default: return round_trip<std::vector<LicensingOffer>>(bytes);
  }
}

void write_seed(const std::string& dir, const std::string& name, uint8_t type, const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << static_cast<char>(type) << bytes;
}

void write_seeds(const std::string& dir) {
  AccountState a;
  a.enrolled = true;
  a.account_id = "contoso";
  a.legal_name = "Contoso Ltd";
  a.programs = {"cloud", "data"};
  a.last_business_review = Instant{1'767'600'000'000'000};
  write_seed(dir, "valid-header", 0, encode(a));
  write_seed(dir, "valid-user", 1, document::encode_document(AccountUser{"a@c", "A", true, {Role::global_admin}}));
  Allocation al;
  al.benefit_id = "contoso/o-1/vs";
  al.assignees = {{"u-1", Instant{-5}}, {"u-2", Instant{1'767'600'000'000'000}}};
  al.quantity = 5;
  write_seed(dir, "valid-allocation", 3, document::encode_document(al));
  projections::OrderRecord o;
  o.order_id = "o-1";
  o.payments = {{Instant{7}, PaymentMethod::wire, Money{-47'500, "USD"}, "ref"}};
  o.non_refundable_reason = "used";
  write_seed(dir, "valid-order-record", 4, document::encode_document(o));
  write_seed(dir, "valid-offers", 7,
             document::encode_document(std::vector<LicensingOffer>{LicensingOffer::azure_pass, LicensingOffer::action_pack}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool seeded = [] {
    if (const char* dir = std::getenv("MLEDGER_FUZZ_WRITE_SEEDS")) write_seeds(dir);
    return true;
  }();
  (void)seeded;
  if (size == 0) return 0;
  decode_as(data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
