// Bring your own design: the one line that puts a user's header into the
// catalogue of `make check-models IMPL=path/to/my_map.hpp` (and `make stress
// IMPL=...`).
//
//   #include "impls/once_map.hpp"
//   #include "impls/register_design.hpp"
//   template <class K, class V, class Sync = oncecheck::sync::std_backend, class Flaw = oncecheck::flaw::none>
//   class my_map { ... };                 // the contract of impls/once_map.hpp
//   ONCECHECK_REGISTER_DESIGN(my_map);   // expects what a correct design of
//                                        // its kind gets
//
// The rule (harness/runner/expectations.hpp; the run prints it): the design
// is expected to give, in each scenario, what the project's correct designs
// of its kind give in models/expected.tsv. With traits.async_wait that is
// the correct async designs' rows (sharded_entry, notify, intrusive,
// shared_future): pass everywhere but recursive_keys, whose cycle no design
// can break (deadlock). Without it, the blocking-only designs' rows (condvar,
// atomic_wait), whose tasks also block their worker in the async scenarios.
//
// A design that is known to fail somewhere says so, as a space-separated list
// of scenario=verdict (the model verdict; on real threads a model `deadlock`
// is expected as `hang`):
//   ONCECHECK_REGISTER_DESIGN(my_map, "coalesce=deadlock");
#pragma once

#include <string_view>

#include "once_map.hpp"

#define ONCECHECK_REGISTER_DESIGN(design_template, ...)                                        \
  namespace oncecheck::user {                                                                  \
  template <class K, class V, class Sync, class Flaw>                                          \
  using design = ::design_template<K, V, Sync, Flaw>;                                          \
  inline constexpr std::string_view expected_verdicts = "" __VA_ARGS__;                        \
  }                                                                                            \
  static_assert(true, "a semicolon after ONCECHECK_REGISTER_DESIGN(...) is fine")
