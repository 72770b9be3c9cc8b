#pragma once
// Field reflection for plain domain structs, so that the wire codec, the JSON
// form and the documentation walk one list instead of three hand-kept copies.
//
//   struct OrderCancelled {
//     static constexpr std::string_view kName = "OrderCancelled";
//     std::string order_id;
//     MLEDGER_FIELDS(order_id)
//   };
//
// MLEDGER_FIELDS(a, b, ...) defines `for_each_field(self, f)`, calling
// f("a", self.a), f("b", self.b), ... in declaration order, for const and
// non-const `self`. The names are the JSON names; the Cap'n Proto names are
// the same in lowerCamelCase, with "Micros" appended for Instant fields.
//
// MLEDGER_ENUM(Name, a, b, ...) declares `enum class Name {a, b, ...}` and
// `enum_names(Name)` returning the spelled names in order.

#include <array>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#define MLEDGER_PARENS ()
#define MLEDGER_EXPAND(...) MLEDGER_EXPAND3(MLEDGER_EXPAND3(MLEDGER_EXPAND3(MLEDGER_EXPAND3(__VA_ARGS__))))
#define MLEDGER_EXPAND3(...) MLEDGER_EXPAND2(MLEDGER_EXPAND2(MLEDGER_EXPAND2(MLEDGER_EXPAND2(__VA_ARGS__))))
#define MLEDGER_EXPAND2(...) MLEDGER_EXPAND1(MLEDGER_EXPAND1(MLEDGER_EXPAND1(MLEDGER_EXPAND1(__VA_ARGS__))))
#define MLEDGER_EXPAND1(...) __VA_ARGS__
#define MLEDGER_FOR_EACH(macro, ...) \
  __VA_OPT__(MLEDGER_EXPAND(MLEDGER_FOR_EACH_HELPER(macro, __VA_ARGS__)))
#define MLEDGER_FOR_EACH_HELPER(macro, a1, ...) \
  macro(a1) __VA_OPT__(MLEDGER_FOR_EACH_AGAIN MLEDGER_PARENS(macro, __VA_ARGS__))
#define MLEDGER_FOR_EACH_AGAIN() MLEDGER_FOR_EACH_HELPER

#define MLEDGER_FIELD_VISIT_(name) f(#name, self.name);
#define MLEDGER_FIELDS(...)                                  \
  template <class Self, class F>                             \
  static void for_each_field(Self& self, F&& f) {            \
    (void)self;                                              \
    (void)f;                                                 \
    MLEDGER_FOR_EACH(MLEDGER_FIELD_VISIT_, __VA_ARGS__)      \
  }

#define MLEDGER_ENUM_NAME_(name) std::string_view(#name),
#define MLEDGER_ENUM(Name, ...)                                                          \
  enum class Name { __VA_ARGS__ };                                                       \
  inline std::span<const std::string_view> enum_names(Name) {                            \
    static constexpr std::string_view names[] = {                                        \
        MLEDGER_FOR_EACH(MLEDGER_ENUM_NAME_, __VA_ARGS__)};                              \
    return names;                                                                        \
  }

namespace mledger {

// Maps keyed by strings and sets of strings: the collections the generic
// encodings (adapters/json/fields_json.h, adapters/projections/
// binary_document.h) write as objects and arrays.
template <class T>
struct is_string_map : std::false_type {};
template <class T>
struct is_string_map<std::map<std::string, T>> : std::true_type {};
template <class T>
struct is_string_set : std::false_type {};
template <>
struct is_string_set<std::set<std::string>> : std::true_type {};

template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(T::for_each_field(std::declval<T&>(),
                                                            [](const char*, auto&) {}))>>
    : std::true_type {};
template <class T>
inline constexpr bool has_fields_v = has_fields<T>::value;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

// For static_assert in the last branch of an `if constexpr` chain.
template <class>
inline constexpr bool dependent_false = false;

// The spelled name of an enum value declared with MLEDGER_ENUM (or with an
// enum_names overload).
template <class E>
std::string_view enum_name(E value) {
  auto names = enum_names(E{});
  const auto i = static_cast<size_t>(value);
  return i < names.size() ? names[i] : std::string_view("?");
}

template <class E>
std::optional<E> parse_enum(std::string_view name) {
  auto names = enum_names(E{});
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace mledger
