// my_map: the consumer's correct design (lock_map.hpp), registered for
// oncecheck: oncecheck_add_design(TARGET my_map HEADER my_map.hpp).
#pragma once

#include "impls/register_design.hpp"
#include "lock_map.hpp"

template <class K, class V, class Sync = oncecheck::sync::std_backend, class Flaw = oncecheck::flaw::none>
using my_map = lock_map<K, V, Sync, true>;

ONCECHECK_REGISTER_DESIGN(my_map);
