// The catalogue: every design-or-flaw ("variant") and every scenario, as type
// lists, so each runner (models, stress, benchmarks) instantiates exactly the
// same cells and finds one by its names at run time.
#pragma once

#include <cstdint>
#include <string_view>

#include "../impls/condvar_map.hpp"
#include "../impls/intrusive_map.hpp"
#include "../impls/notify_map.hpp"
#include "../impls/sharded_entry_map.hpp"
#include "../impls/shared_future_map.hpp"
#include "../impls/atomic_wait_map.hpp"
#include "../impls/register_design.hpp"
#include "../scenarios/coalesce.hpp"
#include "../scenarios/drop_with_waiters.hpp"
#include "../scenarios/waiter_cancel.hpp"
#include "../scenarios/lost_wakeup.hpp"
#include "../scenarios/distinct_keys.hpp"
#include "../scenarios/recursive_keys.hpp"
#include "../scenarios/leader_failure.hpp"
#include "../scenarios/check_then_act.hpp"
#include "../scenarios/hold_entry_across_await.hpp"
#include "../scenarios/notify_latency.hpp"
#include "../scenarios/async_waiter_cancel.hpp"
#include "../scenarios/random_programs.hpp"
#include "scenario_selection.hpp"

#ifdef ONCECHECK_USER_IMPL
#include ONCECHECK_USER_IMPL
#endif

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

// The project's correct designs, in every build: a user's design (IMPL=...)
// is expected to behave as the correct designs of its own kind do (see
// harness/runner/expectations.hpp).
using project_designs = type_list<variant<condvar_map, flaw::none>, variant<sharded_entry_map, flaw::none>,
                                  variant<notify_map, flaw::none>, variant<intrusive_map, flaw::none>,
                                  variant<shared_future_map, flaw::none>, variant<atomic_wait_map, flaw::none>>;

#ifdef ONCECHECK_USER_IMPL
// make check-models IMPL=...: the user's design alone (see impls/register_design.hpp).
using all_variants = type_list<variant<user::design, flaw::none>>;
static_assert(require_once_map<user::design<scenarios::key_t, scenarios::value_t, sync::std_backend, flaw::none>>());
inline constexpr bool user_build = true;
#else
using all_variants = type_list<variant<condvar_map, flaw::none>,                          //
                               variant<condvar_map, flaw::notify_one_unchained>,          //
                               variant<condvar_map, flaw::check_then_act>,                //
                               variant<sharded_entry_map, flaw::none>,                    //
                               variant<sharded_entry_map, flaw::entry_held_across_wait>,  //
                               variant<sharded_entry_map, flaw::get_while_entry_held>,    //
                               variant<sharded_entry_map, flaw::no_wake_on_drop>,         //
                               variant<notify_map, flaw::none>,                           //
                               variant<notify_map, flaw::listener_after_check>,           //
                               variant<intrusive_map, flaw::none>,                        //
                               variant<intrusive_map, flaw::no_unlink_on_cancel>,         //
                               variant<intrusive_map, flaw::wake_before_wait_lost>,       //
                               variant<shared_future_map, flaw::none>,                    //
                               variant<shared_future_map, flaw::remove_newer_entry>,      //
                               variant<atomic_wait_map, flaw::none>,                      //
                               variant<atomic_wait_map, flaw::relaxed_publish>>;
inline constexpr bool user_build = false;
namespace user {
inline constexpr std::string_view expected_verdicts = "";
}
#endif

template <class First, class... Rest>
First first_of(type_list<First, Rest...>);
using first_variant = decltype(first_of(all_variants{}));

using every_scenario = scenario_list<scenarios::coalesce, scenarios::drop_with_waiters, scenarios::waiter_cancel,
                                     scenarios::lost_wakeup, scenarios::distinct_keys, scenarios::recursive_keys,
                                     scenarios::leader_failure, scenarios::check_then_act,
                                     // async: tasks on an executor with one worker, and with two
                                     scenarios::hold_entry_across_await_1w, scenarios::hold_entry_across_await_2w,
                                     scenarios::notify_latency_1w, scenarios::notify_latency_2w,
                                     scenarios::async_waiter_cancel_1w, scenarios::async_waiter_cancel_2w,
                                     // generated programs checked against the once-map specification
                                     scenarios::random_programs>;

#ifdef ONCECHECK_SCENARIOS
// A build of a few scenarios (harness/scenario_selection.hpp).
inline constexpr std::string_view selected_scenarios = ONCECHECK_SCENARIOS;
template <template <class, class> class S>
struct scenario_name_of {
  static constexpr std::string_view name =
      S<typename first_variant::template map<sync::std_backend>, sync::std_backend>::name;
};
using scenario_selection = select_scenarios<every_scenario, selected_scenarios, scenario_name_of>;
static_assert(scenario_selection::every_name_known(), "ONCECHECK_SCENARIOS names a scenario there is not");
using all_scenarios = scenario_selection::type;
#else
using all_scenarios = every_scenario;
#endif

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

// Calls f.template operator()<Variant>() for every correct project design.
template <class F>
void for_each_project_design(F&& f) {
  detail::for_each_variant(f, project_designs{});
}

}  // namespace oncecheck
