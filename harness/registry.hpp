// The catalogue: every design-or-flaw ("variant") and every scenario, as type
// lists, so each runner (models, stress, benchmarks) instantiates exactly the
// same cells and finds one by its names at run time.
#pragma once

#include <cstdint>
#include <string_view>

#include "../impls/condvar_map.hpp"
#include "../scenarios/coalesce.hpp"
#include "../scenarios/drop_with_waiters.hpp"

namespace oncecheck {

template <class... Ts>
struct type_list {};

// A design instantiated with one of its flaws (or flaw::none), still open in
// its sync backend.
template <template <class, class, class, class> class Design, class Flaw>
struct variant {
  template <class Sync>
  using map = Design<scenarios::key_t, scenarios::value_t, Sync, Flaw>;
  static constexpr std::string_view design = map<sync::std_backend>::design_name;
  static constexpr std::string_view flaw = Flaw::name;
  static constexpr std::string_view bug = Flaw::bug;
};

template <template <class, class> class... Scenarios>
struct scenario_list {};

using all_variants = type_list<variant<condvar_map, flaw::none>,                    //
                               variant<condvar_map, flaw::notify_one_unchained>,    //
                               variant<condvar_map, flaw::check_then_act>>;

using all_scenarios = scenario_list<scenarios::coalesce, scenarios::drop_with_waiters>;

namespace detail {
template <class F, class... Vs, template <class, class> class... Ss>
void for_each_cell(F& f, type_list<Vs...>, scenario_list<Ss...>) {
  auto one_variant = [&]<class V>() { (f.template operator()<V, Ss>(), ...); };
  (one_variant.template operator()<Vs>(), ...);
}
template <class F, class... Vs>
void for_each_variant(F& f, type_list<Vs...>) {
  (f.template operator()<Vs>(), ...);
}
}  // namespace detail

// Calls f.template operator()<Variant, Scenario>() for every cell.
template <class F>
void for_each_cell(F&& f) {
  detail::for_each_cell(f, all_variants{}, all_scenarios{});
}

// Calls f.template operator()<Variant>() for every design-or-flaw.
template <class F>
void for_each_variant(F&& f) {
  detail::for_each_variant(f, all_variants{});
}

}  // namespace oncecheck
