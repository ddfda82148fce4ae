#pragma once
/// \file channels.hpp
/// Everything of coronet::channels: topics (pub-sub) and channels (CSP).

#include "coronet/channels/channel.hpp"
#include "coronet/channels/select.hpp"
#include "coronet/channels/subscription.hpp"
#include "coronet/channels/subscription_options.hpp"
#include "coronet/channels/topic.hpp"
#include "coronet/channels/topic_relay.hpp"
