#pragma once
// Fills any reflected domain struct (domain/core/fields.h) with values that
// differ from the defaults everywhere: strings "x-<field>", integers and
// instants distinct, enums their last enumerant, vectors two elements,
// optionals engaged. For round-trip tests of the codecs.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/time.h"

namespace mledger::testing {

class Filler {
 public:
  template <class T>
  void fill_struct(T& value) {
    T::for_each_field(value, [&](const char* name, auto& member) { fill(member, name); });
  }

  template <class M>
  void fill(M& v, const std::string& name) {
    if constexpr (is_optional<M>::value) {
      v.emplace();
      fill(*v, name);
    } else if constexpr (std::is_same_v<M, std::string>) {
      v = "x-" + name;
    } else if constexpr (std::is_same_v<M, bool>) {
      v = true;
    } else if constexpr (std::is_same_v<M, uint32_t>) {
      v = 1000 + next_++;
    } else if constexpr (std::is_same_v<M, int64_t>) {
      v = 1'000'000'007 + 13 * next_++;
    } else if constexpr (std::is_same_v<M, Instant>) {
      // 2026-01-05 plus a distinct number of seconds and microseconds.
      v = Instant{1'767'600'000'000'000 + 1'000'003 * next_++};
    } else if constexpr (std::is_enum_v<M>) {
      v = static_cast<M>(enum_names(M{}).size() - 1);
    } else if constexpr (has_fields_v<M>) {
      fill_struct(v);
    } else {
      static_assert(is_vector<M>::value, "a field type the filler does not know");
      v.resize(2);
      fill(v[0], name + "-0");
      fill(v[1], name + "-1");
    }
  }

 private:
  template <class T>
  struct is_vector : std::false_type {};
  template <class T, class A>
  struct is_vector<std::vector<T, A>> : std::true_type {};

  uint32_t next_ = 1;
};

template <class T>
T filled() {
  T value{};
  Filler().fill_struct(value);
  return value;
}

// Fills any reflected domain struct with random values from `random`: texts
// of 0 to 24 random bytes (never NUL), integers, instants and enumerants over
// their whole range, vectors of 0 to 3 elements, optionals engaged half the
// time (an engaged optional text is never empty: empty means absent). For the codec identity and fuzz-style tests.
class RandomFiller {
 public:
  explicit RandomFiller(std::mt19937_64& random) : random_(random) {}

  template <class T>
  void fill_struct(T& value) {
    T::for_each_field(value, [&](const char*, auto& member) { fill(member); });
  }

  template <class M>
  void fill(M& v) {
    if constexpr (is_optional<M>::value) {
      if (below(2) == 0) {
        v.reset();
      } else {
        v.emplace();
        fill(*v);
        // An optional text is absent when empty on the wire (struct_codec.h).
        if constexpr (std::is_same_v<M, std::optional<std::string>>) {
          if (v->empty()) v->push_back('o');
        }
      }
    } else if constexpr (std::is_same_v<M, std::string>) {
      v.resize(below(25));
      for (char& c : v) c = static_cast<char>(1 + below(255));
    } else if constexpr (std::is_same_v<M, bool>) {
      v = below(2) == 1;
    } else if constexpr (std::is_same_v<M, uint32_t>) {
      v = static_cast<uint32_t>(random_());
    } else if constexpr (std::is_same_v<M, int64_t>) {
      v = static_cast<int64_t>(random_());
    } else if constexpr (std::is_same_v<M, Instant>) {
      v = Instant{static_cast<int64_t>(random_())};
    } else if constexpr (std::is_enum_v<M>) {
      v = static_cast<M>(below(enum_names(M{}).size()));
    } else if constexpr (has_fields_v<M>) {
      fill_struct(v);
    } else {
      static_assert(is_vector<M>::value, "a field type the filler does not know");
      v.resize(below(4));
      for (auto& element : v) fill(element);
    }
  }

  size_t below(size_t n) { return static_cast<size_t>(random_() % n); }

 private:
  std::mt19937_64& random_;
};

// Calls f(std::integral_constant<size_t, I>{}) for every alternative of Variant.
template <class Variant, class F>
void for_each_alternative(F&& f) {
  [&]<size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<size_t, I>{}), ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

}  // namespace mledger::testing
