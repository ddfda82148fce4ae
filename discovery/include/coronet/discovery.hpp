#pragma once
/// \file discovery.hpp
/// Everything of coronet::discovery.

#include "coronet/discovery/announcer.hpp"
#include "coronet/discovery/cluster.hpp"
#include "coronet/discovery/membership.hpp"
#include "coronet/discovery/remote_child.hpp"
#include "coronet/discovery/shared_topic.hpp"
#include "coronet/discovery/status.hpp"
