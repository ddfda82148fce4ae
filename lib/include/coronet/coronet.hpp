#pragma once
/// \file coronet.hpp
/// The umbrella header of coronet::core, for users. (The library itself
/// includes the individual headers.)

#include "coronet/behaviour.hpp"
#include "coronet/cancel_scope.hpp"
#include "coronet/code_registry.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/handle.hpp"
#include "coronet/hot_swap.hpp"
#include "coronet/io.hpp"
#include "coronet/link.hpp"
#include "coronet/message.hpp"
#include "coronet/monitor.hpp"
#include "coronet/names.hpp"
#include "coronet/outcome.hpp"
#include "coronet/pid.hpp"
#include "coronet/placement.hpp"
#include "coronet/receive.hpp"
#include "coronet/runtime.hpp"
#include "coronet/self.hpp"
#include "coronet/start.hpp"
#include "coronet/stop.hpp"
#include "coronet/supervisor.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"
#include "coronet/when.hpp"
